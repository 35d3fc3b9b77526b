"""The Outlook pane in headless Chromium, Office stubbed with a mocked mailbox item."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from addin.sandbox import SandboxRuntime
from tests.clock import TODAY, ymd
from tests.conftest import ARTIFACTS
from tests.web.conftest import AVA, EVE

pytestmark = pytest.mark.browser
# graph, google and ews (Exchange Server) mailboxes
SANDBOX_USERS_LISTED = ("Ava", "Ben", "Cleo", "Dan", "Eve", "Finn", "Grace")

MAILBOX_ITEM = {
    "subject": "Re: Widget pricing for 2027",
    "from": {"displayName": "Olivia O'Brien", "emailAddress": "o'brien@acme.example"},
    "to": [{"displayName": "Ava Martin", "emailAddress": AVA}],
    "cc": [{"displayName": "Noah Smith", "emailAddress": "noah.smith@acme.example"}],
}


def office_stub(token: str, email: str = AVA) -> str:
    """An Office object like office-addin-mock builds: a read-mode message in the mailbox
    of ``email`` (Exchange Online or Exchange Server: the same add-in)."""
    return f"""
      sessionStorage.setItem("addin.token", {json.dumps(token)});
      window.Office = {{
        onReady: () => Promise.resolve({{host: "Outlook", platform: "OfficeOnline"}}),
        context: {{mailbox: {{
          item: {json.dumps(MAILBOX_ITEM)},
          userProfile: {{emailAddress: {json.dumps(email)}, displayName: "Ava Martin",
                         timeZone: "W. Europe Standard Time"}},
        }}}},
      }};
    """


@pytest.mark.parametrize("email", [AVA, EVE])
def test_pane_prefills_looks_up_creates_and_shows_errors(
        page: Any, live_server: str, bearer: Callable[[str], dict[str, str]],
        clean_sandbox: SandboxRuntime, email: str) -> None:
    token = bearer(email)["Authorization"].split(" ", 1)[1]
    page.add_init_script(office_stub(token, email))
    page.goto(f"{live_server}/outlook/pane")
    subject = page.get_by_label("Subject", exact=True)
    expect(subject).to_have_value("Re: Widget pricing for 2027")  # after /me, then Office
    expect(page.locator("#whoId")).not_to_have_value("")
    assert page.get_by_label("Name", exact=True).input_value() == "Olivia O'Brien"
    # the mailbox's Windows zone, as a person reads it
    expect(page.locator("#zone-hint")).to_contain_text("Times are in Berlin (UTC+0")

    # A validation error comes back next to its field.
    page.get_by_label("End", exact=True).fill(f"{ymd(TODAY - timedelta(days=7))}T08:00")
    page.get_by_role("button", name="Create").click()
    error = page.locator("#end-error")
    error.wait_for(state="visible")
    assert "after the start" in error.inner_text()
    assert page.get_by_label("End", exact=True).get_attribute("aria-invalid") == "true"
    ARTIFACTS.mkdir(exist_ok=True)
    suffix = "" if email == AVA else "-exchange-server"
    page.screenshot(path=str(ARTIFACTS / f"outlook-pane-error{suffix}.png"), full_page=True)

    # Fix it, look up an Account, create.
    same_day = page.get_by_label("Start", exact=True).input_value()[:11]
    page.get_by_label("End", exact=True).fill(same_day + "23:30")
    page.get_by_label("Related To").fill("Acme")
    option = page.get_by_role("option", name="Acme Corporation Account")
    option.click()
    assert page.locator("#whatId").input_value() == "001000000000001AAA"
    page.get_by_role("button", name="Create").click()
    page.locator("#result").wait_for(state="visible")
    assert "Added to your calendar as an appointment." in page.locator(
        "#mirror-text").inner_text()
    link = page.locator("#record-link").get_attribute("href")
    assert link and link.startswith(clean_sandbox.origins["salesforce"] + "/00U")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"outlook-pane-created{suffix}.png"), full_page=True)

    org = clean_sandbox.apps["salesforce"].extensions["salesforce_org"]
    created = org.records["Event"][link.rsplit("/", 1)[1]]
    assert created["WhatId"] == "001000000000001AAA" and created["WhoId"] == "003000000000001AAA"
    assert clean_sandbox.state.mail.messages() == []


def test_pane_without_a_token_offers_the_sandbox_sign_in(page: Any, live_server: str) -> None:
    page.add_init_script("window.Office = {onReady: () => Promise.resolve({host: null})};")
    page.goto(f"{live_server}/outlook/pane")
    page.get_by_label("Sandbox user").wait_for()
    expect(page.locator("#sandbox-user option")).to_have_count(len(SANDBOX_USERS_LISTED))
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Subject", exact=True).wait_for()
    assert page.get_by_label("Subject", exact=True).input_value() == ""


COMPOSE_STUB = """
  const later = (value) => ({getAsync: (callback) => setTimeout(
      () => callback({status: "succeeded", value}), 10)});
  window.Office = {
    onReady: () => Promise.resolve({host: "Outlook"}),
    context: {mailbox: {
      item: {subject: later("Kick-off with Initech"),
             to: later([{displayName: "Emma Brown", emailAddress: "emma.brown@initech.example"}]),
             cc: later([]), from: later(null)},
      userProfile: {emailAddress: "ava.martin@acme-sales.example", timeZone: "UTC"},
    }},
  };
"""


def test_pane_prefills_in_compose_mode(page: Any, live_server: str,
                                       bearer: Callable[[str], dict[str, str]]) -> None:
    token = bearer(AVA)["Authorization"].split(" ", 1)[1]
    page.add_init_script(f"sessionStorage.setItem('addin.token', {json.dumps(token)});"
                         + COMPOSE_STUB)
    page.goto(f"{live_server}/outlook/pane")
    expect(page.locator("#whoId")).not_to_have_value("")
    assert page.get_by_label("Subject", exact=True).input_value() == "Kick-off with Initech"
    assert page.get_by_label("Name", exact=True).input_value() == "Emma Brown"


def test_pane_asks_a_user_without_salesforce_to_connect_it_in_an_office_dialog(
        page: Any, live_server: str, bearer: Callable[[str], dict[str, str]],
        services: Any) -> None:
    from sqlalchemy import delete, select

    from addin.store.models import Connection, User

    with services.db.session() as session:
        user_id = session.scalar(select(User.id).where(User.email == AVA))
        session.execute(delete(Connection).where(Connection.user_id == user_id,
                                                 Connection.service == "salesforce"))
    token = bearer(AVA)["Authorization"].split(" ", 1)[1]
    page.add_init_script(f"""
      sessionStorage.setItem("addin.token", {json.dumps(token)});
      window.openedDialogs = [];
      window.Office = {{
        onReady: () => Promise.resolve({{host: "Outlook"}}),
        EventType: {{DialogMessageReceived: "m", DialogEventReceived: "e"}},
        context: {{
          mailbox: {{item: {{subject: "Hello"}}, userProfile: {{timeZone: "UTC"}}}},
          ui: {{displayDialogAsync: (url, options, callback) => {{
            window.openedDialogs.push(url);
            const handlers = {{}};
            callback({{status: "succeeded", value: {{
              addEventHandler: (kind, handler) => {{ handlers[kind] = handler;
                if (kind === "m") setTimeout(() => handler({{message: '{{"ok": false}}'}}), 20); }},
              close: () => {{}},
            }}}});
          }}}},
        }},
      }};
    """)
    page.goto(f"{live_server}/outlook/pane")
    expect(page.locator("#onboarding-title")).to_have_text("Welcome, Ava")
    expect(page.locator("#create-form")).to_be_hidden()
    page.get_by_role("button", name="Connect Salesforce").click()
    expect(page.locator("#onboarding-error")).to_have_text("Not connected yet. Try again.")
    opened = page.evaluate("window.openedDialogs")
    assert len(opened) == 1 and "/auth/salesforce/start?ticket=" in opened[0]


def _create_and_invite_noah(page: Any, live_server: str,
                            bearer: Callable[[str], dict[str, str]]) -> None:
    """Ava creates an Event in the pane and adds Noah (a Contact) as an attendee."""
    token = bearer(AVA)["Authorization"].split(" ", 1)[1]
    page.add_init_script(office_stub(token))
    page.goto(f"{live_server}/outlook/pane")
    expect(page.locator("#whoId")).not_to_have_value("")
    page.get_by_role("button", name="Create").click()
    page.locator("#result").wait_for(state="visible")
    page.get_by_label("Add attendee (email)").fill("noah.smith@acme.example")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#attendee-list li")).to_have_count(1)


def test_attendee_editor_turns_the_appointment_into_a_meeting(
        page: Any, live_server: str, bearer: Callable[[str], dict[str, str]],
        clean_sandbox: SandboxRuntime) -> None:
    _create_and_invite_noah(page, live_server, bearer)
    expect(page.locator("#attendee-list li")).to_contain_text("Contact: Noah Smith")
    expect(page.locator("#mirror-text")).to_have_text(
        "In your calendar as a meeting; attendees are invited.")
    page.get_by_label("Add attendee (email)").fill("walk.in.pane@unlinked.example")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#attendee-list li")).to_have_count(2)
    expect(page.locator("#attendee-list")).to_contain_text("Not in Salesforce")
    page.get_by_role("button", name="Create a Contact for walk.in.pane@unlinked.example").click()
    page.get_by_role("button", name="Save Contact").click()  # the prefilled form, as it is
    expect(page.locator("#attendee-list")).not_to_contain_text("Not in Salesforce")
    page.screenshot(path=str(ARTIFACTS / "outlook-pane-attendees.png"), full_page=True)
    page.get_by_role("button", name="Remove noah.smith@acme.example").click()
    expect(page.locator("#attendee-list li")).to_have_count(1)
    mail = sorted((m["to"], m["kind"]) for m in clean_sandbox.state.mail.messages())
    assert mail == [("noah.smith@acme.example", "cancellation"),
                    ("noah.smith@acme.example", "invitation"),
                    ("walk.in.pane@unlinked.example", "invitation")]
    page.get_by_label("Add attendee (email)").fill("pat.kim@globex.example")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#attendee-list")).to_contain_text(
        "Contact: Patricia Kim (another Contact has this email)")
    page.get_by_label("Add attendee (email)").fill("not-an-email")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#attendee-error")).to_contain_text("not a valid email")


def test_cancel_event_asks_then_cancels_once(
        page: Any, live_server: str, bearer: Callable[[str], dict[str, str]],
        clean_sandbox: SandboxRuntime) -> None:
    _create_and_invite_noah(page, live_server, bearer)
    page.get_by_role("button", name="Cancel event").click()
    page.get_by_role("button", name="Keep it").click()  # changed my mind: nothing happens
    expect(page.locator("#cancel-confirm")).to_be_hidden()
    page.get_by_role("button", name="Cancel event").click()
    page.get_by_role("button", name="Yes, cancel it").click()
    expect(page.locator("#result-title")).to_have_text("Event cancelled")
    expect(page.locator("#cancelled-text")).to_have_text(
        "Cancellation sent to noah.smith@acme.example.")
    expect(page.locator("#attendees")).to_be_hidden()
    page.screenshot(path=str(ARTIFACTS / "outlook-pane-cancelled.png"), full_page=True)
    mail = sorted((m["to"], m["kind"]) for m in clean_sandbox.state.mail.messages())
    assert mail == [("noah.smith@acme.example", "cancellation"),
                    ("noah.smith@acme.example", "invitation")]
    page.get_by_role("button", name="Create another").click()
    expect(page.locator("#create-form")).to_be_visible()


def test_pane_connects_an_exchange_server_mailbox_with_its_password(
        page: Any, live_server: str, bearer: Callable[[str], dict[str, str]],
        services: Any, clean_sandbox: SandboxRuntime) -> None:
    """An Exchange Server user without a mailbox connection is asked for the server, user
    name and password; a wrong password is named at its field; the right one connects and
    opens the Create dialog."""
    from sqlalchemy import delete, select

    from addin.store.models import Connection, User

    with services.db.session() as session:
        user_id = session.scalar(select(User.id).where(User.email == EVE))
        session.execute(delete(Connection).where(Connection.user_id == user_id,
                                                 Connection.service == "ews"))
    token = bearer(EVE)["Authorization"].split(" ", 1)[1]
    page.add_init_script(office_stub(token, EVE))
    page.goto(f"{live_server}/outlook/pane")
    expect(page.locator("#exchange-form")).to_be_visible()
    expect(page.get_by_role("button", name="Connect Exchange Server")).to_be_hidden()
    expect(page.get_by_label("User name")).to_have_value(EVE)
    page.get_by_label("Exchange server (EWS) URL").fill(clean_sandbox.services["ews"])
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Connect Exchange").click()
    expect(page.locator("#exchange-password-error")).not_to_be_empty()
    page.get_by_label("Password").fill(clean_sandbox.user(EVE).upstream_tokens["ews"])
    page.get_by_role("button", name="Connect Exchange").click()
    expect(page.locator("#create-form")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "pane-exchange-connected.png"))
    with services.db.session() as session:
        assert session.scalar(select(Connection.id).where(
            Connection.user_id == user_id, Connection.service == "ews")) is not None
