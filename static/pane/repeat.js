// Repeat in the Create dialog: daily, weekly on chosen days, monthly, or a custom RRULE;
// ends never, on a date or after N. The API gets an RFC 5545 RRULE in `recurrence` and
// answers 400 naming `recurrence` (shown in #recurrence-error) for a rule it cannot keep.
import { $, element } from "../shared/dom.js";

const DAYS = [["MO", "Mon"], ["TU", "Tue"], ["WE", "Wed"], ["TH", "Thu"], ["FR", "Fri"],
  ["SA", "Sat"], ["SU", "Sun"]];
const CODES = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"];  // Date.getDay() order

function labelled(id, text, input) {
  return element("span", { class: "inline" }, input, element("label", { for: id, text }));
}

// The rule for what the person chose; null when the event does not repeat.
// `choice`: {frequency, days, custom, ends, until, count}; `start`: the start field's value
// ("YYYY-MM-DD" or "YYYY-MM-DDTHH:MM").
export function buildRule(choice, start) {
  if (!choice.frequency || choice.frequency === "none") return null;
  if (choice.frequency === "custom") {
    const text = (choice.custom || "").trim();
    return text || null;
  }
  const parts = [`FREQ=${choice.frequency.toUpperCase()}`];
  if (choice.frequency === "weekly") {
    let days = choice.days || [];
    if (!days.length && start) days = [CODES[new Date(`${start.slice(0, 10)}T12:00`).getDay()]];
    if (days.length) parts.push(`BYDAY=${days.join(",")}`);
  }
  if (choice.ends === "until" && choice.until) parts.push(`UNTIL=${choice.until.replaceAll("-", "")}`);
  if (choice.ends === "count" && choice.count) parts.push(`COUNT=${Number(choice.count)}`);
  return `RRULE:${parts.join(";")}`;
}

function chosen() {
  return {
    frequency: $("repeat").value,
    days: DAYS.map(([code]) => code).filter((code) => $(`repeat-day-${code}`).checked),
    custom: $("recurrence-custom").value,
    ends: /** @type {HTMLInputElement | null} */ (
      document.querySelector("input[name=repeat-ends]:checked"))?.value || "never",
    until: $("repeat-until").value,
    count: $("repeat-count").value,
  };
}

// The `recurrence` for the create request (null: a single event).
export function repeatRule(start) {
  return buildRule(chosen(), start);
}

function refresh() {
  const frequency = $("repeat").value;
  $("repeat-days").hidden = frequency !== "weekly";
  $("repeat-custom").hidden = frequency !== "custom";
  $("repeat-ends").hidden = frequency === "none" || frequency === "custom";
  const ends = chosen().ends;
  $("repeat-until").disabled = ends !== "until";
  $("repeat-count").disabled = ends !== "count";
}

// The Repeat widgets as a field group of the Create form (create-form.js
// registerFieldGroup): its element, the request's `recurrence`, its reset.
export function repeatGroup() {
  const field = buildRepeatField();
  return {
    element: field,
    payload: () => {
      const rule = repeatRule($("start").value);
      return rule ? { recurrence: rule } : {};
    },
    reset: resetRepeat,
    errorFields: ["recurrence"],
  };
}

function buildRepeatField() {
  const select = element("select", { id: "repeat", name: "repeat",
    "aria-describedby": "recurrence-error" });
  for (const [value, text] of [["none", "Does not repeat"], ["daily", "Daily"],
    ["weekly", "Weekly on…"], ["monthly", "Monthly"], ["custom", "Custom (RRULE)"]]) {
    select.append(element("option", { value, text }));
  }
  const days = element("fieldset", { id: "repeat-days", hidden: true },
    element("legend", { text: "On" }));
  for (const [code, text] of DAYS) {
    days.append(labelled(`repeat-day-${code}`, text, element("input", {
      type: "checkbox", id: `repeat-day-${code}`, value: code })));
  }
  const custom = element("div", { id: "repeat-custom", class: "field", hidden: true },
    element("label", { for: "recurrence-custom", text: "Rule" }),
    element("input", { id: "recurrence-custom", placeholder: "FREQ=WEEKLY;BYDAY=TU;COUNT=10",
      autocomplete: "off", "aria-describedby": "recurrence-error" }));
  const ends = element("fieldset", { id: "repeat-ends", hidden: true },
    element("legend", { text: "Ends" }));
  for (const [value, text] of [["never", "Never"], ["until", "On"], ["count", "After"]]) {
    ends.append(labelled(`repeat-ends-${value}`, text, element("input", {
      type: "radio", name: "repeat-ends", id: `repeat-ends-${value}`, value,
      checked: value === "never" })));
    if (value === "until") {
      ends.append(element("input", { type: "date", id: "repeat-until",
        "aria-label": "Last day", disabled: true }));
    } else if (value === "count") {
      ends.append(element("input", { type: "number", id: "repeat-count", min: "1",
        max: "999", value: "10", "aria-label": "Occurrences", disabled: true }));
    }
  }
  const field = element("div", { class: "field", id: "repeat-field" },
    element("label", { for: "repeat", text: "Repeat" }), select, days, custom, ends,
    element("p", { class: "error", id: "recurrence-error", role: "alert" }));
  field.addEventListener("change", refresh);
  return field;
}

export function resetRepeat() {
  if ($("repeat-field")) refresh();
}
