"""A real person's first minutes in the Outlook pane: the real MSAL.js (served from
static/vendor) signs in against the sandbox's Entra ID emulator, Office.js is a stand-in.
First sign-in of someone the product has never seen, consent, Connect Salesforce in an
Office dialog, create an Event; reload: signed in silently; sign out."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import delete, select

from addin.sandbox import SandboxRuntime
from addin.sandbox.entra import TENANT_ID, object_id
from addin.store.models import Connection, User

ARTIFACTS = Path(__file__).parent.parent / "artifacts"
pytestmark = pytest.mark.browser
GRACE = "grace.hopper@acme-sales.example"  # Outlook (Graph) mailbox, Lightning
CLIENT_ID = "addin-sandbox"  # the sandbox's Entra app


def _choose(window: Any, person: str, button: str) -> None:
    """Play the person on an emulated vendor's sign-in / consent page."""
    window.get_by_label(person).check()
    window.get_by_role("button", name=button).click()


def test_first_sign_in_consent_connect_create_reload_and_sign_out(
        outlook: Any, live_server: str, services: Any, clean_sandbox: SandboxRuntime,
        upstream: requests.Session) -> None:
    with services.db.session() as session:  # the product has never seen Grace
        session.execute(delete(User).where(User.email == GRACE))
    upstream.post(f"{clean_sandbox.origins['graph']}/sandbox-ui/entra/revoke-consent", json={})
    # links the product makes lead back here
    services.settings = replace(services.settings, public_url=live_server)
    page = outlook
    page.goto(f"{live_server}/outlook/pane")
    sign_in = page.get_by_role("button", name="Sign in with Microsoft")
    with page.expect_popup() as opened:
        sign_in.click()
    popup = opened.value
    expect(popup.get_by_text("Calendars.ReadWrite")).to_be_visible()  # asked up front
    _choose(popup, f"Grace Hopper <{GRACE}>", "Accept")

    expect(page.locator("#onboarding")).to_be_visible()
    expect(page.locator("#account-name")).to_have_text("Grace Hopper")
    expect(page.locator("#account-org")).to_have_text(" · Acme Sales (sandbox)")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "outlook-first-run.png"), full_page=True)
    with services.db.session() as session:
        grace = session.scalar(select(User).where(User.microsoft_object_id ==
                                                  object_id(GRACE)))
        assert grace is not None and grace.microsoft_tenant_id == TENANT_ID
        assert grace.salesforce_user_id is None
        services_connected = set(session.scalars(select(Connection.service).where(
            Connection.user_id == grace.id)))
    assert services_connected == {"graph"}  # on her behalf: no "Connect Microsoft"

    with page.expect_popup() as opened:
        page.get_by_role("button", name="Connect Salesforce").click()
    _choose(opened.value, f"Grace Hopper <{GRACE}>", "Allow")
    expect(page.locator("#create-form")).to_be_visible()
    expect(page.get_by_label("Subject", exact=True)).to_have_value("Intro call with Initech")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#result")).to_be_visible()
    expect(page.locator("#mirror-text")).to_have_text(
        "Added to your calendar as an appointment.")
    page.screenshot(path=str(ARTIFACTS / "outlook-first-event.png"), full_page=True)
    calendar = clean_sandbox.apps["graph"].extensions["graph"]
    subjects = [item.resource.get("subject") for item in calendar.store.live(GRACE)]
    assert "Intro call with Initech" in subjects

    page.reload()  # MSAL's cache: signed in without a prompt
    expect(page.locator("#create-form")).to_be_visible()
    expect(page.locator("#account-name")).to_have_text("Grace Hopper")
    # Tokens that expire within MSAL's renewal window are renewed silently: the refresh
    # token goes to the emulator's token endpoint (cross-origin, as with Entra ID).
    clean_sandbox.state.update_settings({"entra.accessTokenLifetimeSeconds": 120})
    page.get_by_role("button", name="Sign out").click()
    with page.expect_popup() as opened:
        page.get_by_role("button", name="Sign in with Microsoft").click()
    _choose(opened.value, f"Grace Hopper <{GRACE}>", "Accept")
    expect(page.locator("#create-form")).to_be_visible()
    clean_sandbox.state.stats.reset()
    page.reload()
    expect(page.locator("#create-form")).to_be_visible()
    operations = clean_sandbox.state.stats.snapshot()["graph"]["byOperation"]
    assert operations.get("token refresh_token", 0) >= 1, operations

    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#signin")).to_be_visible()
    expect(page.locator("#account")).to_be_hidden()
    page.reload()
    expect(page.locator("#signin")).to_be_visible()
    expect(page.locator("#create-form")).to_be_hidden()


def test_withdrawn_consent_is_asked_for_again_in_the_pane(
        outlook: Any, live_server: str, services: Any, clean_sandbox: SandboxRuntime,
        upstream: requests.Session) -> None:
    """Grace withdrew the permissions (and the product has no calendar connection for
    her): the pane explains, asks again with a consent prompt, and carries on."""
    graph = clean_sandbox.origins["graph"]
    upstream.post(f"{graph}/sandbox-ui/entra/revoke-consent", json={})
    services.settings = replace(services.settings, public_url=live_server)
    page = outlook
    page.goto(f"{live_server}/outlook/pane")
    with page.expect_popup() as opened:
        page.get_by_role("button", name="Sign in with Microsoft").click()
    _choose(opened.value, f"Grace Hopper <{GRACE}>", "Accept")
    expect(page.locator("#create-form")).to_be_visible()  # seeded: already connected

    upstream.post(f"{graph}/sandbox-ui/entra/revoke-consent", json={"email": GRACE})
    with services.db.session() as session:
        grace_id = session.scalar(select(User.id).where(User.email == GRACE))
        session.execute(delete(Connection).where(Connection.user_id == grace_id,
                                                 Connection.service == "graph"))
    page.reload()
    expect(page.locator("#consent")).to_be_visible()
    expect(page.locator("#consent-text")).to_contain_text("consent")
    with page.expect_popup() as opened:
        page.get_by_role("button", name="Review permissions").click()
    popup = opened.value
    popup.wait_for_url("**prompt=consent**")  # MSAL opens blank, then navigates
    _choose(popup, f"Grace Hopper <{GRACE}>", "Accept")
    expect(page.locator("#create-form")).to_be_visible()
    with services.db.session() as session:
        assert session.scalar(select(Connection.id).where(
            Connection.user_id == grace_id, Connection.service == "graph")) is not None


def test_nested_app_authentication_signs_in_without_a_click(
        outlook: Any, live_server: str, services: Any, clean_sandbox: SandboxRuntime,
        upstream: requests.Session) -> None:
    """Where Outlook offers Nested App Authentication, MSAL gets the token from the host
    for the account Outlook is signed in with: the pane opens signed in."""
    ava = "ava.martin@acme-sales.example"
    minted = upstream.post(f"{clean_sandbox.origins['graph']}/sandbox-ui/entra-token", json={
        "email": ava, "audience": f"api://127.0.0.1:5000/{CLIENT_ID}", "clientId": CLIENT_ID,
        "idToken": True}).json()
    account = {"homeAccountId": f"{object_id(ava)}.{TENANT_ID}",
               "environment": clean_sandbox.origins["graph"].split("://")[1],
               "tenantId": TENANT_ID, "localAccountId": object_id(ava), "username": ava,
               "name": "Ava Martin"}
    outlook.add_init_script(f"window.__standInNaa = {json.dumps({**minted, 'account': account})};")
    outlook.goto(f"{live_server}/outlook/pane")
    expect(outlook.locator("#create-form")).to_be_visible()
    expect(outlook.locator("#account-name")).to_have_text("Ava Martin")
    assert "GetToken" in outlook.evaluate("window.__naaRequests")


def test_without_popups_the_sign_in_runs_in_an_office_dialog(
        outlook: Any, live_server: str, services: Any, clean_sandbox: SandboxRuntime,
        upstream: requests.Session) -> None:
    """An Outlook host where MSAL cannot open its window (and Office SSO is missing): the
    sign-in runs MSAL's redirect flow inside an Office dialog, which hands the token to the
    pane."""
    upstream.post(f"{clean_sandbox.origins['graph']}/sandbox-ui/entra/revoke-consent", json={})
    services.settings = replace(services.settings, public_url=live_server)
    page = outlook
    page.add_init_script("""
      const realOpen = window.open.bind(window);
      window.open = (url, ...rest) => {  // MSAL's own window cannot open here
        const target = String(url || "");
        if (target === "" || target === "about:blank" || target.includes("/authorize")) {
          return null;
        }
        return realOpen(url, ...rest);
      };
    """)
    page.goto(f"{live_server}/outlook/pane")
    with page.expect_popup() as opened:
        page.get_by_role("button", name="Sign in with Microsoft").click()
    dialog = opened.value
    dialog.wait_for_url("**/oauth2/v2.0/authorize**")
    _choose(dialog, f"Grace Hopper <{GRACE}>", "Accept")
    expect(page.locator("#create-form")).to_be_visible()
    expect(page.locator("#account-name")).to_have_text("Grace Hopper")
    assert page.evaluate("localStorage.getItem('addin.signin')") == "dialog"
