"""The pane's reads and failures, headless Chromium: each property of the open item is read
from Outlook once, a failing item view says so, and a failed token never becomes an
anonymous request."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.conftest import AVA

pytestmark = pytest.mark.browser

# Compose mode: every item property answers through getAsync, each call counted.
COUNTING_COMPOSE_STUB = """
  window.__reads = {};
  const later = (key, value) => ({getAsync: (callback) => {
    window.__reads[key] = (window.__reads[key] || 0) + 1;
    setTimeout(() => callback({status: "succeeded", value}), 10);
  }});
  window.Office = {
    onReady: () => Promise.resolve({host: "Outlook"}),
    context: {mailbox: {
      item: {subject: later("subject", "Kick-off with Initech"),
             from: later("from", {displayName: "Ava Martin",
                                  emailAddress: "ava.martin@acme-sales.example"}),
             to: later("to", [{displayName: "Emma Brown",
                               emailAddress: "emma.brown@initech.example"}]),
             cc: later("cc", []), requiredAttendees: later("requiredAttendees", []),
             organizer: later("organizer", null),
             optionalAttendees: later("optionalAttendees", [])},
      userProfile: {emailAddress: "ava.martin@acme-sales.example", timeZone: "UTC"},
    }},
  };
"""


def _token(bearer: Callable[[str], dict[str, str]]) -> str:
    return bearer(AVA)["Authorization"].split(" ", 1)[1]


def test_each_item_property_is_read_from_outlook_once(
        page: Any, live_server: str, bearer: Callable[[str], dict[str, str]]) -> None:
    page.add_init_script(f"sessionStorage.setItem('addin.token', {json.dumps(_token(bearer))});"
                         + COUNTING_COMPOSE_STUB)
    page.goto(f"{live_server}/outlook/pane")
    expect(page.locator("#whoId")).not_to_have_value("")  # the Create form's prefill
    expect(page.locator("#item-people li")).not_to_have_count(0)  # and the item view's people
    reads = page.evaluate("window.__reads")
    assert reads == {key: 1 for key in ("subject", "from", "organizer", "to", "cc",
                                        "requiredAttendees", "optionalAttendees")}


def test_a_failing_item_view_is_shown_not_swallowed(
        page: Any, live_server: str, bearer: Callable[[str], dict[str, str]]) -> None:
    page.route("**/static/pane/item-view.js", lambda route: route.abort())
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.add_init_script(f"sessionStorage.setItem('addin.token', {json.dumps(_token(bearer))});"
                         + COUNTING_COMPOSE_STUB)
    page.goto(f"{live_server}/outlook/pane")
    expect(page.locator("#status")).to_contain_text("Could not show this item")
    expect(page.get_by_label("Subject", exact=True)).to_be_visible()  # the form stays usable
    assert any("could not be shown" in text for text in errors), errors


@pytest.mark.parametrize("failure", ["no-token", "renewal-fails"])
def test_a_failed_token_is_never_sent_as_an_anonymous_request(
        page: Any, live_server: str, bearer: Callable[[str], dict[str, str]],
        failure: str) -> None:
    page.add_init_script(f"sessionStorage.setItem('addin.token', {json.dumps(_token(bearer))});"
                         "window.Office = {onReady: () => Promise.resolve({host: null})};")
    page.goto(f"{live_server}/outlook/pane")
    subject = page.get_by_label("Subject", exact=True)
    subject.wait_for()
    anonymous: list[str] = []
    page.on("request", lambda request: anonymous.append(f"{request.method} {request.url}")
            if "/api/" in request.url and "authorization" not in request.headers else None)
    if failure == "no-token":  # the session's token is gone
        page.evaluate("sessionStorage.removeItem('addin.token')")
    else:  # MSAL's silent renewal throws (no account, its endpoints unreachable)
        page.evaluate("localStorage.setItem('addin.signin', 'msal')")
    subject.fill("Pricing call")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#signin")).to_be_visible()  # the sign-in prompt instead
    assert anonymous == []
