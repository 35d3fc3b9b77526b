"""The Create form as a sales rep meets it, at 350 px and 1280 px, Office.js replaced by
the stand-in (mailbox zone, open item, theme): each test is one defect of issue 14 that it
would have caught. Every screen is screenshotted and checked with axe-core (Pane.screen)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from addin.providers.calendar.timezones import to_iana
from addin.sandbox import SandboxRuntime
from tests.browser.conftest import Pane
from tests.clock import at, day, wall, weekday_name, ymd
from tests.web.conftest import AVA, CLEO

pytestmark = pytest.mark.browser
Bearer = Callable[[str], dict[str, str]]
OpenPane = Callable[..., Pane]
BERLIN = ZoneInfo("Europe/Berlin")
ACME = "001000000000001AAA"  # Account "Acme Corporation"
OLIVIA = "003000000000001AAA"  # Contact "Olivia O'Brien", at Acme Corporation
FRIDAY, THURSDAY = day(11), day(10)  # of the week after the test week
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MAILBOX = {
    "timeZone": "W. Europe Standard Time", "email": AVA, "displayName": "Ava Martin",
    "item": {"subject": "Re: Widget pricing for 2027",
             "from": {"displayName": "Olivia O'Brien", "emailAddress": "o'brien@acme.example"},
             "to": [{"displayName": "Ava Martin", "emailAddress": AVA}]},
}


def _typed(when: date, hhmm: str) -> str:
    """What a person types into a datetime-local field: the date, "T", the wall time."""
    return f"{ymd(when)}T{hhmm}"


def _shown(when: date) -> str:
    """The result's date as the pane shows it (en-US): "Fri, Jan 10, 2030"."""
    return f"{weekday_name(when)[:3].title()}, {MONTHS[when.month - 1]} {when.day}, {when.year}"


def _token(bearer: Bearer, email: str = AVA) -> str:
    return bearer(email)["Authorization"].split(" ", 1)[1]


def _events(sandbox: SandboxRuntime) -> dict[str, dict[str, Any]]:
    return dict(sandbox.apps["salesforce"].extensions["salesforce_org"].records["Event"])


def _created(pane: Pane, sandbox: SandboxRuntime) -> dict[str, Any]:
    link = pane.page.locator("#record-link").get_attribute("href")
    assert link
    return _events(sandbox)[link.rsplit("/", 1)[1]]


def _graph_start(sandbox: SandboxRuntime, email: str, event_id: str) -> datetime:
    """The start of the appointment the Graph emulator holds for that Salesforce Event."""
    mailbox = sandbox.apps["graph"].extensions["graph"].store.live(email)
    tagged = [i.resource for i in mailbox if any(
        p["value"] == event_id for p in (i.resource.get("extended") or {}).values())]
    assert len(tagged) == 1
    start = datetime.fromisoformat(tagged[0]["start_utc"])
    assert to_iana(tagged[0]["start_zone"]) == "Europe/Berlin"  # the event's own zone
    return start


def _form_ready(pane: Pane) -> None:
    expect(pane.page.locator("#create-form")).to_be_visible()
    expect(pane.page.locator("#zone-hint")).to_contain_text("Berlin (UTC+0")
    expect(pane.page.locator("#whatId")).to_have_value(ACME)  # prefilled: the last lookup


def test_typed_time_is_saved_as_that_wall_time_in_the_zone_shown(
        open_pane: OpenPane, bearer: Bearer, clean_sandbox: SandboxRuntime) -> None:
    """Defect 1 (and 5, 9): the browser in New York, the mailbox in W. Europe; 10:00 typed
    is 10:00 in Berlin in Salesforce and in the calendar; the result says what was saved;
    Name and Related To come prefilled from the open email."""
    pane = open_pane(token=_token(bearer), office=MAILBOX, timezone_id="America/New_York")
    page = pane.page
    _form_ready(pane)
    assert re.fullmatch(r"Times are in Berlin \(UTC\+0[12]:00\)\.",
                        page.locator("#zone-hint").inner_text())
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Berlin")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Olivia O'Brien")
    expect(page.get_by_label("Related To")).to_have_value("Acme Corporation")
    expect(page.locator("#account-name")).to_have_text("Ava Martin")
    expect(page.locator("#account-org")).to_contain_text("Acme Sales")
    page.get_by_label("Start", exact=True).fill(_typed(FRIDAY, "10:00"))
    page.get_by_label("End", exact=True).fill(_typed(FRIDAY, "10:30"))
    page.get_by_label("Location").fill("Teams")
    pane.screen("create-form")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#result")).to_be_visible()
    expect(page.locator("#result-title")).to_be_focused()  # not BODY
    expect(page.locator("h1:visible")).to_have_text("Event created")
    summary = page.locator("#result-summary")
    expect(summary.locator("[data-field=Date]")).to_have_text(_shown(FRIDAY))
    expect(summary.locator("[data-field=Time]")).to_have_text(
        re.compile(r"^10:00\s?AM \u2013 10:30\s?AM Berlin \(UTC\+0[12]:00\)$"))
    expect(summary.locator("[data-field=Location]")).to_have_text("Teams")
    expect(summary.locator('[data-field="Name"]')).to_have_text("Olivia O'Brien (Contact)")
    expect(summary.locator('[data-field="Related To"]')).to_have_text(
        "Acme Corporation (Account)")
    pane.screen("result")

    created = _created(pane, clean_sandbox)
    start = datetime.fromisoformat(created["StartDateTime"].replace("Z", "+00:00"))
    assert start.astimezone(BERLIN).strftime("%H:%M") == "10:00"
    assert created["WhoId"] == OLIVIA and created["WhatId"] == ACME
    mirrored = _graph_start(clean_sandbox, AVA, created["Id"])
    assert mirrored.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M") == f"{ymd(FRIDAY)} 10:00"


def test_the_zone_can_be_changed(open_pane: OpenPane, bearer: Bearer,
                                 clean_sandbox: SandboxRuntime) -> None:
    pane = open_pane(token=_token(bearer), office=MAILBOX, timezone_id="America/New_York")
    page = pane.page
    _form_ready(pane)
    page.get_by_label("Time zone").select_option("Asia/Tokyo")
    expect(page.locator("#zone-hint")).to_have_text("Times are in Tokyo (UTC+09:00).")
    page.get_by_label("Start", exact=True).fill(_typed(FRIDAY, "10:00"))
    page.get_by_label("End", exact=True).fill(_typed(FRIDAY, "11:00"))
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#result")).to_be_visible()
    in_utc = wall(at(FRIDAY, "10:00", "Asia/Tokyo"), "UTC")  # 01:00 the same day
    assert _created(pane, clean_sandbox)["StartDateTime"].startswith(in_utc)
    expect(page.locator("[data-field=Time]")).to_contain_text("Tokyo (UTC+09:00)")


def test_a_typed_but_unpicked_lookup_is_resolved_or_blocks_create(
        open_pane: OpenPane, bearer: Bearer, clean_sandbox: SandboxRuntime) -> None:
    """Defect 2: never dropped silently; the option list closes when the field is left."""
    pane = open_pane(token=_token(bearer), office={**MAILBOX, "item": {"subject": "Hello"}})
    page = pane.page
    expect(page.locator("#create-form")).to_be_visible()
    related = page.get_by_label("Related To")
    related.fill("Acme")
    expect(page.locator("#what-options")).to_be_visible()
    page.get_by_label("Location").click()  # leaves the field without picking
    expect(page.locator("#what-options")).to_be_hidden()
    expect(related).to_have_attribute("aria-expanded", "false")
    before = len(_events(clean_sandbox))
    page.get_by_role("button", name="Create").click()
    error = page.locator("#whatId-error")
    expect(error).to_have_text("Pick a record from the list for Related To, or clear the field.")
    expect(related).to_have_attribute("aria-invalid", "true")
    expect(related).to_be_focused()
    pane.screen("lookup-unpicked")
    assert len(_events(clean_sandbox)) == before  # nothing created

    related.fill("acme corporation")  # typed in full, still not picked: resolved
    expect(error).to_be_hidden()  # the error goes once the field changes
    page.get_by_label("Location").click()
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#result")).to_be_visible()
    assert _created(pane, clean_sandbox)["WhatId"] == ACME
    expect(page.locator('[data-field="Related To"]')).to_have_text("Acme Corporation (Account)")


def test_the_lookup_is_a_keyboard_combobox(open_pane: OpenPane, bearer: Bearer,
                                           clean_sandbox: SandboxRuntime) -> None:
    """Defect 8: ArrowDown/ArrowUp move (aria-activedescendant), Enter picks, Escape
    closes and then clears."""
    pane = open_pane(token=_token(bearer), office={**MAILBOX, "item": {"subject": "Hello"}})
    page = pane.page
    expect(page.locator("#create-form")).to_be_visible()
    related = page.get_by_label("Related To")
    related.fill("Acme")
    options = page.locator("#what-options [role=option]")
    expect(options.first).to_be_visible()
    count = options.count()
    assert count >= 2  # the Account and its Opportunity
    pane.screen("lookup-open")
    related.press("ArrowDown")
    expect(related).to_have_attribute("aria-activedescendant", "what-options-0")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    related.press("ArrowDown")
    expect(related).to_have_attribute("aria-activedescendant", "what-options-1")
    related.press("ArrowUp")
    related.press("ArrowUp")  # wraps to the last
    expect(related).to_have_attribute("aria-activedescendant", f"what-options-{count - 1}")
    related.press("ArrowDown")  # and back to the first
    name = options.nth(0).get_attribute("data-id")
    related.press("Enter")
    expect(page.locator("#what-options")).to_be_hidden()
    expect(page.locator("#whatId")).to_have_value(name or "")
    expect(related).to_be_focused()
    related.fill("Globex")
    expect(options.first).to_be_visible()
    related.press("Escape")
    expect(page.locator("#what-options")).to_be_hidden()
    expect(related).to_have_value("Globex")
    related.press("Escape")
    expect(related).to_have_value("")
    expect(page.locator("#create-form")).to_be_visible()  # Escape did not leave the form


def test_create_another_after_an_all_day_event_resets_the_pickers(
        open_pane: OpenPane, bearer: Bearer, clean_sandbox: SandboxRuntime) -> None:
    """Defect 3."""
    pane = open_pane(token=_token(bearer), office={**MAILBOX, "item": {"subject": "Offsite"}})
    page = pane.page
    expect(page.locator("#create-form")).to_be_visible()
    page.get_by_label("All day").check()
    start = page.get_by_label("Start", exact=True)
    expect(start).to_have_attribute("type", "date")
    start.fill(ymd(THURSDAY))
    page.get_by_label("End", exact=True).fill(ymd(THURSDAY))
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#result")).to_be_visible()
    expect(page.locator("[data-field=Time]")).to_have_text("All day")
    expect(page.locator("[data-field=Date]")).to_have_text(_shown(THURSDAY))
    assert _created(pane, clean_sandbox)["IsAllDayEvent"] is True

    page.get_by_role("button", name="Create another").click()
    expect(page.locator("#create-form")).to_be_visible()
    expect(page.get_by_label("Subject", exact=True)).to_be_focused()
    expect(page.get_by_label("All day")).not_to_be_checked()
    expect(start).to_have_attribute("type", "datetime-local")
    expect(start).to_have_value(re.compile(r"^\d{4}-\d\d-\d\dT\d\d:00$"))
    expect(page.get_by_label("End", exact=True)).to_have_value(
        re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d$"))
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Berlin")
    page.get_by_label("Subject", exact=True).fill("Follow-up")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#result")).to_be_visible()
    assert _created(pane, clean_sandbox)["Subject"] == "Follow-up"


def test_errors_are_sentences_at_their_fields_all_at_once_and_cleared_when_fixed(
        open_pane: OpenPane, bearer: Bearer, clean_sandbox: SandboxRuntime) -> None:
    """Defect 6: a Google Calendar user (no 255-character pre-check of the calendar): the
    server's "Length must be between 1 and 255." and the end before the start come back
    together, each at its field, in words."""
    pane = open_pane(token=_token(bearer, CLEO),
                     office={**MAILBOX, "email": CLEO, "item": {"subject": "Hello"}})
    page = pane.page
    expect(page.locator("#create-form")).to_be_visible()
    subject = page.get_by_label("Subject", exact=True)
    subject.evaluate("(input) => { input.removeAttribute('maxlength'); }")
    subject.fill("x" * 256)
    page.get_by_label("Start", exact=True).fill(_typed(FRIDAY, "10:00"))
    page.get_by_label("End", exact=True).fill(_typed(FRIDAY, "09:00"))
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#subject-error")).to_have_text("Subject needs 1 to 255 characters.")
    expect(page.locator("#end-error")).to_have_text("The end must be after the start.")
    expect(subject).to_be_focused()  # the first field in error
    expect(page.locator("#status")).to_have_text("The event was not created.")
    text = page.locator("#create-form").inner_text()
    for developer_text in ("Length must be", "ISO 8601", "ServiceUnavailable"):
        assert developer_text not in text
    pane.screen("create-errors")

    subject.fill("Quarterly review")
    expect(page.locator("#subject-error")).to_be_hidden()
    expect(subject).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#end-error")).to_be_visible()  # not fixed yet: still said
    page.get_by_label("End", exact=True).fill(_typed(FRIDAY, "11:00"))
    expect(page.locator("#end-error")).to_be_hidden()
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#result")).to_be_visible()


def test_an_upstream_outage_is_told_without_developer_text(
        open_pane: OpenPane, bearer: Bearer, clean_sandbox: SandboxRuntime,
        upstream: Any) -> None:
    """Defect 6: the calendar down (saved, mirrored later), then Salesforce down (kept,
    created once it answers): said in words, without "(ServiceUnavailable: ...)"."""
    pane = open_pane(token=_token(bearer), office={**MAILBOX, "item": {"subject": "Hello"}})
    page = pane.page
    expect(page.get_by_label("Subject", exact=True)).to_have_value("Hello")
    upstream.post(clean_sandbox.services["faults"],
                  json={"service": "graph", "status": 503, "times": 20})
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#result")).to_be_visible()
    expect(page.locator("#mirror-text")).to_contain_text("it will appear in your Outlook")
    shown = page.locator("#result").inner_text()
    assert "ServiceUnavailable" not in shown and not re.search(r"\([A-Za-z]+: ", shown)
    pane.screen("result-calendar-down")

    page.get_by_role("button", name="Create another").click()
    page.get_by_label("Subject", exact=True).fill("While Salesforce is down")
    upstream.post(clean_sandbox.services["faults"],
                  json={"service": "salesforce", "status": 503, "times": 20})
    page.get_by_role("button", name="Create").click()
    status = page.locator("#status")
    expect(status).not_to_have_text(re.compile(r"^(Creating…)?$"))
    assert "ServiceUnavailable" not in status.inner_text()
    assert not re.search(r"\([A-Za-z]+: ", status.inner_text())
