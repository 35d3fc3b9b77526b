// Errors at the fields they are about, in words a person reads: the server's field
// messages (marshmallow's, written for developers) become sentences; every field's error
// shows at once; a field's error goes away as soon as the person changes that field.
import { $, plain } from "../shared/dom.js";

const LABELS = { subject: "Subject", start: "Start", end: "End", location: "Location",
  description: "Description", whoId: "Name", whatId: "Related To", timeZone: "Time zone",
  showAs: "Show Time As", reminderMinutes: "Reminder" };
// the input a field's error is about (lookups: the visible combobox)
const INPUTS = { whoId: "who", whatId: "what" };

function inputOf(field) { return $(INPUTS[field] || field); }

// One sentence for one server message about ``field``.
export function humanMessage(field, message) {
  const label = LABELS[field] || "This field";
  const text = plain(message);
  let match;
  if (/^Missing data for required field|^Field may not be null/.test(text)) {
    return `Enter the ${label.toLowerCase()}.`;
  }
  if ((match = /^Length must be between (\d+) and (\d+)\./.exec(text))) {
    return `${label} needs 1 to ${Number(match[2]).toLocaleString()} characters.`;
  }
  if ((match = /^(?:Longer than maximum length|Length must be at most) (\d+)\./.exec(text))) {
    return `${label} can have at most ${Number(match[1]).toLocaleString()} characters.`;
  }
  if (/^Not a valid date and time|needs an offset/.test(text)) {
    return `Enter the ${label.toLowerCase()} date and time.`;
  }
  if (/^Not a valid date \(/.test(text)) return `Enter the ${label.toLowerCase()} date.`;
  if (/^Not a valid (integer|boolean)|^Must be one of/.test(text)) return `Choose a ${label.toLowerCase()} from the list.`;
  if (/^Unknown field/.test(text)) return "The pane sent something the server does not know; reload the pane.";
  return text;
}

export function clearFieldError(field) {
  const slot = $(`${field}-error`);
  if (slot) slot.textContent = "";
  const input = inputOf(field);
  if (input) input.removeAttribute("aria-invalid");
}

export function clearErrors(root = document) {
  for (const node of root.querySelectorAll(".error")) node.textContent = "";
  for (const node of root.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
}

export function showFieldError(field, message) {
  const slot = $(`${field}-error`);
  if (!slot) return false;
  slot.textContent = message;
  const input = inputOf(field);
  if (input) input.setAttribute("aria-invalid", "true");
  return true;
}

// Every field error of an API error at its field (the rest in ``fallback``); focus on the
// first field in error. True when at least one field was blamed.
export function showErrors(error, fallback) {
  let placed = false;
  for (const [field, message] of Object.entries((error && error.fields) || {})) {
    if (showFieldError(field, humanMessage(field, message))) placed = true;
  }
  if (!placed && fallback) $(fallback).textContent = plain(error && error.message);
  /** @type {HTMLElement | null} */
  const first = document.querySelector("[aria-invalid=true]");
  if (first) first.focus();
  return placed;
}

// A field's error clears when that field changes.
export function clearOnEdit(form) {
  const clear = (event) => {
    const target = event.target;
    const field = target.dataset.field || target.name || target.id;
    const owner = Object.entries(INPUTS).find(([, id]) => id === target.id);
    clearFieldError(owner ? owner[0] : field);
    if (field === "start") clearFieldError("end");  // the end's "after the start" too
    $("form-error").textContent = "";
  };
  form.addEventListener("input", clear);
  form.addEventListener("change", clear);
}
