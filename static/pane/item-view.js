// The open item view: the pane opened on a calendar item shows the Salesforce Event
// mirrored from it (or offers to save the item to Salesforce), its attendees with their
// link and response; on an email or an item, the participants' Salesforce records. Also
// the link to the person's sync status page. Switched on by one call in pane.js.
import { api, ApiError } from "../shared/api.js";
import { element } from "../shared/dom.js";
import { itemPeople } from "./office.js";

const RESPONSES = { accepted: "Accepted", declined: "Declined", tentative: "Tentative",
                    none: "No response yet" };

async function participants(item) {
  const { senders, recipients } = await itemPeople(item);
  const found = [...senders, ...recipients];
  return [...new Map(found.map((address) => [address.toLowerCase(), address])).values()];
}

function restId(mailbox, itemId) {
  if (typeof mailbox.convertToRestId !== "function") return itemId;
  const enums = window.Office.MailboxEnums || {};
  const version = (enums.RestVersion || {}).v2_0 || "v2.0";
  return mailbox.convertToRestId(itemId, version);
}

function when(event) {
  if (event.isAllDay) return event.start === event.end ? event.start : `${event.start} – ${event.end}`;
  const start = new Date(event.start), end = new Date(event.end);
  const day = start.toLocaleDateString(undefined, { weekday: "short", day: "numeric", month: "short", year: "numeric" });
  const time = (moment) => moment.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  return `${day}, ${time(start)} – ${time(end)}`;
}

function attendeeRow(attendee) {
  const record = attendee.record
    ? `${attendee.record.type}: ${attendee.record.name || attendee.record.id}`
    : "Not in Salesforce";
  return element("li", {},
    element("span", { class: "who" }, attendee.name || attendee.email),
    attendee.name && attendee.name !== attendee.email
      ? element("span", { class: "meta" }, attendee.email) : null,
    element("span", { class: attendee.record ? "meta linked" : "meta unlinked" }, record),
    element("span", { class: "meta" }, RESPONSES[attendee.response] || attendee.response));
}

function renderMirror(box, view) {
  const event = view.event;
  const attendees = view.attendees || [];
  box.replaceChildren(
    element("p", { class: "item-state" }, "In Salesforce"),
    element("p", { class: "item-subject" }, event.subject),
    element("p", { class: "meta" }, when(event)),
    event.location ? element("p", { class: "meta" }, event.location) : null,
    element("p", {}, element("a", { href: event.url, target: "_blank", rel: "noopener",
                                    id: "item-record-link" }, "Open in Salesforce")),
    element("h3", { id: "item-attendees-title" }, "Attendees"),
    attendees.length
      ? element("ul", { class: "attendees", id: "item-attendees",
                        "aria-labelledby": "item-attendees-title" },
                ...attendees.map(attendeeRow))
      : element("p", { class: "hint" }, "No attendees: an appointment."));
}

function offerSave(box, itemId, timeZone) {
  const error = element("p", { class: "error", role: "alert", id: "item-save-error" });
  const button = element("button", { type: "button", id: "item-save-button" },
    "Save to Salesforce");
  button.addEventListener("click", async () => {
    button.disabled = true;
    button.textContent = "Saving…";
    error.textContent = "";
    try {
      const body = { itemId };
      if (timeZone) body.timeZone = timeZone;
      renderMirror(box, await api("POST", "/api/v1/mirrors", { body }));
      box.querySelector(".item-state").setAttribute("tabindex", "-1");
      box.querySelector(".item-state").focus();
    } catch (failure) {
      error.textContent = failure.message;
      button.disabled = false;
      button.textContent = "Save to Salesforce";
    }
  });
  box.replaceChildren(
    element("p", { class: "item-state" }, "Not in Salesforce yet"),
    element("p", { class: "hint" }, "Save this meeting as a Salesforce Event; its attendees " +
      "are linked to their records and kept in sync. Nobody is emailed."),
    button, error);
}

function renderPeople(list, context) {
  list.replaceChildren(...context.participants.filter((p) => !p.ignored).map((person) => {
    const records = person.records.length
      ? person.records.map((r) => `${r.type}: ${r.name}${r.account ? " · " + r.account : ""}`)
          .join("; ")
      : "No Salesforce record";
    return element("li", {}, element("span", { class: "who" }, person.email),
      element("span", { class: person.records.length ? "meta linked" : "meta unlinked" },
              records));
  }));
}

// Opened on a meeting, the pane is about that meeting (its Event, or saving it): the Create
// form would make a second event, so it waits behind a button.
function offerCreateInstead(section) {
  const form = document.getElementById("create-form");
  if (!form) return;
  form.hidden = true;
  const button = element("button", { type: "button", class: "secondary", id: "create-instead" },
    "New event instead");
  button.addEventListener("click", () => {
    form.hidden = false;
    button.remove();
    const subject = document.getElementById("subject");
    if (subject) subject.focus();
  });
  section.append(element("p", {}, button));
}

export async function openItemView() {
  if (document.getElementById("item-view")) return;
  if (!document.querySelector("link[href='/static/pane/item-view.css']")) {
    document.head.append(element("link", { rel: "stylesheet",
                                            href: "/static/pane/item-view.css" }));
  }
  const section = element("section", { id: "item-view", "aria-labelledby": "item-view-title" });
  const title = element("h2", { id: "item-view-title" }, "This item");
  const mirror = element("div", { id: "item-mirror", "aria-live": "polite" });
  const people = element("ul", { class: "attendees", id: "item-people",
                                 "aria-labelledby": "item-people-title" });
  const peopleBox = element("div", { hidden: "" }, element("h3", { id: "item-people-title" },
    "People in Salesforce"), people);
  const footer = element("p", { class: "hint" },
    element("a", { href: "/status", id: "status-link" }, "Sync status"));
  section.append(title, mirror, peopleBox, footer);
  const main = document.querySelector("main");
  if (!main) return;
  const header = main.querySelector("header");
  if (header) header.after(section); else main.prepend(section);
  // signed out (or back to a setup step): the item's Salesforce data goes away with it
  const gates = ["signin", "consent", "onboarding"].map((id) => document.getElementById(id))
    .filter((gate) => gate !== null);
  const follow = () => { if (gates.some((gate) => !gate.hidden)) section.remove(); };
  const observer = new MutationObserver(follow);
  for (const gate of gates) observer.observe(gate, { attributes: true, attributeFilter: ["hidden"] });

  const mailbox = window.Office && window.Office.context && window.Office.context.mailbox;
  const item = mailbox && mailbox.item;
  if (!item) {
    title.hidden = true;
    return;
  }
  const appointment = String(item.itemType || "").toLowerCase() === "appointment";
  title.textContent = appointment ? "This meeting" : "This email";
  if (appointment) offerCreateInstead(section);
  // on an email the Create form (then its result) is what the pane is for: the heading
  // leads into it, and the email's people in Salesforce come last
  else main.append(section);
  const me = ((mailbox.userProfile || {}).emailAddress || "").toLowerCase();
  let mirrored = false;  // a mirrored meeting's attendees already show their records
  if (appointment) {
    if (!item.itemId) {
      mirror.append(element("p", { class: "hint" }, "Save the meeting in Outlook first."));
    } else {
      // Graph knows the item by its REST-formatted id; Exchange Server (EWS) by itemId itself
      let provider = null;
      try { provider = (await api("GET", "/api/v1/me")).user.calendarProvider; } catch { /* below */ }
      const itemId = provider === "ews" ? item.itemId : restId(mailbox, item.itemId);
      try {
        renderMirror(mirror, await api("GET", `/api/v1/mirrors?${new URLSearchParams({ itemId })}`));
        mirrored = true;
      } catch (failure) {
        if (failure instanceof ApiError && failure.code === "not_mirrored") {
          offerSave(mirror, itemId, (mailbox.userProfile || {}).timeZone);
        } else {
          mirror.append(element("p", { class: "error", role: "alert" }, failure.message));
        }
      }
    }
  }
  const emails = (await participants(item)).filter((address) => address.toLowerCase() !== me);
  if (!emails.length || mirrored) return;
  try {
    renderPeople(people, await api("GET", `/api/v1/context?${new URLSearchParams({ emails: emails.join(",") })}`));
    peopleBox.hidden = people.children.length === 0;
  } catch (failure) {
    peopleBox.hidden = false;
    people.replaceChildren(element("li", { class: "error" }, failure.message));
  }
}
