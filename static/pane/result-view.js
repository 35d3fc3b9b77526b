// The result of Create: what was saved (date, time in the person's zone, location, Name,
// Related To), where it is (Salesforce link, calendar), then the attendee editor.
import { showAttendees } from "./attendees.js";
import { $, plain } from "../shared/dom.js";
import { zoneLabel } from "./zone-picker.js";

let chosen = {};

function formatDay(value, zone) {
  return new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short",
    year: "numeric", timeZone: zone }).format(value);
}

function formatTime(value, zone) {
  return new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit", timeZone: zone })
    .format(value);
}

// [label, text] rows of what was saved.
export function summaryRows(event, context) {
  const rows = [];
  if (event.isAllDay) {
    const day = (text) => new Date(`${text}T12:00:00Z`);
    const first = formatDay(day(event.start), "UTC");
    const last = event.end && event.end !== event.start ? formatDay(day(event.end), "UTC") : null;
    rows.push(["Date", last ? `${first} – ${last}` : first], ["Time", "All day"]);
  } else {
    const start = new Date(event.start);
    const end = new Date(event.end);
    const zone = context.zone || "UTC";
    const sameDay = formatDay(start, zone) === formatDay(end, zone);
    rows.push(["Date", sameDay ? formatDay(start, zone) : `${formatDay(start, zone)} – ${formatDay(end, zone)}`]);
    rows.push(["Time", `${formatTime(start, zone)} – ${formatTime(end, zone)} ${zoneLabel(zone)}`]);
  }
  if (event.location) rows.push(["Location", event.location]);
  const who = context.who && context.who.id === event.whoId ? context.who : null;
  const what = context.what && context.what.id === event.whatId ? context.what : null;
  if (event.whoId) rows.push(["Name", who ? `${who.name} (${who.type})` : event.whoId]);
  if (event.whatId) rows.push(["Related To", what ? `${what.name} (${what.type})` : event.whatId]);
  return rows;
}

function renderSummary(event) {
  $("result-summary").replaceChildren(...summaryRows(event, chosen).flatMap(([label, text]) => {
    const term = document.createElement("dt");
    term.textContent = label;
    const value = document.createElement("dd");
    value.textContent = text;
    value.dataset.field = label;
    return [term, value];
  }));
}

// ``context`` ({zone, who, what}) comes with a new event; attendee changes re-render
// without it (and without moving the focus).
export function showResult(view, context) {
  if (context) chosen = context;
  renderSummary(view.event);
  $("record-link").href = view.event.url;
  $("record-link").textContent = `Open "${view.event.subject}" in Salesforce`;
  const where = { graph: "Outlook", google: "Google", ews: "Exchange" }[view.mirror.provider];
  $("mirror-text").textContent = view.sync.state === "mirrored"
    ? (view.mirror.kind === "meeting" ? "In your calendar as a meeting; attendees are invited."
      : `Added to your calendar as an ${view.mirror.kind}.`)
    : `Saved in Salesforce; it will appear in your ${where} calendar shortly.`;
  $("sync-text").textContent = plain(view.sync.detail);
  showAttendees(view, (changed) => showResult(changed));
  if (context) {
    $("result-title").textContent = "Event created";
    $("result-title").focus();
  }
}
