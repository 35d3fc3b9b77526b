// The zone the typed times are in: the mailbox's (Office.js gives a Windows name such as
// "W. Europe Standard Time"; the server maps it to IANA and labels every zone as a person
// reads it, "Berlin (UTC+01:00)"), changeable in the picker. Until the mailbox's zone is
// known, the browser's.
import { $ } from "./dom.js";

const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
let labels = new Map();

function option(id, label) {
  const node = document.createElement("option");
  node.value = id;
  node.textContent = label;
  return node;
}

function hint() {
  $("zone-hint").textContent = `Times are in ${zoneLabel(currentZone())}.`;
}

export function currentZone() { return $("timeZone").value || browserZone; }

export function zoneLabel(id) { return labels.get(id) || id; }

// Fills the picker and selects ``name`` (Windows or IANA; null: the browser's zone).
export async function initZone(name) {
  const select = $("timeZone");
  if (!select.options.length) {
    select.append(option(browserZone, browserZone));
    select.addEventListener("change", hint);
  }
  hint();
  try {
    const params = new URLSearchParams({ name: name || browserZone });
    const response = await fetch(`/outlook/time-zones?${params}`, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`time zones: ${response.status}`);
    const { zone, zones } = await response.json();
    labels = new Map(zones.map((z) => [z.id, z.label]));
    labels.set(zone.id, zone.label);
    if (!zones.some((z) => z.id === zone.id)) zones.unshift(zone);
    select.replaceChildren(...zones.map((z) => option(z.id, z.label)));
    select.value = zone.id;
    select.dataset.mailboxZone = zone.id;
  } catch {
    // keep the browser's zone: still a real zone, and the hint says which
  }
  hint();
}

// Back to the mailbox's zone (Create another).
export function resetZone() {
  const select = $("timeZone");
  if (select.dataset.mailboxZone) select.value = select.dataset.mailboxZone;
  hint();
}
