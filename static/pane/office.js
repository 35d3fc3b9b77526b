// What the pane reads from Outlook through Office.js: the open item's subject and
// participants, and the user's time zone. Outside Outlook (Office.onReady gives host null,
// or office.js could not load) it returns { host: null }.

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
  if (!window.Office || typeof Office.onReady !== "function") return { host: null };
  const info = await Office.onReady();
  if (!info || !info.host) return { host: null };
  const mailbox = Office.context.mailbox;
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
