// The sync status page of the signed-in person (or, for an admin, of ?user=ID): errors
// with a Retry button, the propagation chart, pending operations, the last passes.
import { api } from "../shared/api.js";
import { restoreSession } from "../shared/auth.js";
import { $ } from "../shared/dom.js";
import { propagationChart, seconds } from "./chart.js";

const wanted = new URLSearchParams(location.search).get("user");
const query = wanted ? `?${new URLSearchParams({ user: wanted })}` : "";
const when = (iso) => (iso ? new Date(iso).toLocaleString() : "");

function row(what, meta, extra) {
  const item = document.createElement("li");
  const title = document.createElement("span");
  title.className = "what";
  title.textContent = what;
  item.append(title);
  for (const [text, bad] of meta) {
    if (!text) continue;
    const span = document.createElement("span");
    span.className = bad ? "meta bad" : "meta";
    span.textContent = text;
    item.append(span);
  }
  if (extra) item.append(extra);
  return item;
}

function fill(listId, emptyId, items) {
  $(listId).replaceChildren(...items);
  $(emptyId).hidden = items.length > 0;
}

function retryButton(error) {
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = "Retry";
  button.setAttribute("aria-label", `Retry: ${error.title}${error.subject ? " " + error.subject : ""}`);
  button.addEventListener("click", async () => {
    button.disabled = true;
    button.textContent = "Retrying…";
    try {
      await api("POST", error.retry);
      $("status").textContent = "Retried.";
    } catch (failure) {
      $("status").textContent = failure.message;
    }
    await load();
  });
  return button;
}

function render(view) {
  const person = view.user;
  $("person").textContent = `${person.name || person.email} · ${person.email}`;
  if (wanted) $("title").textContent = `Sync status of ${person.name || person.email}`;
  fill("errors", "errors-empty", view.errors.map((error) => row(
    error.subject ? `${error.title}: ${error.subject}` : error.title,
    [[error.message, true], [when(error.at), false]],
    wanted ? null : retryButton(error))));
  fill("pending", "pending-empty", view.pending.map((op) => row(
    op.subject ? `${op.title}: ${op.subject}` : op.title,
    [[`${op.state}, attempt ${op.attempts}`, false],
     [op.state === "pending" ? `next try ${when(op.nextAttemptAt)}` : "", false],
     [op.error, true]])));
  fill("passes", "passes-empty", view.passes.map((pass) => row(
    `${when(pass.startedAt)} · ${pass.reason}`,
    [[`${pass.durationMs} ms`, false], [`${pass.checked} checked`, false],
     [`${pass.reconciled} synced`, false], [pass.failed ? `${pass.failed} failed` : "", true],
     [pass.error, true]])));
  const propagation = view.propagation;
  $("chart-text").textContent = propagation.count
    ? `From a change in Salesforce or the calendar to its copy on the other side: median ` +
      `${seconds(propagation.medianSeconds)} over the last ${propagation.count} changes.`
    : "No change has been synced yet.";
  $("chart").replaceChildren(...(propagation.count ? [propagationChart(propagation)] : []));
  $("sync-button").hidden = Boolean(wanted);
}

async function load() {
  try {
    const [view, me] = await Promise.all([api("GET", `/api/v1/status${query}`),
                                          api("GET", "/api/v1/me")]);
    $("admin-link").hidden = !me.user.isAdmin;
    render(view);
    $("content").hidden = false;
    if ($("status").textContent === "Loading…") $("status").textContent = "";
  } catch (error) {
    $("status").textContent = error.status === 401
      ? "Sign in from the pane first." : error.message;
  }
}

async function start() {
  await restoreSession();
  $("sync-button").addEventListener("click", async () => {
    $("sync-button").disabled = true;
    try {
      const report = await api("POST", "/api/v1/status/sync");
      $("status").textContent = `Synced: ${report.reconciled.length} changed, ` +
        `${report.failed.length} failed.`;
    } catch (error) {
      $("status").textContent = error.message;
    } finally {
      $("sync-button").disabled = false;
    }
    await load();
  });
  await load();
}

start();
