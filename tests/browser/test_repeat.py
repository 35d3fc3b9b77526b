"""Repeat in the Outlook pane's Create dialog (static/pane/repeat.js), headless Chromium."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from addin.sandbox import SandboxRuntime
from tests.browser.test_pane import office_stub
from tests.web.conftest import AVA

pytestmark = pytest.mark.browser


def test_a_weekly_series_ending_after_four_is_created_once(
        page: Any, live_server: str, bearer: Callable[[str], dict[str, str]],
        clean_sandbox: SandboxRuntime) -> None:
    token = bearer(AVA)["Authorization"].split(" ", 1)[1]
    page.add_init_script(office_stub(token, AVA))
    page.goto(f"{live_server}/outlook/pane")
    subject = page.get_by_label("Subject", exact=True)
    expect(subject).to_have_value("Re: Widget pricing for 2027")  # the open item was read
    subject.fill("Weekly widget sync")
    assert page.locator("#repeat-days").is_hidden()

    # a custom rule the calendars cannot hold: the API's reason under Repeat
    page.get_by_label("Repeat").select_option("custom")
    page.get_by_label("Rule").fill("FREQ=HOURLY")
    page.get_by_role("button", name="Create").click()
    error = page.locator("#recurrence-error")
    error.wait_for(state="visible")
    assert "at most daily" in error.inner_text()

    page.get_by_label("Repeat").select_option("weekly")
    assert page.locator("#repeat-days").is_visible()
    page.get_by_label("After").check()
    page.get_by_label("Occurrences").fill("4")
    page.get_by_role("button", name="Create").click()
    page.locator("#result").wait_for(state="visible")
    link = page.locator("#record-link").get_attribute("href")
    org = clean_sandbox.apps["salesforce"].extensions["salesforce_org"]
    first = org.records["Event"][link.rsplit("/", 1)[1]]
    assert (first["Subject"], first["IsRecurrence2"]) == ("Weekly widget sync", True)
    assert first["Recurrence2PatternText"].startswith("RRULE:FREQ=WEEKLY;BYDAY=")
    assert first["Recurrence2PatternText"].endswith(";COUNT=4")
    series = [e for e in org.records["Event"].values()
              if e.get("Recurrence2PatternStartDate") == first["Recurrence2PatternStartDate"]
              and e.get("Subject") == "Weekly widget sync"]
    assert len(series) == 4
    mailbox = clean_sandbox.apps["graph"].extensions["graph"].store.live(AVA)
    items = [i for i in mailbox if i.resource.get("subject") == "Weekly widget sync"]
    assert len(items) == 1 and items[0].resource.get("recurrence")  # ONE series
    assert clean_sandbox.state.mail.messages() == []
