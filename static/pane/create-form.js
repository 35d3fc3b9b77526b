// The Create form: its fields, the times typed as wall times in the zone the pane shows
// (the server converts: no browser-zone arithmetic), the lookups resolved before sending,
// field errors, and reset for "Create another".
//
// Other modules add a group of fields (e.g. Repeat) with registerFieldGroup(): the group's
// element goes into #create-form-extras, its payload() is merged into the request body and
// its reset() runs with the form's.
import { api, ApiError } from "../shared/api.js";
import { $, plain, setStatus } from "../shared/dom.js";
import { clearErrors, clearOnEdit, showErrors } from "./field-errors.js";
import { Lookup } from "./lookup.js";
import { nextHourSlot } from "./wall-time.js";
import { currentZone, resetZone } from "./zone-picker.js";

const groups = [];
const lookups = {};
let idempotencyKey = crypto.randomUUID();
/**
 * What the pane does when Create ends: shows the created event (with what was chosen),
 * the intent kept for Salesforce, the sign-in, or the Connect button.
 * @typedef {{ created: (view: any, chosen: object) => void, pending: (view: any) => void,
 *             signin: () => void, notConnected: (service: string) => void }} Handlers
 */
/** @type {Handlers} */
let handlers = { created: () => {}, pending: () => {}, signin: () => {}, notConnected: () => {} };

// group: { element, payload(body) -> extra fields, reset(), errorFields? }
export function registerFieldGroup(group) {
  groups.push(group);
  if (group.element) $("create-form-extras").append(group.element);
}

// Start at the next full hour in the pane's zone, 30 minutes long.
export function defaultTimes() {
  const slot = nextHourSlot(currentZone());
  $("start").value = slot.start;
  $("end").value = slot.end;
}

function setAllDay(allDay) {
  $("isAllDay").checked = allDay;
  for (const id of ["start", "end"]) {
    const input = $(id);
    const value = input.value;
    input.type = allDay ? "date" : "datetime-local";
    input.value = allDay ? value.slice(0, 10)
      : (value.length === 10 ? `${value}T${id === "start" ? "09:00" : "09:30"}` : value);
  }
}

export function payload() {
  const allDay = $("isAllDay").checked;
  const body = {
    subject: $("subject").value,
    start: $("start").value,  // a wall time (or a date) in timeZone, as typed
    end: $("end").value,
    isAllDay: allDay,
    timeZone: currentZone(),
    location: $("location").value,
    description: $("description").value,
    showAs: $("showAs").value,
    isPrivate: $("isPrivate").checked,
    reminderMinutes: $("reminderMinutes").value === "" ? null : Number($("reminderMinutes").value),
  };
  if ($("whoId").value) body.whoId = $("whoId").value;
  if ($("whatId").value) body.whatId = $("whatId").value;
  for (const group of groups) Object.assign(body, group.payload ? group.payload(body) : {});
  return body;
}

// What the person chose, for the result view (names, not ids).
function chosen() {
  return { zone: currentZone(), who: lookups.whoId.picked, what: lookups.whatId.picked };
}

// Missing values the browser can name before asking the server (all at once).
function localErrors(body) {
  const fields = {};
  if (!body.subject.trim()) fields.subject = "Enter a subject.";
  if (!body.start) fields.start = body.isAllDay ? "Enter the start date." : "Enter the start date and time.";
  if (!body.end) fields.end = body.isAllDay ? "Enter the end date." : "Enter the end date and time.";
  return fields;
}

async function submit() {
  clearErrors($("create-form"));
  const button = $("create-button");
  if (button.disabled) return;
  button.disabled = true;
  setStatus("Creating…");
  try {
    const resolved = await Promise.all(Object.values(lookups).map((l) => l.resolve()));
    const body = payload();
    const missing = localErrors(body);
    if (resolved.includes(false) || Object.keys(missing).length) {
      showErrors({ fields: missing });  // focus: the first field in error, lookups included
      setStatus("The event was not created: check the fields marked.");
      return;
    }
    const view = await api("POST", "/api/v1/events", {
      body, headers: { "Idempotency-Key": idempotencyKey } });
    if (view.intent) {  // 202: Salesforce has not confirmed yet; kept and created once
      setStatus(plain(view.sync.detail));
      return handlers.pending(view);
    }
    setStatus("");
    handlers.created(view, chosen());
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return handlers.signin();
    if (error instanceof ApiError && error.code === "not_connected") {
      handlers.notConnected(Object.keys(error.fields)[0] || "salesforce");
      error.fields = {};
    }
    showErrors(error, "form-error");
    setStatus("The event was not created.");
  } finally {
    button.disabled = false;
  }
}

export function resetForm() {
  idempotencyKey = crypto.randomUUID();
  $("create-form").reset();
  setAllDay(false);  // date-only pickers back to date and time
  clearErrors($("create-form"));
  for (const lookup of Object.values(lookups)) lookup.reset();
  for (const group of groups) if (group.reset) group.reset();
  resetZone();
  defaultTimes();
}

export function setLookup(target, record) { lookups[target].set(record); }
export function lookupPicked(target) { return lookups[target].picked; }

/** @param {Partial<Handlers>} on */
export function setUpCreateForm(on) {
  handlers = { ...handlers, ...on };
  const form = $("create-form");
  for (const field of form.querySelectorAll(".lookup")) {
    const lookup = new Lookup(field);
    lookups[lookup.target] = lookup;
  }
  $("isAllDay").addEventListener("change", () => setAllDay($("isAllDay").checked));
  $("create-button").addEventListener("click", submit);
  form.addEventListener("submit", (event) => { event.preventDefault(); submit(); });
  clearOnEdit(form);
  defaultTimes();
}
