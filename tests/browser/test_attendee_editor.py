"""The pane's attendee editor at Outlook's width (350 px): "Create Contact" opens a form
prefilled by the server that the rep edits before saving; every attendee action shows its
progress, is disabled while its request runs, and shows its error where it was."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from addin.accounts.clients import open_salesforce
from addin.accounts.identity import load_user
from addin.sandbox import SandboxRuntime
from tests.web.conftest import AVA

ARTIFACTS = Path(__file__).parent.parent / "artifacts"
pytestmark = pytest.mark.browser
ACME = "001000000000001AAA"


@pytest.fixture
def result_screen(outlook: Any, live_server: str, bearer: Callable[[str], dict[str, str]],
                  clean_sandbox: SandboxRuntime) -> Any:
    """Ava's pane, signed in, on the result screen of an Event she just created."""
    token = bearer(AVA)["Authorization"].split(" ", 1)[1]
    outlook.add_init_script(f"""
      sessionStorage.setItem("addin.token", {json.dumps(token)});
      window.Office = {{
        onReady: () => Promise.resolve({{host: "Outlook", platform: "OfficeOnline"}}),
        context: {{mailbox: {{
          item: {{subject: "Attendee editor", from: {{displayName: "Ava Martin",
                  emailAddress: {json.dumps(AVA)}}}, to: [], cc: []}},
          userProfile: {{emailAddress: {json.dumps(AVA)}, displayName: "Ava Martin",
                         timeZone: "W. Europe Standard Time"}},
        }}}},
      }};
    """)
    outlook.goto(f"{live_server}/outlook/pane")
    expect(outlook.get_by_label("Subject", exact=True)).to_have_value("Attendee editor")
    outlook.get_by_role("button", name="Create", exact=True).click()
    outlook.locator("#result").wait_for(state="visible")
    return outlook


def _add(page: Any, email: str) -> None:
    page.get_by_label("Add attendee (email)").fill(email)
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(f'#attendee-list li[data-email="{email}"]')).to_be_visible()


def _contact(services: Any, email: str) -> dict[str, Any]:
    from sqlalchemy import select

    from addin.store.models import User

    with services.db.session() as session:
        user = load_user(services, session.scalar(select(User.id).where(User.email == AVA)))
    salesforce = open_salesforce(services, user)
    rows = salesforce._call(lambda sf: sf.query(
        "SELECT FirstName, LastName, AccountId, Account.Name, Account.Website FROM Contact "
        f"WHERE Email = '{email}'"))["records"]
    assert len(rows) == 1, rows
    return dict(rows[0])


def test_create_contact_is_prefilled_and_saves_what_the_rep_edited(
        result_screen: Any, services: Any) -> None:
    """The defect: one click made LastName "raj.patel", no first name, no Account."""
    page = result_screen
    _add(page, "arjun.mehta@acme.example")
    row = page.locator('#attendee-list li[data-email="arjun.mehta@acme.example"]')
    expect(row).to_contain_text("Not in Salesforce")
    row.get_by_role("button", name="Create a Contact for arjun.mehta@acme.example").click()
    form = row.get_by_role("form", name="New Salesforce record for arjun.mehta@acme.example")
    expect(form.get_by_label("First name")).to_have_value("Arjun")
    expect(form.get_by_label("Last name")).to_have_value("Mehta")
    expect(form.get_by_label("Account", exact=True)).to_have_value(ACME)
    expect(form.get_by_label("First name")).to_be_focused()
    form.get_by_label("First name").fill("Arjuna")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "outlook-pane-create-contact.png"), full_page=True)
    form.get_by_role("button", name="Save Contact").click()
    expect(row).to_contain_text("Contact: Arjuna Mehta")
    expect(row).not_to_contain_text("Not in Salesforce")
    contact = _contact(services, "arjun.mehta@acme.example")
    assert (contact["FirstName"], contact["LastName"], contact["AccountId"]) == (
        "Arjuna", "Mehta", ACME)


def test_create_contact_offers_a_new_account_and_names_the_wrong_field(
        result_screen: Any, services: Any) -> None:
    page = result_screen
    guest = "charles.babbage@difference-engines.co.uk"
    _add(page, guest)
    row = page.locator(f'#attendee-list li[data-email="{guest}"]')
    row.get_by_role("button", name=f"Create a Contact for {guest}").click()
    form = row.get_by_role("form")
    expect(form.get_by_label("Account", exact=True)).to_have_value("new")
    expect(form.get_by_label("New Account name")).to_have_value("Difference Engines")
    form.get_by_label("Last name").fill("")
    form.get_by_role("button", name="Save Contact").click()
    last = form.get_by_label("Last name")
    expect(last).to_have_attribute("aria-invalid", "true")
    expect(form.locator('[data-field="lastName"] .error')).to_have_text("Enter a last name.")
    expect(last).to_be_focused()
    last.fill("Babbage")
    expect(form.locator('[data-field="lastName"] .error')).to_be_hidden()  # stale: cleared
    form.get_by_label("New Account name").fill("Difference Engines Ltd")
    form.get_by_role("button", name="Save Contact").click()
    expect(row).to_contain_text("Contact: Charles Babbage")
    contact = _contact(services, guest)
    assert contact["Account"]["Name"] == "Difference Engines Ltd"
    assert contact["Account"]["Website"] == "difference-engines.co.uk"


def test_create_contact_can_be_cancelled_or_saved_as_a_lead(result_screen: Any) -> None:
    page = result_screen
    guest = "sam.free@gmail.com"
    _add(page, guest)
    row = page.locator(f'#attendee-list li[data-email="{guest}"]')
    create = row.get_by_role("button", name=f"Create a Contact for {guest}")
    create.click()
    form = row.get_by_role("form")
    expect(form.get_by_label("Account", exact=True)).to_have_value("")  # free mail: none
    form.get_by_role("button", name="Cancel").click()
    expect(form).to_have_count(0)
    expect(create).to_be_focused()
    create.click()
    form = row.get_by_role("form")
    form.get_by_label("Save as").select_option("Lead")
    expect(form.get_by_label("Account", exact=True)).to_be_hidden()
    form.get_by_role("button", name="Save Lead").click()  # a Lead needs a company
    expect(form.locator('[data-field="company"] .error')).to_have_text(
        "A Lead needs a company.")
    form.get_by_label("Company").fill("Freelance")
    form.get_by_role("button", name="Save Lead").click()
    expect(row).to_contain_text("Lead: Sam Free")


class Held:
    """Requests to one API path held back until the test lets them go (or answers them),
    so a test can look at the pane while a request runs."""

    def __init__(self, page: Any, pattern: str):
        self.routes: list[Any] = []
        page.route(pattern, self._hold)

    def _hold(self, route: Any) -> None:
        self.routes.append(route)

    def wait(self, page: Any) -> Any:
        """The next held request (Playwright delivers it while the page is waited on)."""
        for _ in range(200):
            if self.routes:
                return self.routes.pop(0)
            page.wait_for_timeout(50)
        raise AssertionError("the request was never sent")


def test_attendee_actions_show_progress_and_keep_what_was_typed(result_screen: Any) -> None:
    page = result_screen
    email = page.get_by_label("Add attendee (email)")
    add = page.locator("#attendee-add")

    held = Held(page, "**/api/v1/events/*/attendees")
    email.fill("not-an-email")
    add.click()
    request = held.wait(page)
    expect(add).to_be_disabled()
    expect(add).to_have_text("Adding…")
    expect(email).to_have_value("not-an-email")  # not cleared before the server answers
    request.continue_()
    expect(page.locator("#attendee-error")).to_contain_text("not a valid email")
    expect(email).to_have_value("not-an-email")  # kept to be corrected
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(add).to_be_enabled()
    expect(add).to_have_text("Add")
    email.fill("noah.smith@acme.example")
    expect(page.locator("#attendee-error")).to_be_hidden()  # stale: cleared
    add.click()
    held.wait(page).continue_()
    expect(page.locator("#attendee-list li")).to_have_count(1)
    expect(email).to_have_value("")  # accepted: now cleared

    remove = page.get_by_label("Remove noah.smith@acme.example")
    remove.click()
    request = held.wait(page)
    expect(remove).to_be_disabled()
    expect(remove).to_have_text("Removing…")
    expect(add).to_be_disabled()  # no second change from a stale list meanwhile
    request.fulfill(status=503, content_type="application/json", body=json.dumps(
        {"error": {"code": "upstream_unavailable",
                   "message": "Your calendar is not available right now."}}))
    row = page.locator('#attendee-list li[data-email="noah.smith@acme.example"]')
    expect(row.locator(".error")).to_have_text("Your calendar is not available right now.")
    expect(remove).to_be_enabled()
    page.unroute("**/api/v1/events/*/attendees")

    _add(page, "walk.in.progress@unlinked.example")
    drafts = Held(page, "**/api/v1/records/draft?*")
    create = page.get_by_label("Create a Contact for walk.in.progress@unlinked.example")
    create.click()
    request = drafts.wait(page)
    expect(create).to_be_disabled()
    expect(create).to_have_text("Loading…")
    request.continue_()
    form = page.get_by_role("form")
    expect(form.get_by_label("Last name")).to_have_value("Progress")
    saves = Held(page, "**/api/v1/records")
    save = form.locator("button[type=submit]")
    expect(save).to_have_text("Save Contact")
    save.click()
    request = saves.wait(page)
    expect(save).to_be_disabled()
    expect(save).to_have_text("Saving…")
    request.continue_()
    expect(page.locator("#attendee-list")).not_to_contain_text("Not in Salesforce")

    page.get_by_role("button", name="Cancel event").click()
    cancels = Held(page, "**/api/v1/events/00U*")
    yes = page.locator("#cancel-yes")
    yes.click()
    request = cancels.wait(page)
    expect(yes).to_be_disabled()
    expect(yes).to_have_text("Cancelling…")
    expect(page.get_by_role("button", name="Keep it")).to_be_disabled()
    page.screenshot(path=str(ARTIFACTS / "outlook-pane-cancelling.png"), full_page=True)
    request.continue_()
    expect(page.locator("#result-title")).to_have_text("Event cancelled")
