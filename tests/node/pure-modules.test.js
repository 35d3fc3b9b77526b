// Unit tests of the pane's pure modules (no page needed): wall times and the zone picker's
// choices, field errors in words, recurrence rules, the result's summary, the theme and
// the status chart's figures. They import the modules the browser runs.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { humanMessage } from "../../static/pane/field-errors.js";
import { buildRule } from "../../static/pane/repeat.js";
import { summaryRows } from "../../static/pane/result-view.js";
import { themeName } from "../../static/pane/theme.js";
import { nextHourSlot, wallInput, wallNow } from "../../static/pane/wall-time.js";
import { zoneChoices, zoneLabel } from "../../static/pane/zone-picker.js";
import { plain } from "../../static/shared/dom.js";
import { seconds } from "../../static/status/chart.js";

describe("wall times", () => {
  test("the wall clock is the zone's, not the machine's", () => {
    const now = new Date("2026-07-01T22:30:00Z");
    assert.deepEqual(wallNow("Europe/Berlin", now),
                     { year: 2026, month: 7, day: 2, hour: 0, minute: 30 });
    assert.deepEqual(wallNow("America/New_York", now),
                     { year: 2026, month: 7, day: 1, hour: 18, minute: 30 });
  });

  test("a picker's value has no offset", () => {
    assert.equal(wallInput(new Date(Date.UTC(2026, 0, 5, 9, 7))), "2026-01-05T09:07");
  });

  test("the default slot starts at the next full hour, 30 minutes long", () => {
    assert.deepEqual(nextHourSlot("UTC", new Date("2026-03-10T09:15:00Z")),
                     { start: "2026-03-10T10:00", end: "2026-03-10T10:30" });
  });

  test("the next full hour may be tomorrow, next month or next year", () => {
    assert.deepEqual(nextHourSlot("Asia/Tokyo", new Date("2026-12-31T14:40:00Z")),
                     { start: "2027-01-01T00:00", end: "2027-01-01T00:30" });
  });

  test("on the night the clocks change, the hour is the zone's wall hour", () => {
    // Berlin, 29 March 2026: 02:00 CET becomes 03:00 CEST; at 00:59 UTC it is 01:59 CET
    assert.deepEqual(nextHourSlot("Europe/Berlin", new Date("2026-03-29T00:59:00Z")),
                     { start: "2026-03-29T02:00", end: "2026-03-29T02:30" });
  });
});

describe("the zone picker", () => {
  const berlin = { id: "Europe/Berlin", label: "Berlin (UTC+01:00)" };
  const london = { id: "Europe/London", label: "London (UTC+00:00)" };

  test("the mailbox's zone is selected among the server's zones", () => {
    const choices = zoneChoices({ zone: berlin, zones: [london, berlin] });
    assert.deepEqual(choices.zones, [london, berlin]);
    assert.equal(choices.selected, "Europe/Berlin");
    assert.equal(choices.labels.get("Europe/London"), "London (UTC+00:00)");
  });

  test("a mailbox zone the list lacks comes first", () => {
    const odd = { id: "Etc/GMT-14", label: "GMT-14 (UTC+14:00)" };
    const choices = zoneChoices({ zone: odd, zones: [london, berlin] });
    assert.deepEqual(choices.zones.map((z) => z.id), ["Etc/GMT-14", "Europe/London",
                                                       "Europe/Berlin"]);
    assert.equal(choices.labels.get("Etc/GMT-14"), "GMT-14 (UTC+14:00)");
  });

  test("a zone without a label is shown by its id", () => {
    assert.equal(zoneLabel("Pacific/Chatham"), "Pacific/Chatham");
  });
});

describe("field errors in words", () => {
  test("marshmallow's messages become sentences about the field", () => {
    assert.equal(humanMessage("subject", "Missing data for required field."),
                 "Enter the subject.");
    assert.equal(humanMessage("subject", "Length must be between 1 and 255."),
                 "Subject needs 1 to 255 characters.");
    assert.equal(humanMessage("location", "Longer than maximum length 255."),
                 "Location can have at most 255 characters.");
    assert.equal(humanMessage("start", "Not a valid date and time."),
                 "Enter the start date and time.");
    assert.equal(humanMessage("end", "Not a valid date (2026-13-01)."), "Enter the end date.");
    assert.equal(humanMessage("showAs", "Must be one of: Busy, Free."),
                 "Choose a show time as from the list.");
    assert.equal(humanMessage("nope", "Unknown field."),
                 "The pane sent something the server does not know; reload the pane.");
  });

  test("a field without a label is 'this field'; a sentence already in words stays", () => {
    assert.equal(humanMessage("colour", "Length must be at most 10."),
                 "This field can have at most 10 characters.");
    assert.equal(humanMessage("end", "The end must be after the start."),
                 "The end must be after the start.");
  });

  test("a developer's remark in parentheses is dropped", () => {
    assert.equal(plain("Salesforce is unavailable (ServiceUnavailable: Service unavailable)"),
                 "Salesforce is unavailable");
    assert.equal(plain("Failed (ValueError: bad)."), "Failed.");
    assert.equal(plain(null), "");
  });
});

describe("recurrence rules", () => {
  const choice = (extra) => ({ frequency: "none", days: [], custom: "", ends: "never",
                               until: "", count: "10", ...extra });

  test("no repeat, no rule", () => {
    assert.equal(buildRule(choice({}), "2026-03-10T09:00"), null);
  });

  test("daily until a date, monthly a number of times", () => {
    assert.equal(buildRule(choice({ frequency: "daily", ends: "until", until: "2026-04-01" }),
                           "2026-03-10T09:00"), "RRULE:FREQ=DAILY;UNTIL=20260401");
    assert.equal(buildRule(choice({ frequency: "monthly", ends: "count", count: "6" }),
                           "2026-03-10"), "RRULE:FREQ=MONTHLY;COUNT=6");
  });

  test("weekly on the chosen days, else on the start's weekday", () => {
    assert.equal(buildRule(choice({ frequency: "weekly", days: ["MO", "WE"] }),
                           "2026-03-10T09:00"), "RRULE:FREQ=WEEKLY;BYDAY=MO,WE");
    assert.equal(buildRule(choice({ frequency: "weekly" }), "2026-03-10T09:00"),
                 "RRULE:FREQ=WEEKLY;BYDAY=TU");  // 10 March 2026 is a Tuesday
  });

  test("a custom rule goes as typed; an empty one is none", () => {
    assert.equal(buildRule(choice({ frequency: "custom", custom: " FREQ=YEARLY " }), ""),
                 "FREQ=YEARLY");
    assert.equal(buildRule(choice({ frequency: "custom", custom: "  " }), ""), null);
  });
});

describe("the result's summary", () => {
  const event = { subject: "Call", start: "2026-03-10T09:00:00Z", end: "2026-03-10T09:30:00Z",
                  isAllDay: false, location: "Room 4", whoId: "003A", whatId: "001B" };
  const zoneOf = (rows) => rows.find(([label]) => label === "Time")[1];

  test("date and time in the chosen zone, the names as picked", () => {
    const rows = summaryRows(event, { zone: "Asia/Tokyo",
      who: { id: "003A", name: "Olivia O'Brien", type: "Contact" },
      what: { id: "001B", name: "Acme", type: "Account" } });
    assert.deepEqual(rows.map(([label]) => label),
                     ["Date", "Time", "Location", "Name", "Related To"]);
    assert.match(zoneOf(rows), /Asia\/Tokyo$/);
    assert.match(zoneOf(rows), /6:00.*6:30/);  // 09:00 UTC is 18:00 in Tokyo
    assert.equal(rows[3][1], "Olivia O'Brien (Contact)");
    assert.equal(rows[4][1], "Acme (Account)");
  });

  test("a record that is not the one picked shows by its id", () => {
    const rows = summaryRows(event, { zone: "UTC", who: { id: "003Z", name: "Other",
                                                          type: "Lead" } });
    assert.equal(rows.find(([label]) => label === "Name")[1], "003A");
  });

  test("an all-day event over several days", () => {
    const rows = summaryRows({ isAllDay: true, start: "2026-03-10", end: "2026-03-12" }, {});
    assert.equal(rows[1][1], "All day");
    assert.match(rows[0][1], /10.*–.*12/);
  });
});

describe("the theme and the chart", () => {
  test("Office's theme decides dark or light", () => {
    assert.equal(themeName({ isDarkTheme: true }), "dark");
    assert.equal(themeName({ bodyBackgroundColor: "#1f1f1f" }), "dark");
    assert.equal(themeName({ bodyBackgroundColor: "#FFFFFF" }), "light");
  });

  test("seconds as the chart shows them", () => {
    assert.equal(seconds(null), "–");
    assert.equal(seconds(2.345), "2.3 s");
    assert.equal(seconds(42.6), "43 s");
  });
});
