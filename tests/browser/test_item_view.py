"""The open item view at Outlook's pane width (350 px), Office.js replaced by the stand-in
with an open calendar item or email: the mirrored Event and its attendees, saving a
meeting to Salesforce, the participants' records; and the sync status page it links to."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from addin.sandbox import SandboxRuntime
from addin.services.sync_pass import sync_user
from tests.browser.conftest import axe_violations
from tests.clock import at, day, wall, z
from tests.web.conftest import AVA

ARTIFACTS = Path(__file__).parent.parent / "artifacts"
pytestmark = pytest.mark.browser
CONTACT = "o'brien@acme.example"
MEETING = {"subject": "Roadmap with Olivia", "location": {"displayName": "Room 4"},
           "start": {"dateTime": wall(at(day(10), "14:00")), "timeZone": "UTC"},
           "end": {"dateTime": wall(at(day(10), "15:00")), "timeZone": "UTC"},
           "attendees": [{"emailAddress": {"address": CONTACT}, "type": "required"},
                         {"emailAddress": {"address": "walk.in@unlinked.example"},
                          "type": "required"}]}


def _open(page: Any, live_server: str, token: str, item: dict[str, Any]) -> None:
    page.add_init_script(
        f"sessionStorage.setItem('addin.token', {json.dumps(token)});"
        f"window.__standInItem = {json.dumps(item)};"
        f"window.__standInProfile = {json.dumps({'emailAddress': AVA, 'timeZone': 'UTC'})};")
    page.goto(f"{live_server}/outlook/pane")


def _token(bearer: Callable[[str], dict[str, str]]) -> str:
    return bearer(AVA)["Authorization"].split(" ", 1)[1]


def test_a_meeting_is_saved_to_salesforce_from_the_pane(
        outlook: Any, live_server: str, bearer: Callable[[str], dict[str, str]],
        clean_sandbox: SandboxRuntime, upstream: requests.Session) -> None:
    token = clean_sandbox.user(AVA).upstream_tokens["graph"]
    created = upstream.post(f"{clean_sandbox.services['graph']}/me/events", json=MEETING,
                            headers={"Authorization": f"Bearer {token}"}).json()
    clean_sandbox.state.mail.clear()
    _open(outlook, live_server, _token(bearer), {
        "itemType": "appointment", "itemId": created["id"], "subject": MEETING["subject"],
        "organizer": {"emailAddress": AVA},
        "requiredAttendees": [{"emailAddress": CONTACT},
                              {"emailAddress": "walk.in@unlinked.example"}]})
    view = outlook.locator("#item-view")
    expect(view.get_by_role("heading", name="This meeting")).to_be_visible()
    expect(view.get_by_text("Not in Salesforce yet")).to_be_visible()
    # on a meeting the pane is about that meeting: no second event offered by default
    expect(outlook.locator("#create-form")).to_be_hidden()
    expect(view.locator("#item-people")).to_contain_text("Contact: Olivia O'Brien")
    ARTIFACTS.mkdir(exist_ok=True)
    outlook.screenshot(path=str(ARTIFACTS / "item-view-not-saved.png"), full_page=True)
    assert axe_violations(outlook) == [], "item-view-not-saved"
    view.get_by_role("button", name="Save to Salesforce").click()
    expect(view.get_by_text("In Salesforce", exact=True)).to_be_visible()
    attendees = view.locator("#item-attendees li")
    expect(attendees).to_have_count(2)
    expect(attendees.filter(has_text=CONTACT)).to_contain_text("Contact: Olivia O'Brien")
    expect(attendees.filter(has_text="walk.in@unlinked.example")).to_contain_text(
        "Not in Salesforce")
    link = view.get_by_role("link", name="Open in Salesforce").get_attribute("href")
    assert link.startswith(clean_sandbox.origins["salesforce"])
    assert clean_sandbox.state.mail.messages() == []
    width = outlook.evaluate("document.documentElement.scrollWidth")
    assert width <= 350  # nothing wider than the pane
    outlook.screenshot(path=str(ARTIFACTS / "item-view-saved.png"), full_page=True)
    assert axe_violations(outlook) == [], "item-view-saved"


def test_a_mirrored_meeting_shows_its_event_and_an_email_its_people(
        outlook: Any, live_server: str, client: Any,
        bearer: Callable[[str], dict[str, str]]) -> None:
    created = client.post("/api/v1/events", headers=bearer(AVA), json={
        "subject": "Mirrored review", "start": z(at(day(9), "10:00")),
        "end": z(at(day(9), "10:30"))}).json
    client.put(f"/api/v1/events/{created['event']['id']}/attendees", headers=bearer(AVA),
               json={"attendees": [{"email": CONTACT}]})
    _open(outlook, live_server, _token(bearer), {
        "itemType": "appointment", "itemId": created["mirror"]["itemId"],
        "subject": "Mirrored review", "organizer": {"emailAddress": AVA}})
    view = outlook.locator("#item-view")
    expect(view.get_by_text("In Salesforce", exact=True)).to_be_visible()
    expect(view.locator(".item-subject")).to_have_text("Mirrored review")
    row = view.locator("#item-attendees li")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Contact: Olivia O'Brien")
    expect(row).to_contain_text("No response yet")
    outlook.screenshot(path=str(ARTIFACTS / "item-view-mirrored.png"), full_page=True)
    assert axe_violations(outlook) == [], "item-view-mirrored"
    expect(outlook.locator("#create-form")).to_be_hidden()
    outlook.get_by_role("button", name="New event instead").click()
    expect(outlook.locator("#create-form")).to_be_visible()
    expect(outlook.get_by_label("Subject")).to_be_focused()
    outlook.get_by_role("button", name="Sign out").click()
    expect(outlook.locator("#signin")).to_be_visible()
    expect(outlook.locator("#item-view")).to_have_count(0)  # nothing of the item is left


def test_the_status_page_shows_errors_retries_and_the_chart(
        outlook: Any, live_server: str, client: Any, services: Any,
        bearer: Callable[[str], dict[str, str]], clean_sandbox: SandboxRuntime,
        upstream: requests.Session) -> None:
    from sqlalchemy import select

    from addin.store.models import User

    body = {"subject": "Weekly", "start": z(at(day(9), "10:00")), "end": z(at(day(9), "10:30"))}
    created = client.post("/api/v1/events", headers=bearer(AVA), json=body).json
    with services.db.session() as session:
        ava = session.scalar(select(User.id).where(User.email == AVA))
    graph = clean_sandbox.origins["graph"]
    for n in range(3):  # three changes in Outlook, three propagations measured
        upstream.post(f"{graph}/sandbox-ui/mailboxes/{AVA}/events/"
                      f"{created['mirror']['itemId']}/edit", json={"subject": f"Weekly {n}"})
        sync_user(services, ava, "push")
    upstream.post(clean_sandbox.services["faults"],
                  json={"service": "graph", "status": 400, "times": 1})
    refused = client.post("/api/v1/events", headers=bearer(AVA),
                          json={**body, "subject": "Refused"}).json
    assert refused["sync"]["state"] == "failed"
    _open(outlook, live_server, _token(bearer), {"subject": "An email"})
    outlook.get_by_role("link", name="Sync status").click()
    outlook.wait_for_url("**/status")
    errors = outlook.locator("#errors li")
    expect(errors).to_have_count(1)
    expect(errors).to_contain_text("Add the event to the calendar: Refused")
    chart = outlook.locator("#chart svg[role=img]")
    expect(chart).to_be_visible()
    expect(chart.locator("rect.bar")).to_have_count(3)
    assert "median" in chart.get_attribute("aria-label")
    expect(outlook.locator("#passes li")).to_have_count(3)
    assert outlook.evaluate("document.documentElement.scrollWidth") <= 350
    ARTIFACTS.mkdir(exist_ok=True)
    outlook.screenshot(path=str(ARTIFACTS / "sync-status.png"), full_page=True)
    assert axe_violations(outlook) == [], "sync-status"
    errors.get_by_role("button", name="Retry").first.click()
    expect(outlook.locator("#errors-empty")).to_be_visible()
    expect(outlook.locator("#status")).to_have_text("Retried.")
    outlook.screenshot(path=str(ARTIFACTS / "sync-status-retried.png"), full_page=True)
    assert axe_violations(outlook) == [], "sync-status-retried"


def test_the_admin_page_lists_the_organization(
        outlook: Any, live_server: str, client: Any, services: Any,
        bearer: Callable[[str], dict[str, str]]) -> None:
    from sqlalchemy import select

    from addin.store.models import User

    ben = "ben.carter@acme-sales.example"
    client.post("/api/v1/events", headers=bearer(ben), json={
        "subject": "Ben's", "start": z(at(day(9), "10:00")), "end": z(at(day(9), "10:30"))})
    with services.db.session() as session:
        ben_id = session.scalar(select(User.id).where(User.email == ben))
    sync_user(services, ben_id, "poll")
    outlook.set_viewport_size({"width": 1280, "height": 900})
    _open(outlook, live_server, _token(bearer), {"subject": "An email"})
    outlook.get_by_role("link", name="Sync status").click()
    outlook.get_by_role("link", name="Organization").click()
    outlook.wait_for_url("**/status/admin")
    row = outlook.locator("#users tbody tr").filter(has_text=ben)
    expect(row).to_contain_text("1 synced")
    expect(outlook.locator("#settings")).to_contain_text("two_way")
    ARTIFACTS.mkdir(exist_ok=True)
    outlook.screenshot(path=str(ARTIFACTS / "sync-status-admin.png"), full_page=True)
    assert axe_violations(outlook) == [], "sync-status-admin"
    row.get_by_role("link").click()
    outlook.wait_for_url(f"**/status?user={ben_id}")
    expect(outlook.locator("#title")).to_contain_text("Sync status of")
    expect(outlook.locator("#passes li")).to_have_count(1)
    expect(outlook.locator("#sync-button")).to_be_hidden()


def test_on_an_email_the_create_form_comes_first_and_its_people_follow(
        outlook: Any, live_server: str, bearer: Callable[[str], dict[str, str]]) -> None:
    _open(outlook, live_server, _token(bearer), {
        "itemType": "message", "subject": "Widget pricing",
        "from": {"emailAddress": CONTACT}, "to": [{"emailAddress": AVA}]})
    view = outlook.locator("#item-view")
    expect(view.get_by_role("heading", name="This email")).to_be_visible()
    expect(view.locator("#item-people li")).to_contain_text("Olivia O'Brien")
    expect(outlook.locator("#create-form")).to_be_visible()
    # in reading order: the pane's heading, the Create form, then the email's people
    assert outlook.evaluate("""() => {
        const form = document.getElementById("create-form");
        const view = document.getElementById("item-view");
        const title = document.getElementById("title");
        return Boolean(title.compareDocumentPosition(form) & Node.DOCUMENT_POSITION_FOLLOWING)
          && Boolean(form.compareDocumentPosition(view) & Node.DOCUMENT_POSITION_FOLLOWING);
    }""")
    outlook.screenshot(path=str(ARTIFACTS / "item-view-email.png"), full_page=True)
    assert axe_violations(outlook) == [], "item-view-email"
