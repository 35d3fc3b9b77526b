// First run: connect Salesforce or the calendar (OAuth in an Office dialog or a popup), or
// an Exchange Server mailbox with its server, user name and password.
import { api, ApiError } from "../shared/api.js";
import { connect } from "./connect.js";
import { $, plain, setStatus } from "../shared/dom.js";

export const SERVICE_NAMES = { salesforce: "Salesforce", graph: "Microsoft 365", google: "Google",
  ews: "Exchange Server" };

export function showOnboarding(me, service) {
  const name = SERVICE_NAMES[service] || service;
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
}

async function connectExchange(done) {
  const fields = { serverUrl: "exchange-server", username: "exchange-username",
                   password: "exchange-password" };
  for (const id of Object.values(fields)) $(`${id}-error`).textContent = "";
  $("onboarding-error").textContent = "";
  const button = $("exchange-button");
  if (button.disabled) return;
  button.disabled = true;
  button.textContent = "Connecting…";
  const body = { username: $("exchange-username").value.trim(),
                 password: $("exchange-password").value };
  if ($("exchange-server").value.trim()) body.serverUrl = $("exchange-server").value.trim();
  try {
    await api("POST", "/api/v1/connections/ews", { body });
    $("exchange-password").value = "";
    setStatus("Exchange connected.");
    await done();
  } catch (error) {
    const blamed = (error instanceof ApiError && error.fields) || {};
    for (const [name, message] of Object.entries(blamed)) {
      if (fields[name]) $(`${fields[name]}-error`).textContent = plain(message);
    }
    if (!Object.keys(blamed).some((name) => fields[name])) {
      $("onboarding-error").textContent = plain(error.message || String(error));
    }
  } finally {
    button.disabled = false;
    button.textContent = "Connect Exchange";
  }
}

// A "Connect ..." button under the Create form's error (Create said: not connected).
export function offerConnect(service) {
  if ($("connect-button")) return;
  const button = document.createElement("button");
  button.type = "button";
  button.id = "connect-button";
  button.className = "secondary";
  button.textContent = `Connect ${SERVICE_NAMES[service] || service}`;
  button.addEventListener("click", async () => {
    const ok = await connect(service);
    setStatus(ok ? "Connected. Press Create again." : "Not connected yet.");
    if (ok) button.remove();
  });
  $("form-error").after(button);
}

export function setUpOnboarding(done) {
  $("onboarding-button").addEventListener("click", async () => {
    const service = $("onboarding-button").dataset.service;
    $("onboarding-error").textContent = "";
    const ok = await connect(service).catch(() => false);
    if (!ok) {
      $("onboarding-error").textContent = "Not connected yet. Try again.";
      return;
    }
    setStatus(`${SERVICE_NAMES[service] || service} connected.`);
    await done();
  });
  $("exchange-button").addEventListener("click", () => connectExchange(done));
  $("exchange-form").addEventListener("submit", (event) => {
    event.preventDefault();
    connectExchange(done);
  });
}
