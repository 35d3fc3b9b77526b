// The Outlook pane: who is signed in, first-run onboarding, the Create form and its
// result. The pieces live in their own modules (create-form, lookup, zone-picker,
// result-view, onboarding, theme); this one moves between the screens.
import { api, ApiError, sandboxUsers } from "../shared/api.js";
import { resetCancel, setUpAttendeeForm } from "./attendees.js";
import { restoreSession, signIn, signOut, useProductToken } from "../shared/auth.js";
import {
  defaultTimes, registerFieldGroup, resetForm, setLookup, setUpCreateForm,
} from "./create-form.js";
import { $, plain, setStatus } from "../shared/dom.js";
import { clearFieldError } from "./field-errors.js";
import { officeArrivedLate, readOpenItem } from "./office.js";
import { repeatGroup } from "./repeat.js";  // Repeat (issue #12)
import { offerConnect, setUpOnboarding, showOnboarding } from "./onboarding.js";
import { showResult } from "./result-view.js";
import { applyTheme } from "./theme.js";
import { initZone } from "./zone-picker.js";

const SCREENS = { signin: "Sign in", consent: "Almost there", onboarding: "Set up",
  "create-form": "New Salesforce event", result: null };  // result: its own heading

function show(id) {
  for (const section of Object.keys(SCREENS)) $(section).hidden = section !== id;
  $("title").hidden = !SCREENS[id];
  $("title").textContent = SCREENS[id] || "";
  document.title = `Salesforce: ${SCREENS[id] || $("result-title").textContent}`;
}

async function showSignin() {
  $("account").hidden = true;
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

function showAccount(me) {
  $("account").hidden = false;
  $("account-name").textContent = me.user.name || me.user.email;
  const org = me.organization && me.organization.name;
  $("account-org").textContent = org ? ` · ${org}` : "";
  $("account").title = me.user.email;
}

// An Account of that exact name (Related To from the participants' company), or null.
async function accountNamed(name) {
  const params = new URLSearchParams({ q: name, types: "Account" });
  const found = await api("GET", `/api/v1/records?${params}`);
  const exact = found.filter((r) => r.name.toLowerCase() === name.toLowerCase());
  return exact.length === 1 ? exact[0] : null;
}

// The open item fills in the form: subject, the mailbox's zone, Name from a participant
// (a Contact or Lead) and Related To from that participant's Account.
async function prefill() {
  const before = $("start").value;
  const item = await readOpenItem();
  await initZone(item.timeZone);
  if ($("start").value === before) defaultTimes();  // untouched: the next hour in that zone
  if (item.subject && !$("subject").value) {
    $("subject").value = item.subject;
    clearFieldError("subject");  // "Enter a subject" said before the item was read
  }
  const emails = [item.sender, ...(item.recipients || [])].filter(
    (email) => email && email !== item.me);
  if (!emails.length) return;
  try {
    const params = new URLSearchParams({ emails: emails.join(",") });
    const context = await api("GET", `/api/v1/context?${params}`);
    const records = context.participants.flatMap((p) => p.records);
    const person = records.find((r) => r.type === "Contact" || r.type === "Lead");
    if (person && !$("who").value) setLookup("whoId", person);
    const company = (person && person.account) || (records.find((r) => r.account) || {}).account;
    if (company && !$("what").value) {
      const account = await accountNamed(company);
      if (account) setLookup("whatId", account);
    }
  } catch (error) {
    setStatus(`Could not look up the participants: ${plain(error.message)}`);
  }
}

// Who is signed in and what is left to set up; then the Create form.
async function enter() {
  let me;
  try {
    me = await api("GET", "/api/v1/me");
  } catch (error) {
    if (error instanceof ApiError && error.code === "consent_required") {
      $("consent-text").textContent = plain(error.message);
      return show("consent");
    }
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      await showSignin();
      $("signin-error").textContent = plain(error.message);
      return;
    }
    setStatus(plain(error.message));
    return;
  }
  showAccount(me);
  const service = me.next === "connect_salesforce" ? "salesforce"
    : me.next === "connect_calendar" ? me.user.calendarProvider : null;
  if (service) {
    showOnboarding(me, service);
    return show("onboarding");
  }
  show("create-form");
  await prefill();
  // [status helper, issue #14] the open item view and the sync status link
  import("./item-view.js").then((view) => view.openItemView()).catch(itemViewFailed);
  readLateOffice();
}

// Office.js arriving after the pane went on without it: if the person has not touched the
// form yet, the open item fills it in after all (and the item view shows the item);
// anything typed or chosen meanwhile stays as it is.
let untouched = true;
let waitingForOffice = false;
function readLateOffice() {
  if (waitingForOffice) return;
  waitingForOffice = true;
  const form = $("create-form");
  const touched = () => { untouched = false; };
  form.addEventListener("input", touched, { once: true });
  form.addEventListener("change", touched, { once: true });
  officeArrivedLate().then(async () => {
    if (!untouched || form.hidden) return;
    await prefill();
    const view = await import("./item-view.js");
    const old = document.getElementById("item-view");
    if (old) old.remove();
    await view.openItemView();
  }).catch(itemViewFailed);
}

// The item view (or the late item's prefill) failing: said in the status line, as the
// pane's other failures are, and in the console with its stack; the Create form stays.
/** @param {unknown} error */
function itemViewFailed(error) {
  console.error("The open item could not be shown:", error);
  const message = error instanceof Error ? error.message : String(error);
  setStatus(`Could not show this item: ${plain(message)}`);
}

async function startSignIn(options) {
  $("signin-error").textContent = "";
  try {
    await signIn(options);
    await enter();
  } catch (error) {
    await showSignin();
    $("signin-error").textContent = plain(error.message || String(error));
  }
}

function created(view, context) {
  show("result");
  resetCancel();
  showResult(view, context);
  document.title = "Salesforce: Event created";
}

async function start() {
  applyTheme();  // not awaited: the pane renders meanwhile
  setUpCreateForm({ created, signin: showSignin, notConnected: offerConnect });
  registerFieldGroup(repeatGroup());  // Repeat (issue #12)
  setUpOnboarding(enter);
  setUpAttendeeForm();
  $("another-button").addEventListener("click", () => {
    resetCancel();
    resetForm();
    show("create-form");
    $("subject").focus();
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
    $("microsoft-signin-button").focus();
  });
  const token = await restoreSession();
  if (!token) return showSignin();
  await enter();
}

start();
