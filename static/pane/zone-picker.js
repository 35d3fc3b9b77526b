// The zone the typed times are in: the mailbox's (Office.js gives a Windows name such as
// "W. Europe Standard Time"; the server maps it to IANA and labels every zone as a person
// reads it, "Berlin (UTC+01:00)"), changeable in the picker. Until the mailbox's zone is
// known, the browser's.
import { $ } from "../shared/dom.js";

const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
let labels = new Map();

/**
 * The picker's choices from the server's answer (/outlook/time-zones): every zone, the
 * mailbox's first when the list lacks it, each zone's label, and the one to select.
 * @param {{ zone: { id: string, label: string }, zones: { id: string, label: string }[] }} answer
 */
export function zoneChoices({ zone, zones }) {
  const labels = new Map(zones.map((z) => [z.id, z.label]));
  labels.set(zone.id, zone.label);
  const all = zones.some((z) => z.id === zone.id) ? zones : [zone, ...zones];
  return { zones: all, labels, selected: zone.id };
}

/**
 * @param {string} id
 * @param {string} label
 */
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
    const choices = zoneChoices(await response.json());
    labels = choices.labels;
    select.replaceChildren(...choices.zones.map((z) => option(z.id, z.label)));
    select.value = choices.selected;
    select.dataset.mailboxZone = choices.selected;
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
