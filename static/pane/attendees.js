// The attendee editor of the pane: linked and unlinked attendees with their responses;
// add, remove, and the one-click "create Contact" for an unlinked attendee.
import { api } from "./api.js";

const $ = (id) => document.getElementById(id);
const RESPONSES = { none: "no response yet", accepted: "accepted", declined: "declined",
  tentative: "tentative" };
let current = null;

function item(attendee) {
  const li = document.createElement("li");
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = attendee.name ? `${attendee.name} <${attendee.email}>` : attendee.email;
  const meta = document.createElement("span");
  meta.className = "meta";
  const others = (attendee.record && attendee.record.alternatives) || [];
  const link = attendee.record ? `${attendee.record.type}: ${attendee.record.name}` +
    (others.length === 1 ? ` (another ${attendee.record.type} has this email)`
      : others.length > 1 ? ` (${others.length} other ${attendee.record.type}s have this email)` : "")
    : "Not in Salesforce";
  const state = attendee.held ? "invited in Salesforce, not yet in Outlook"
    : attendee.removedInSalesforce ? "removed in Salesforce" : RESPONSES[attendee.response] || attendee.response;
  meta.textContent = `${link} · ${state}`;
  li.append(who, meta);
  if (!attendee.record) {
    const create = document.createElement("button");
    create.type = "button";
    create.className = "secondary";
    create.textContent = "Create Contact";
    create.setAttribute("aria-label", `Create a Contact for ${attendee.email}`);
    create.addEventListener("click", () => createContact(attendee));
    li.append(create);
  }
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "secondary";
  remove.textContent = "Remove";
  remove.setAttribute("aria-label", `Remove ${attendee.email}`);
  remove.addEventListener("click", () => save(current.attendees.filter((a) => a !== attendee)));
  li.append(remove);
  return li;
}

export function showAttendees(view, onChange) {
  current = view;
  $("attendee-list").replaceChildren(...view.attendees.map(item));
  $("attendees-empty").hidden = view.attendees.length > 0;
  showAttendees.onChange = onChange;
}

async function save(attendees) {
  $("attendee-error").textContent = "";
  try {
    const view = await api("PUT", `/api/v1/events/${current.event.id}/attendees`, {
      body: { attendees: attendees.map((a) => ({ email: a.email, name: a.name || undefined,
        optional: a.optional || false })) } });
    showAttendees(view, showAttendees.onChange);
    if (showAttendees.onChange) showAttendees.onChange(view);
  } catch (error) {
    const fields = Object.values(error.fields || {});
    $("attendee-error").textContent = fields[0] || error.message;
  }
}

async function createContact(attendee) {
  const local = attendee.email.split("@")[0];
  const [first, ...rest] = (attendee.name || local).split(/\s+/);
  try {
    const created = await api("POST", "/api/v1/records", { body: {
      eventId: current.event.id, email: attendee.email, type: "Contact",
      firstName: rest.length ? first : "", lastName: rest.length ? rest.join(" ") : first } });
    showAttendees(created.event, showAttendees.onChange);
    if (showAttendees.onChange) showAttendees.onChange(created.event);
  } catch (error) {
    $("attendee-error").textContent = error.message;
  }
}

async function cancelEvent() {
  $("cancel-error").textContent = "";
  try {
    const done = await api("DELETE", `/api/v1/events/${current.event.id}`);
    for (const id of ["attendees", "cancel-box", "mirror-text", "sync-text"]) $(id).hidden = true;
    $("record-link").parentElement.hidden = true;
    $("result-title").textContent = "Event cancelled";
    const told = done.cancellationsSentTo.length
      ? `Cancellation sent to ${done.cancellationsSentTo.join(", ")}.` : "Nobody needed telling.";
    const untold = done.notToldByAnyone.length
      ? ` Salesforce invited ${done.notToldByAnyone.join(", ")}; let them know yourself.` : "";
    $("cancelled-text").textContent = told + untold;
    $("cancelled-text").hidden = false;
  } catch (error) {
    $("cancel-error").textContent = error.message;
  }
}

export function resetCancel() {
  for (const id of ["attendees", "cancel-box", "mirror-text", "sync-text"]) $(id).hidden = false;
  $("record-link").parentElement.hidden = false;
  $("cancel-confirm").hidden = true;
  $("cancel-button").hidden = false;
  $("cancelled-text").hidden = true;
  $("cancel-error").textContent = "";
}

export function setUpAttendeeForm() {
  // Office add-ins cannot use window.confirm: the pane asks inline.
  $("cancel-button").addEventListener("click", () => {
    $("cancel-button").hidden = true;
    $("cancel-confirm").hidden = false;
  });
  $("cancel-no").addEventListener("click", resetCancel);
  $("cancel-yes").addEventListener("click", cancelEvent);
  $("attendee-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const email = $("attendee-email").value.trim();
    if (!email) return;
    $("attendee-email").value = "";
    save([...current.attendees, { email }]);
  });
}
