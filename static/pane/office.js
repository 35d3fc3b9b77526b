// What the pane reads from Outlook through Office.js: the open item's subject and
// participants, the user's time zone and Office's theme. Office.js loads async (it must
// never hold up the first paint): when it has not arrived within OFFICE_WAIT_MS, or
// Office.onReady does not answer, the pane works without it ({ host: null }).
const OFFICE_WAIT_MS = 3000;
let ready = null;

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
    ready = withTimeout((async () => {
      if (!(await scriptLoaded())) return null;
      if (!window.Office || typeof Office.onReady !== "function") return null;
      const info = await Office.onReady();
      return info && info.host ? info : null;
    })(), OFFICE_WAIT_MS).catch(() => null);
  }
  return ready;
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
  const info = await officeReady();
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
