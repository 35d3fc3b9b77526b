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

function getAsync(property) {
  return new Promise((resolve) => {
    if (!property || typeof property.getAsync !== "function") return resolve(property);
    property.getAsync((result) => resolve(result.status === "succeeded" ? result.value : null));
  });
}

function address(value) {
  if (!value) return null;
  return value.emailAddress || value.address || null;
}

export async function readOpenItem() {
  const info = (await officeReady()) || lateInfo;
  if (!info) return { host: null };
  const mailbox = Office.context.mailbox || {};
  const item = mailbox.item || {};
  const subject = await getAsync(item.subject);
  const sender = address(await getAsync(item.from)) || address(await getAsync(item.organizer));
  const recipients = [];
  for (const list of [item.to, item.cc, item.requiredAttendees, item.optionalAttendees]) {
    const people = await getAsync(list);
    for (const person of people || []) {
      const email = address(person);
      if (email) recipients.push(email);
    }
  }
  const profile = mailbox.userProfile || {};
  return {
    host: info.host,
    subject: typeof subject === "string" ? subject : "",
    sender,
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
