// The organization's page (administrators): every person's last sync, pending and failed
// work (each links to their own status page), and the organization's sync settings.
import { api } from "../shared/api.js";
import { restoreSession } from "../shared/auth.js";
import { $ } from "../shared/dom.js";

const SETTINGS = { syncDirection: "Sync direction", graphClassicPolicy: "Outlook + Classic",
  deletePropagation: "Deletions", ignoredDomains: "Ignored domains",
  pollIntervalSeconds: "Poll interval (s)", requestIdField: "Retry-safe creates" };

function cell(content) {
  const td = document.createElement("td");
  td.append(content);
  return td;
}

async function start() {
  await restoreSession();
  let view;
  try {
    view = await api("GET", "/api/v1/admin/status");
  } catch (error) {
    $("status").textContent = error.status === 401
      ? "Sign in from the pane first." : error.message;
    return;
  }
  $("title").textContent = view.organization.name || "Organization";
  $("users").tBodies[0].replaceChildren(...view.users.map((person) => {
    const tr = document.createElement("tr");
    const link = document.createElement("a");
    link.href = person.statusUrl;
    link.textContent = person.name || person.email;
    const who = document.createElement("span");
    who.append(link, ` ${person.email} (${person.calendarProvider})`);
    const last = person.lastPass;
    tr.append(cell(who),
      cell(last ? `${new Date(last.startedAt).toLocaleString()} · ${last.reconciled} synced` +
        (last.failed ? `, ${last.failed} failed` : "") + (last.error ? ", failed" : "") : "never"),
      cell(String(person.pending)), cell(String(person.errors)));
    return tr;
  }));
  $("settings").replaceChildren(...Object.entries(view.settings).flatMap(([key, value]) => {
    const dt = document.createElement("dt");
    dt.textContent = SETTINGS[key] || key;
    const dd = document.createElement("dd");
    dd.textContent = Array.isArray(value) ? value.join(", ") : String(value);
    return [dt, dd];
  }));
  $("content").hidden = false;
  $("status").textContent = "";
}

start();
