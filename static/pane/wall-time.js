// Wall times: what a clock in a zone shows, as the Create form's pickers hold them
// ("YYYY-MM-DDTHH:MM", no offset; the server converts them in the chosen zone).

/** @param {number} n */
function pad(n) { return String(n).padStart(2, "0"); }

/**
 * The wall clock at ``now`` in ``zone``.
 * @param {string} zone an IANA zone
 * @param {Date} [now]
 * @returns {{ year: number, month: number, day: number, hour: number, minute: number }}
 */
export function wallNow(zone, now = new Date()) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", {
    timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric",
    hour: "numeric", minute: "numeric" }).formatToParts(now)
    .map((p) => [p.type, Number(p.value)]));
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour,
           minute: parts.minute };
}

/**
 * A picker's value for a Date used as a calendar (its UTC fields; no zone meaning).
 * @param {Date} date
 */
export function wallInput(date) {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}` +
    `T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}`;
}

/**
 * The default slot: from the next full hour on ``zone``'s wall clock, 30 minutes long.
 * @param {string} zone
 * @param {Date} [now]
 * @returns {{ start: string, end: string }}
 */
export function nextHourSlot(zone, now = new Date()) {
  const wall = wallNow(zone, now);
  const start = new Date(Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour + 1, 0));
  return { start: wallInput(start), end: wallInput(new Date(start.getTime() + 30 * 60000)) };
}
