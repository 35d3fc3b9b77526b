// The Outlook pane: sign-in, first-run onboarding, and the Create dialog.
import { api, ApiError, sandboxUsers } from "./api.js";
import { resetCancel, setUpAttendeeForm, showAttendees } from "./attendees.js";
import { restoreSession, signIn, signOut, useProductToken } from "./auth.js";
import { connect } from "./connect.js";
import { readOpenItem } from "./office.js";

const $ = (id) => document.getElementById(id);
let idempotencyKey = crypto.randomUUID();
let timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

function pad(n) { return String(n).padStart(2, "0"); }
function localInput(date) {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function setStatus(text) { $("status").textContent = text || ""; }

function clearErrors() {
  for (const node of document.querySelectorAll(".error")) node.textContent = "";
  for (const node of document.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
}

function showErrors(error) {
  clearErrors();
  let placed = false;
  for (const [field, message] of Object.entries(error.fields || {})) {
    const slot = $(`${field}-error`);
    if (slot) {
      slot.textContent = message;
      const input = $(field === "whoId" ? "who" : field === "whatId" ? "what" : field);
      if (input) input.setAttribute("aria-invalid", "true");
      placed = true;
    }
  }
  if (!placed) $("form-error").textContent = error.message;
  const first = document.querySelector("[aria-invalid=true]");
  if (first) first.focus();
}

function defaultTimes() {
  const start = new Date();
  start.setMinutes(0, 0, 0);
  start.setHours(start.getHours() + 1);
  $("start").value = localInput(start);
  $("end").value = localInput(new Date(start.getTime() + 30 * 60000));
}

function toggleAllDay() {
  const allDay = $("isAllDay").checked;
  for (const id of ["start", "end"]) {
    const input = $(id);
    const value = input.value;
    input.type = allDay ? "date" : "datetime-local";
    input.value = allDay ? value.slice(0, 10) : (value.length === 10 ? `${value}T09:00` : value);
  }
}

function payload() {
  const allDay = $("isAllDay").checked;
  const time = (value) => (allDay ? value : (value ? new Date(value).toISOString() : ""));
  const body = {
    subject: $("subject").value,
    start: time($("start").value),
    end: time($("end").value),
    isAllDay: allDay,
    timeZone,
    location: $("location").value,
    description: $("description").value,
    showAs: $("showAs").value,
    isPrivate: $("isPrivate").checked,
    reminderMinutes: $("reminderMinutes").value === "" ? null : Number($("reminderMinutes").value),
  };
  if ($("whoId").value) body.whoId = $("whoId").value;
  if ($("whatId").value) body.whatId = $("whatId").value;
  return body;
}

function lookup(field) {
  const input = field.querySelector("input[role=combobox]");
  const hidden = $(field.dataset.target);
  const list = field.querySelector("[role=listbox]");
  let timer = null;
  const close = () => { list.hidden = true; input.setAttribute("aria-expanded", "false"); };
  const choose = (record) => {
    input.value = record.name;
    hidden.value = record.id;
    close();
  };
  input.addEventListener("input", () => {
    hidden.value = "";
    clearTimeout(timer);
    const q = input.value.trim();
    if (q.length < 2) return close();
    timer = setTimeout(async () => {
      try {
        const params = new URLSearchParams({ q, types: field.dataset.types });
        const records = await api("GET", `/api/v1/records?${params}`);
        list.replaceChildren(...records.map((record) => {
          const option = document.createElement("li");
          option.setAttribute("role", "option");
          option.tabIndex = 0;
          option.dataset.id = record.id;
          option.append(record.name);
          const type = document.createElement("span");
          type.className = "type";
          type.textContent = ` ${record.type}${record.account ? " · " + record.account : ""}`;
          option.append(type);
          option.addEventListener("click", () => choose(record));
          option.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); choose(record); } });
          return option;
        }));
        list.hidden = records.length === 0;
        input.setAttribute("aria-expanded", String(records.length > 0));
      } catch (error) {
        setStatus(error.message);
      }
    }, 250);
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" && !list.hidden && list.firstElementChild) {
      e.preventDefault();
      list.firstElementChild.focus();
    } else if (e.key === "Escape") close();
  });
}

async function prefill() {
  const item = await readOpenItem();
  if (item.timeZone) timeZone = item.timeZone;
  $("zone-hint").textContent = `Times are in ${timeZone}.`;
  if (item.subject) $("subject").value = item.subject;
  const emails = [item.sender, ...(item.recipients || [])].filter(
    (email) => email && email !== item.me);
  if (!emails.length) return;
  try {
    const params = new URLSearchParams({ emails: emails.join(",") });
    const context = await api("GET", `/api/v1/context?${params}`);
    const match = context.participants.flatMap((p) => p.records)
      .find((r) => r.type === "Contact" || r.type === "Lead");
    if (match) {
      $("who").value = match.name;
      $("whoId").value = match.id;
    }
  } catch (error) {
    setStatus(`Could not look up the participants: ${error.message}`);
  }
}

async function submit(event) {
  event.preventDefault();
  clearErrors();
  const button = $("create-button");
  button.disabled = true;
  setStatus("Creating…");
  try {
    const view = await api("POST", "/api/v1/events", {
      body: payload(), headers: { "Idempotency-Key": idempotencyKey } });
    if (view.intent) {  // 202: Salesforce has not confirmed yet; kept and created once
      setStatus(view.sync.detail);
      return;
    }
    showResult(view);
    setStatus("");
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return showSignin();
    if (error instanceof ApiError && error.code === "not_connected") {
      offerConnect(Object.keys(error.fields)[0] || "salesforce");
    }
    showErrors(error);
    setStatus("The event was not created.");
  } finally {
    button.disabled = false;
  }
}

function offerConnect(service) {
  const button = document.createElement("button");
  button.type = "button";
  button.id = "connect-button";
  button.textContent = `Connect ${service === "salesforce" ? "Salesforce" : service}`;
  button.addEventListener("click", async () => {
    const ok = await connect(service);
    setStatus(ok ? "Connected. Press Create again." : "Not connected yet.");
    if (ok) button.remove();
  });
  $("form-error").after(button);
}

function showResult(view) {
  $("create-form").hidden = true;
  $("result").hidden = false;
  $("record-link").href = view.event.url;
  $("record-link").textContent = `Open "${view.event.subject}" in Salesforce`;
  const where = { graph: "Outlook", google: "Google", ews: "Exchange" }[view.mirror.provider];
  $("mirror-text").textContent = view.sync.state === "mirrored"
    ? (view.mirror.kind === "meeting" ? "In your calendar as a meeting; attendees are invited."
      : `Added to your calendar as an ${view.mirror.kind}.`)
    : `Saved in Salesforce; it will appear in your ${where} calendar shortly.`;
  $("sync-text").textContent = view.sync.detail || "";
  $("result-title").textContent = "Event created";
  showAttendees(view, showResult);
  $("result-title").focus();
}

const SECTIONS = ["signin", "consent", "onboarding", "create-form", "result"];
const SERVICE_NAMES = { salesforce: "Salesforce", graph: "Microsoft 365", google: "Google" };

function show(id) {
  for (const section of SECTIONS) $(section).hidden = section !== id;
}

async function showSignin() {
  $("account").hidden = true;
  $("title").textContent = "Create Event";
  show("signin");
  if (document.body.dataset.sandbox !== "true") return;
  const users = await sandboxUsers();
  $("sandbox-signin").hidden = users.length === 0;
  $("sandbox-user").replaceChildren(...users.map((user) => {
    const option = document.createElement("option");
    option.value = user.token;
    option.textContent = `${user.name} (${user.provider}, ${user.experience})`;
    return option;
  }));
}

function showForm() {
  $("title").textContent = "Create Event";
  show("create-form");
}

function showAccount(me) {
  $("account").hidden = false;
  $("account-name").textContent = me.user.name || me.user.email;
  $("account-org").textContent = me.organization.name ? ` · ${me.organization.name}` : "";
}

// Who is signed in and what is left to set up; then the Create dialog.
async function enter() {
  let me;
  try {
    me = await api("GET", "/api/v1/me");
  } catch (error) {
    if (error instanceof ApiError && error.code === "consent_required") {
      $("consent-text").textContent = error.message;
      $("title").textContent = "Almost there";
      return show("consent");
    }
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      await showSignin();
      $("signin-error").textContent = error.message;
      return;
    }
    setStatus(error.message);
    return;
  }
  showAccount(me);
  const service = me.next === "connect_salesforce" ? "salesforce"
    : me.next === "connect_calendar" ? me.user.calendarProvider : null;
  if (service) {
    const name = SERVICE_NAMES[service] || service;
    $("title").textContent = "Set up";
    $("onboarding-title").textContent = `Welcome, ${(me.user.name || me.user.email).split(" ")[0]}`;
    $("onboarding-text").textContent = `Connect your ${name} account once; then you create ` +
      "Salesforce events from any email.";
    $("onboarding-button").textContent = `Connect ${name}`;
    $("onboarding-button").dataset.service = service;
    // Exchange Server has no OAuth here: its server, user name and password, checked by
    // the backend with one request before they are stored (encrypted)
    $("onboarding-button").hidden = service === "ews";
    $("exchange-form").hidden = service !== "ews";
    if (service === "ews") $("exchange-username").value ||= me.user.email;
    return show("onboarding");
  }
  showForm();
  await prefill();
  // [status helper, issue #14] the open item view and the sync status link
  import("./item-view.js").then((view) => view.openItemView()).catch(() => {});
}

async function connectExchange(event) {
  event.preventDefault();
  const fields = { serverUrl: "exchange-server", username: "exchange-username",
                   password: "exchange-password" };
  for (const id of Object.values(fields)) $(`${id}-error`).textContent = "";
  $("onboarding-error").textContent = "";
  const button = $("exchange-button");
  button.disabled = true;
  button.textContent = "Connecting…";
  const body = { username: $("exchange-username").value.trim(),
                 password: $("exchange-password").value };
  if ($("exchange-server").value.trim()) body.serverUrl = $("exchange-server").value.trim();
  try {
    await api("POST", "/api/v1/connections/ews", { body });
    $("exchange-password").value = "";
    setStatus("Exchange connected.");
    await enter();
  } catch (error) {
    const blamed = (error instanceof ApiError && error.fields) || {};
    for (const [name, message] of Object.entries(blamed)) {
      if (fields[name]) $(`${fields[name]}-error`).textContent = message;
    }
    if (!Object.keys(blamed).some((name) => fields[name])) {
      $("onboarding-error").textContent = error.message || String(error);
    }
  } finally {
    button.disabled = false;
    button.textContent = "Connect Exchange";
  }
}

async function startSignIn(options) {
  $("signin-error").textContent = "";
  try {
    await signIn(options);
    await enter();
  } catch (error) {
    await showSignin();
    $("signin-error").textContent = error.message || String(error);
  }
}

async function start() {
  defaultTimes();
  $("isAllDay").addEventListener("change", toggleAllDay);
  $("create-form").addEventListener("submit", submit);
  $("another-button").addEventListener("click", () => {
    idempotencyKey = crypto.randomUUID();
    $("create-form").reset();
    resetCancel();
    defaultTimes();
    showForm();
  });
  $("microsoft-signin-button").addEventListener("click", () => startSignIn());
  $("consent-button").addEventListener("click", () => startSignIn({ consent: true }));
  $("signin-button").addEventListener("click", async () => {
    useProductToken($("sandbox-user").value);
    await enter();
  });
  $("signout-button").addEventListener("click", async () => {
    await signOut();
    setStatus("Signed out.");
    await showSignin();
  });
  $("onboarding-button").addEventListener("click", async () => {
    const service = $("onboarding-button").dataset.service;
    $("onboarding-error").textContent = "";
    const ok = await connect(service).catch(() => false);
    if (!ok) {
      $("onboarding-error").textContent = "Not connected yet. Try again.";
      return;
    }
    setStatus(`${SERVICE_NAMES[service] || service} connected.`);
    await enter();
  });
  $("exchange-form").addEventListener("submit", connectExchange);
  for (const field of document.querySelectorAll(".lookup")) lookup(field);
  setUpAttendeeForm();
  const token = await restoreSession();
  if (!token) return showSignin();
  await enter();
}

start();
