// The attendee editor of the pane: linked and unlinked attendees with their responses;
// add, remove, and "Create Contact" for an unlinked attendee, which opens a form prefilled
// by the server (names, Account from the email domain) that the rep edits before saving.
// Every action shows its progress on its own button, keeps the attendee controls disabled
// while its request runs (a second change made meanwhile would be sent from a stale list),
// and shows its error where the action was: nothing typed is cleared before the server
// has accepted it.
import { api } from "../shared/api.js";
import { $, element } from "../shared/dom.js";

const RESPONSES = { none: "no response yet", accepted: "accepted", declined: "declined",
  tentative: "tentative" };
const NEW_ACCOUNT = "new", NO_ACCOUNT = "";
let current = null;
let running = false;
/** @type {((view: any) => void) | null} what the result view does with a changed event */
let onChanged = null;

function slug(email) {
  return email.toLowerCase().replace(/[^a-z0-9]+/g, "-");
}

// Runs one attendee request: ``button`` shows ``progress`` and every attendee control is
// disabled until it is answered. Returns the answer, or throws the ApiError.
async function busy(button, progress, request) {
  const label = button.textContent;
  running = true;
  button.textContent = progress;
  button.setAttribute("aria-busy", "true");
  setControlsDisabled(true);
  try {
    return await request();
  } finally {
    running = false;
    button.textContent = label;
    button.removeAttribute("aria-busy");
    setControlsDisabled(false);
  }
}

/** @param {boolean} disabled */
function setControlsDisabled(disabled) {
  /** @type {NodeListOf<HTMLButtonElement | HTMLInputElement | HTMLSelectElement>} */
  const controls = document.querySelectorAll(
    "#attendees button, #attendees input, #attendees select, #cancel-box button");
  for (const control of controls) control.disabled = disabled;
}

function item(attendee) {
  const li = element("li", { "data-email": attendee.email });
  const who = element("span", { class: "who",
    text: attendee.name ? `${attendee.name} <${attendee.email}>` : attendee.email });
  const others = (attendee.record && attendee.record.alternatives) || [];
  const link = attendee.record ? `${attendee.record.type}: ${attendee.record.name}` +
    (others.length === 1 ? ` (another ${attendee.record.type} has this email)`
      : others.length > 1 ? ` (${others.length} other ${attendee.record.type}s have this email)` : "")
    : "Not in Salesforce";
  const state = attendee.held ? "invited in Salesforce, not yet in Outlook"
    : attendee.removedInSalesforce ? "removed in Salesforce" : RESPONSES[attendee.response] || attendee.response;
  const meta = element("span", { class: "meta", text: `${link} · ${state}` });
  const error = element("p", { class: "error", id: `attendee-${slug(attendee.email)}-error`,
    role: "alert" });
  li.append(who, meta);
  if (!attendee.record) {
    const create = element("button", { type: "button", class: "secondary",
      text: "Create Contact", "aria-label": `Create a Contact for ${attendee.email}`,
      "aria-describedby": error.id });
    create.addEventListener("click", () => openDraft(attendee, li, create, error));
    li.append(create);
  }
  const remove = element("button", { type: "button", class: "secondary", text: "Remove",
    "aria-label": `Remove ${attendee.email}`, "aria-describedby": error.id });
  remove.addEventListener("click", async () => {
    error.textContent = "";
    try {
      await busy(remove, "Removing…", () => save(current.attendees.filter((a) => a !== attendee)));
    } catch (failure) {
      error.textContent = firstMessage(failure);
    }
  });
  li.append(remove, error);
  return li;
}

function firstMessage(failure) {
  const fields = Object.values((failure && failure.fields) || {});
  return fields[0] || (failure && failure.message) || "Something went wrong; try again.";
}

/**
 * @param {any} view the event's API view (event, attendees...)
 * @param {((view: any) => void) | null} onChange
 */
export function showAttendees(view, onChange) {
  current = view;
  $("attendee-list").replaceChildren(...view.attendees.map(item));
  $("attendees-empty").hidden = view.attendees.length > 0;
  onChanged = onChange;
}

function changed(view) {
  showAttendees(view, onChanged);
  if (onChanged) onChanged(view);
}

async function save(attendees) {
  const view = await api("PUT", `/api/v1/events/${current.event.id}/attendees`, {
    body: { attendees: attendees.map((a) => ({ email: a.email, name: a.name || undefined,
      optional: a.optional || false })) } });
  changed(view);
  return view;
}

// -- "Create Contact": the draft, edited inline, then saved ------------------------------
async function openDraft(attendee, li, button, error) {
  error.textContent = "";
  let draft;
  try {
    const query = new URLSearchParams({ email: attendee.email, name: attendee.name || "",
      type: "Contact" });
    draft = await busy(button, "Loading…", () => api("GET", `/api/v1/records/draft?${query}`));
  } catch (failure) {
    error.textContent = firstMessage(failure);
    return;
  }
  button.hidden = true;
  const form = draftForm(attendee, draft, () => {
    form.remove();
    button.hidden = false;
    button.focus();
  });
  li.append(form);
  form.querySelector("input")?.focus();
}

function field(prefix, name, label, control) {
  const error = element("p", { class: "error", id: `${prefix}-${name}-error`, role: "alert" });
  control.id = `${prefix}-${name}`;
  control.name = name;
  control.setAttribute("aria-describedby", error.id);
  control.addEventListener("input", () => {  // a fixed field loses its stale error
    error.textContent = "";
    control.removeAttribute("aria-invalid");
  });
  const wrapper = element("div", { class: "field", "data-field": name },
    element("label", { for: control.id, text: label }), control, error);
  return wrapper;
}

function draftForm(attendee, draft, close) {
  const prefix = `draft-${slug(attendee.email)}`;
  const form = element("form", { class: "record-draft", novalidate: true,
    "aria-label": `New Salesforce record for ${attendee.email}` });
  form.style.flex = "1 1 100%";
  const type = element("select", {},
    element("option", { value: "Contact", text: "Contact" }),
    element("option", { value: "Lead", text: "Lead" }));
  const first = element("input", { value: draft.firstName, maxlength: 40,
    autocomplete: "off" });
  const last = element("input", { value: draft.lastName, maxlength: 80, required: true,
    autocomplete: "off" });
  const account = element("select", {});
  for (const choice of draft.accounts) {
    account.append(element("option", { value: choice.id, text: choice.name }));
  }
  if (draft.newAccountName) {
    account.append(element("option", { value: NEW_ACCOUNT,
      text: `New Account: ${draft.newAccountName}` }));
  }
  account.append(element("option", { value: NO_ACCOUNT, text: "No Account" }));
  const newAccountName = element("input", { value: draft.newAccountName || "", maxlength: 255,
    autocomplete: "off" });
  const company = element("input", { value: draft.company || draft.newAccountName ||
    (draft.account && draft.account.name) || "", maxlength: 255, autocomplete: "off" });
  const fields = {
    type: field(prefix, "type", "Save as", type),
    firstName: field(prefix, "firstName", "First name", first),
    lastName: field(prefix, "lastName", "Last name", last),
    accountId: field(prefix, "accountId", "Account", account),
    newAccountName: field(prefix, "newAccountName", "New Account name", newAccountName),
    company: field(prefix, "company", "Company", company),
  };
  const formError = element("p", { class: "error", id: `${prefix}-error`, role: "alert" });
  const submit = element("button", { type: "submit", text: "Save Contact" });
  const cancel = element("button", { type: "button", class: "secondary", text: "Cancel" });
  cancel.style.marginLeft = "8px";
  const layout = () => {
    const lead = type.value === "Lead";
    fields.accountId.hidden = lead;
    fields.newAccountName.hidden = lead || account.value !== NEW_ACCOUNT;
    fields.company.hidden = !lead;
    submit.textContent = lead ? "Save Lead" : "Save Contact";
  };
  type.addEventListener("change", layout);
  account.addEventListener("change", layout);
  layout();
  cancel.addEventListener("click", close);
  form.append(...Object.values(fields), formError, submit, cancel);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (running) return;
    clearErrors(form, formError);
    const lead = type.value === "Lead";
    const body = { eventId: current.event.id, email: attendee.email, type: type.value,
      firstName: first.value.trim(), lastName: last.value.trim() };
    if (lead) body.company = company.value.trim();
    else if (account.value === NEW_ACCOUNT) body.newAccountName = newAccountName.value.trim();
    else if (account.value) body.accountId = account.value;
    if (!body.lastName) {  // said at once, as the server would
      showFieldErrors(form, formError, { lastName: "Enter a last name." });
      return;
    }
    try {
      const created = await busy(submit, "Saving…", () => api("POST", "/api/v1/records", { body }));
      changed(created.event);
    } catch (failure) {
      showFieldErrors(form, formError, failure.fields || {}, failure.message);
    }
  });
  return form;
}

function clearErrors(form, formError) {
  formError.textContent = "";
  for (const control of form.querySelectorAll("[aria-invalid]")) {
    control.removeAttribute("aria-invalid");
  }
  for (const error of form.querySelectorAll(".field .error")) error.textContent = "";
}

// Each error at its field (all of them at once); the first wrong field gets the focus.
function showFieldErrors(form, formError, fields, message) {
  const unplaced = [];
  let first = null;
  for (const [name, text] of Object.entries(fields)) {
    const wrapper = form.querySelector(`[data-field="${name}"]`);
    if (!wrapper || wrapper.hidden) {
      unplaced.push(text);
      continue;
    }
    wrapper.querySelector(".error").textContent = text;
    const control = wrapper.querySelector("input, select");
    control.setAttribute("aria-invalid", "true");
    first = first || control;
  }
  if (unplaced.length || (!first && message)) {
    formError.textContent = unplaced.join(" ") || message;
  }
  if (first) first.focus();
}

// -- cancelling the event ----------------------------------------------------------------
async function cancelEvent() {
  $("cancel-error").textContent = "";
  let done;
  try {
    done = await busy($("cancel-yes"), "Cancelling…",
      () => api("DELETE", `/api/v1/events/${current.event.id}`));
  } catch (error) {
    $("cancel-error").textContent = error.message;
    return;
  }
  for (const id of ["attendees", "cancel-box", "mirror-text", "sync-text"]) $(id).hidden = true;
  $("record-link").parentElement.hidden = true;
  $("result-title").textContent = "Event cancelled";
  const told = done.cancellationsSentTo.length
    ? `Cancellation sent to ${done.cancellationsSentTo.join(", ")}.` : "Nobody needed telling.";
  const untold = done.notToldByAnyone.length
    ? ` Salesforce invited ${done.notToldByAnyone.join(", ")}; let them know yourself.` : "";
  $("cancelled-text").textContent = told + untold;
  $("cancelled-text").hidden = false;
}

export function resetCancel() {
  for (const id of ["attendees", "cancel-box", "mirror-text", "sync-text"]) $(id).hidden = false;
  $("record-link").parentElement.hidden = false;
  $("cancel-confirm").hidden = true;
  $("cancel-button").hidden = false;
  $("cancelled-text").hidden = true;
  $("cancel-error").textContent = "";
}

function showAddError(message) {
  $("attendee-error").textContent = message;
  if (message) $("attendee-email").setAttribute("aria-invalid", "true");
  else $("attendee-email").removeAttribute("aria-invalid");
}

export function setUpAttendeeForm() {
  // Office add-ins cannot use window.confirm: the pane asks inline.
  $("cancel-button").addEventListener("click", () => {
    $("cancel-button").hidden = true;
    $("cancel-confirm").hidden = false;
  });
  $("cancel-no").addEventListener("click", resetCancel);
  $("cancel-yes").addEventListener("click", cancelEvent);
  $("attendee-email").addEventListener("input", () => showAddError(""));
  $("attendee-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (running) return;
    const input = $("attendee-email");
    const email = input.value.trim();
    if (!email) {
      showAddError("Enter the attendee's email address.");
      input.focus();
      return;
    }
    showAddError("");
    try {
      await busy($("attendee-add"), "Adding…", () => save([...current.attendees, { email }]));
      input.value = "";  // only once the server has accepted it
    } catch (error) {
      showAddError(firstMessage(error));
      input.focus();
    }
  });
}
