"""The pane's screens around Create, at 350 px and 1280 px: first paint without Office.js
(its CDN hanging or failing), Office's dark theme, the sandbox sign-in, who is signed in
and sign-out, the result's hierarchy and the cancelled screen. Every screen is
screenshotted and checked with axe-core (Pane.screen)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from addin.sandbox import SandboxRuntime
from tests.browser.conftest import Pane
from tests.web.conftest import AVA, EVE

pytestmark = pytest.mark.browser
Bearer = Callable[[str], dict[str, str]]
OpenPane = Callable[..., Pane]
FIRST_PAINT_MS = 4000  # "usable within a few seconds" while Office.js never arrives
MAILBOX = {"timeZone": "W. Europe Standard Time", "email": AVA, "displayName": "Ava Martin",
           "item": {"subject": "Quarterly review",
                    "to": [{"displayName": "Noah Smith",
                            "emailAddress": "noah.smith@acme.example"}]}}
LIGHT = {"bodyBackgroundColor": "#ffffff", "bodyForegroundColor": "#242424",
         "controlBackgroundColor": "#ffffff", "controlForegroundColor": "#242424"}
DARK = {"bodyBackgroundColor": "#1f1f1f", "bodyForegroundColor": "#ffffff",
        "controlBackgroundColor": "#292929", "controlForegroundColor": "#ffffff"}


def _token(bearer: Bearer, email: str = AVA) -> str:
    return bearer(email)["Authorization"].split(" ", 1)[1]


@pytest.mark.parametrize("office_js", ["hang", "fail"])
def test_the_sandbox_sign_in_never_waits_for_office_js(
        open_pane: OpenPane, clean_sandbox: SandboxRuntime, office_js: str) -> None:
    """Defect 10: Office.js's CDN hangs (or fails): the pane still paints and the sandbox
    shortcut signs in; the form works in the browser's zone."""
    pane = open_pane(office_js=office_js, timezone_id="Europe/Paris")
    page = pane.page
    expect(page.get_by_label("Sandbox user")).to_be_visible(timeout=FIRST_PAINT_MS)
    expect(page.locator("h1:visible")).to_have_text("Sign in")
    pane.screen(f"signin-office-js-{office_js}")
    expect(page.get_by_label("Sandbox user").locator("option:checked")).to_contain_text("Ava")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#create-form")).to_be_visible(timeout=FIRST_PAINT_MS)
    expect(page.locator("#zone-hint")).to_have_text(re.compile(r"Times are in Paris \(UTC"),
                                                    timeout=FIRST_PAINT_MS + 2000)
    page.get_by_label("Subject", exact=True).fill("Without Office")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#result")).to_be_visible()


def test_a_signed_in_pane_is_usable_while_office_js_hangs(
        open_pane: OpenPane, bearer: Bearer, clean_sandbox: SandboxRuntime) -> None:
    pane = open_pane(token=_token(bearer), office_js="hang")
    page = pane.page
    expect(page.get_by_label("Subject", exact=True)).to_be_editable(timeout=FIRST_PAINT_MS)
    expect(page.locator("#account-name")).to_have_text("Ava Martin")
    assert page.evaluate("() => document.readyState") != "complete"  # office.js pending
    pane.screen("create-form-office-js-hang")


def test_the_pane_follows_office_s_dark_theme(open_pane: OpenPane, bearer: Bearer,
                                              clean_sandbox: SandboxRuntime) -> None:
    pane = open_pane(token=_token(bearer), office={**MAILBOX, "theme": DARK})
    page = pane.page
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(page.get_by_label("Subject", exact=True)).to_have_value("Quarterly review")
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    channels = [int(c) for c in re.findall(r"\d+", background)[:3]]
    assert max(channels) < 80, background  # dark, from Fluent's dark theme
    button = page.locator("#create-button")
    expect(button).to_have_css("background-color", re.compile(r"rgb\("))
    pane.screen("create-form-dark")
    page.evaluate(f"window.__standInSetTheme({json.dumps(LIGHT)})")  # the person switches
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    expect(page.locator("body")).to_have_css("background-color", "rgb(255, 255, 255)")


def test_who_is_signed_in_and_sign_out(open_pane: OpenPane, bearer: Bearer,
                                       clean_sandbox: SandboxRuntime) -> None:
    """Defect 9: who is signed in, to which organization; sign-out back to sign-in."""
    pane = open_pane(token=_token(bearer), office=MAILBOX)
    page = pane.page
    expect(page.locator("#account")).to_contain_text("Signed in as Ava Martin")
    expect(page.locator("#account-org")).to_contain_text("Acme Sales")
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#signin")).to_be_visible()
    expect(page.locator("#account")).to_be_hidden()
    expect(page.get_by_role("button", name="Sign in with Microsoft")).to_be_focused()
    pane.screen("signed-out")


def test_result_hierarchy_and_the_cancelled_screen(open_pane: OpenPane, bearer: Bearer,
                                                   clean_sandbox: SandboxRuntime) -> None:
    """Defect 9: one primary action per screen (Pane.screen checks it); Cancel event, Keep
    it and Create another are secondary; the cancelled screen is headed as such."""
    pane = open_pane(token=_token(bearer), office=MAILBOX)
    page = pane.page
    expect(page.get_by_label("Subject", exact=True)).to_have_value("Quarterly review")
    expect(page.locator("#create-button")).to_have_attribute("appearance", "primary")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#result-title")).to_be_focused()
    for name in ("Cancel event", "Create another"):
        button = page.get_by_role("button", name=name)
        expect(button).to_be_visible()
        assert button.get_attribute("appearance") != "primary"
    page.get_by_role("button", name="Cancel event").click()
    expect(page.get_by_role("button", name="Keep it")).to_have_class("secondary")
    pane.screen("cancel-confirm")
    page.get_by_role("button", name="Yes, cancel it").click()
    expect(page.locator("#result-title")).to_have_text("Event cancelled")
    expect(page.locator("h1:visible")).to_have_text("Event cancelled")  # one heading
    expect(page.get_by_text("New Salesforce event")).to_be_hidden()
    pane.screen("cancelled")
    page.get_by_role("button", name="Create another").click()
    expect(page.locator("h1:visible")).to_have_text("New Salesforce event")


@pytest.mark.parametrize(("email", "service"), [(AVA, "salesforce"), (EVE, "ews")])
def test_onboarding_screens(open_pane: OpenPane, bearer: Bearer, services: Any,
                            clean_sandbox: SandboxRuntime, email: str, service: str) -> None:
    """First run: Connect Salesforce (OAuth), or an Exchange Server mailbox's password."""
    from sqlalchemy import delete, select

    from addin.store.models import Connection, User

    with services.db.session() as session:
        user_id = session.scalar(select(User.id).where(User.email == email))
        session.execute(delete(Connection).where(Connection.user_id == user_id,
                                                 Connection.service == service))
    pane = open_pane(token=_token(bearer, email), office={**MAILBOX, "email": email})
    page = pane.page
    expect(page.locator("#onboarding")).to_be_visible()
    expect(page.locator("h1:visible")).to_have_text("Set up")
    if service == "ews":
        expect(page.locator("#exchange-form")).to_be_visible()
        expect(page.locator("#onboarding-button")).to_be_hidden()
    else:
        expect(page.get_by_role("button", name="Connect Salesforce")).to_be_visible()
    pane.screen(f"onboarding-{service}")


def test_office_js_arriving_late_fills_in_an_untouched_form(
        open_pane: OpenPane, bearer: Bearer, clean_sandbox: SandboxRuntime) -> None:
    """Office.js answers long after the pane gave up waiting, and the person has not
    touched the form yet: the open item fills it in after all (subject, the mailbox's
    zone, the item view)."""
    pane = open_pane(token=_token(bearer), office=MAILBOX, office_js="late",
                     timezone_id="Asia/Tokyo")
    page = pane.page
    expect(page.locator("#zone-hint")).to_have_text("Times are in Tokyo (UTC+09:00).",
                                                    timeout=FIRST_PAINT_MS + 2000)
    expect(page.get_by_label("Subject", exact=True)).to_have_value("")
    pane.answer_office_js()
    expect(page.get_by_label("Subject", exact=True)).to_have_value("Quarterly review")
    expect(page.locator("#zone-hint")).to_contain_text("Berlin")
    expect(page.locator("#item-view").get_by_role("heading", name="This email")
           ).to_be_visible()
    pane.screen("create-form-office-js-late")


def test_office_js_arriving_late_changes_nothing_typed(
        open_pane: OpenPane, bearer: Bearer, clean_sandbox: SandboxRuntime) -> None:
    """Office.js answers long after the pane gave up waiting: the pane has gone on in the
    browser's zone, and what the person typed stays."""
    pane = open_pane(token=_token(bearer), office=MAILBOX, office_js="late",
                     timezone_id="Asia/Tokyo")
    page = pane.page
    expect(page.locator("#zone-hint")).to_have_text("Times are in Tokyo (UTC+09:00).",
                                                    timeout=FIRST_PAINT_MS + 2000)
    page.get_by_label("Subject", exact=True).fill("Typed before Office.js")
    pane.answer_office_js()
    expect(page.locator("#create-form")).to_be_visible()
    page.wait_for_function("() => !!window.Office")
    expect(page.get_by_label("Subject", exact=True)).to_have_value("Typed before Office.js")
    expect(page.get_by_label("Time zone")).to_have_value("Asia/Tokyo")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#result")).to_be_visible()
