// What the pane reads from Outlook through Office.js: the open item's subject and
// participants, the user's time zone and Office's theme. Office.js loads async (it must
// never hold up the first paint): when it has not arrived within OFFICE_WAIT_MS, or
// Office.onReady does not answer, the pane works without it ({ host: null }).
const OFFICE_WAIT_MS = 3000;
let ready = null;
let arrival = null;  // Office's onReady info whenever it comes, even after the wait
let lateInfo = null;  // set when Office arrived after the pane went on without it

function withTimeout(promise, ms) {
  return Promise.race([promise, new Promise((resolve) => setTimeout(() => resolve(null), ms))]);
}

function scriptLoaded() {
  if (window.Office) return Promise.resolve(true);
  const tag = document.getElementById("office-js");
  if (!tag) return Promise.resolve(false);
  return new Promise((resolve) => {
    tag.addEventListener("load", () => resolve(true), { once: true });
    tag.addEventListener("error", () => resolve(false), { once: true });
  });
}

// Office's onReady info ({ host, platform }), or null outside Office / when it hangs.
export function officeReady() {
  if (!ready) {
    arrival = (async () => {
      if (!(await scriptLoaded())) return null;
      if (!window.Office || typeof Office.onReady !== "function") return null;
      const info = await Office.onReady();
      return info && info.host ? info : null;
    })().catch(() => null);
    ready = withTimeout(arrival, OFFICE_WAIT_MS).catch(() => null);
  }
  return ready;
}

// Resolves with Office's info if it arrives after the pane gave up waiting for it (never
// resolves when Office came in time or never comes): the pane may then read the item.
export async function officeArrivedLate() {
  if (await officeReady()) return new Promise(() => {});
  const info = await arrival;
  if (!info) return new Promise(() => {});
  lateInfo = info;
  return info;
}

/**
 * A property's value: read mode gives it as it is, compose mode through getAsync.
 * @param {unknown} property
 * @returns {Promise<any>} the value (its shape is the property's), null when unreadable
 */
function getAsync(property) {
  return new Promise((resolve) => {
    const async = /** @type {Office.AsyncProperty<unknown> | null | undefined} */ (property);
    if (!async || typeof async.getAsync !== "function") return resolve(property ?? null);
    async.getAsync((result) => resolve(result.status === "succeeded" ? result.value : null));
  });
}

/** @type {WeakMap<object, Map<string, Promise<any>>>} */
const reads = new WeakMap();

/**
 * One property of an Outlook item, read from Outlook once (in compose mode each getAsync
 * is a round trip to the host): the Create form's prefill and the item view share it.
 * @param {object | null | undefined} item
 * @param {string} key
 * @returns {Promise<any>}
 */
export function itemProperty(item, key) {
  if (!item) return Promise.resolve(null);
  let known = reads.get(item);
  if (!known) reads.set(item, known = new Map());
  let value = known.get(key);
  if (!value) {
    value = getAsync(/** @type {Record<string, unknown>} */ (item)[key]);
    known.set(key, value);
  }
  return value;
}

/**
 * A person's email address as Office.js gives it (EmailAddressDetails), or null.
 * @param {{ emailAddress?: string, address?: string } | null | undefined} value
 * @returns {string | null}
 */
export function address(value) {
  if (!value) return null;
  return value.emailAddress || value.address || null;
}

const SENDERS = ["from", "organizer"];
const RECIPIENTS = ["to", "cc", "requiredAttendees", "optionalAttendees"];

/**
 * The item's sender (or organizer) and its recipients (or attendees), each read once.
 * @param {object | null | undefined} item
 * @returns {Promise<{ senders: string[], recipients: string[] }>}
 */
export async function itemPeople(item) {
  const senders = [];
  for (const key of SENDERS) {
    const email = address(await itemProperty(item, key));
    if (email) senders.push(email);
  }
  const recipients = [];
  for (const key of RECIPIENTS) {
    for (const person of (await itemProperty(item, key)) || []) {
      const email = address(person);
      if (email) recipients.push(email);
    }
  }
  return { senders, recipients };
}

export async function readOpenItem() {
  const info = (await officeReady()) || lateInfo;
  if (!info) return { host: null };
  const mailbox = Office.context.mailbox || {};
  const item = mailbox.item || {};
  const subject = await itemProperty(item, "subject");
  const { senders, recipients } = await itemPeople(item);
  const profile = mailbox.userProfile || {};
  return {
    host: info.host,
    subject: typeof subject === "string" ? subject : "",
    sender: senders[0] || null,
    recipients,
    me: profile.emailAddress || null,
    timeZone: profile.timeZone || null,
  };
}

// Office's theme (Office.context.officeTheme: bodyBackgroundColor...), or null.
export async function officeTheme() {
  const info = await officeReady();
  return (info && Office.context && Office.context.officeTheme) || null;
}
