"""Makes the documentation's screenshots (docs/images/pane.png, docs/images/meeting.png)
from the product itself: `addin serve` in sandbox mode, the Outlook pane driven by
Playwright in headless Debian Chromium, Office.js replaced by the browser tests' stand-in.

    .venv/bin/python docs/screenshots.py          # needs `bash .ci/setup test` and chromium

1. pane.png: Ava Martin (a seeded Outlook user) has an email from Olivia O'Brien open; the
   pane's Create dialog, prefilled from the email, with the time and place filled in.
2. meeting.png: she created the Event, added three attendees in the pane (a Contact, a
   Salesforce User, an address nobody knows), Olivia accepted in Outlook; the pane opened
   on the mirrored meeting in her calendar shows the Salesforce Event with its attendees,
   their records and their answers. (The sandbox has no calendar page of its own: this is
   how the mirrored meeting looks from Outlook.)
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
STAND_IN = ROOT / "tests" / "browser" / "office_stand_in.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AVA = "ava.martin@acme-sales.example"  # Outlook (Graph), Lightning
OLIVIA = "o'brien@acme.example"  # a Contact at Acme Corporation
BEN = "ben.carter@acme-sales.example"  # a colleague: a Salesforce User
STRANGER = "sam.lee@northwind.example"  # nobody in Salesforce
WIDTH = 350  # Outlook's task pane


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`addin serve` in sandbox mode with its own instance folder (a new world)."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADDIN_")}
    env.update(ADDIN_INSTANCE_PATH=str(folder / "instance"), ADDIN_MODE="sandbox")
    log = (folder / "serve.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "addin", "serve", "--port", str(port)],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"addin serve stopped: see {folder / 'serve.log'}")
        try:
            if requests.get(f"{url}/healthz", timeout=2).ok:
                return process, url
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    process.kill()
    raise SystemExit("addin serve did not become ready within 60 s")


def _origin(address: str) -> str:
    parts = urlsplit(address)
    return f"{parts.scheme}://{parts.netloc}"


def _next_thursday() -> date:
    today = date.today()
    return today + timedelta(days=(7 - today.weekday()) + 3)


def _context(browser: Any, url: str, origins: list[str], script: str) -> Any:
    context = browser.new_context(viewport={"width": WIDTH, "height": 760},
                                  device_scale_factor=2, locale="en-US",
                                  timezone_id="Europe/Berlin", ignore_https_errors=True)
    stand_in = STAND_IN.read_text()
    allowed = (url, *origins)

    def route(request_route: Any) -> None:
        target = request_route.request.url
        if "appsforoffice.microsoft.com" in target:
            request_route.fulfill(status=200, content_type="text/javascript", body=stand_in)
        elif target.startswith(allowed):
            request_route.continue_()
        else:
            request_route.abort()  # nothing leaves the machine

    context.route("**/*", route)
    context.add_init_script(script)
    return context


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="addin-screenshots-") as tmp:
        process, url = _serve(Path(tmp))
        try:
            _shoot(url)
        finally:
            process.terminate()
            process.wait(timeout=30)
    print(f"wrote {IMAGES / 'pane.png'} and {IMAGES / 'meeting.png'}")


def _shoot(url: str) -> None:
    index = requests.get(f"{url}/sandbox", timeout=10).json()
    token = next(u["token"] for u in index["users"] if u["email"] == AVA)
    origins = sorted({_origin(u) for u in index["services"].values() if "://" in str(u)})
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    mailbox = {"timeZone": "W. Europe Standard Time", "email": AVA,
               "displayName": "Ava Martin",
               "item": {"subject": "Re: Widget pricing for 2027",
                        "from": {"displayName": "Olivia O'Brien", "emailAddress": OLIVIA},
                        "to": [{"displayName": "Ava Martin", "emailAddress": AVA}]}}
    signed_in = f"sessionStorage.setItem('addin.token', {json.dumps(token)});"
    thursday = _next_thursday().isoformat()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"])
        # 1. the Create dialog, prefilled from the open email
        context = _context(browser, url, origins, signed_in +
                           f"window.__officeStandIn = {json.dumps(mailbox)};")
        page = context.new_page()
        page.goto(f"{url}/outlook/pane", wait_until="domcontentloaded")
        expect(page.locator("#create-form")).to_be_visible()
        expect(page.get_by_label("Related To")).to_have_value("Acme Corporation")
        page.get_by_label("Start", exact=True).fill(f"{thursday}T10:00")
        page.get_by_label("End", exact=True).fill(f"{thursday}T10:30")
        page.get_by_label("Location").fill("Teams")
        page.get_by_label("Subject", exact=True).click()
        page.screenshot(path=str(IMAGES / "pane.png"), full_page=True)
        # 2. create it, add the attendees in the pane
        page.get_by_role("button", name="Create", exact=True).click()
        expect(page.locator("#result")).to_be_visible()
        for email in (OLIVIA, BEN, STRANGER):
            page.get_by_label("Add attendee (email)").fill(email)
            page.get_by_role("button", name="Add", exact=True).click()
            expect(page.locator(f'#attendee-list li[data-email="{email}"]')).to_be_visible()
        event_id = (page.locator("#record-link").get_attribute("href") or "").rsplit("/", 1)[1]
        context.close()
        # Olivia accepts in Outlook; a sync pass carries her answer into Salesforce
        event = api.get(f"{url}/api/v1/events/{event_id}", timeout=10).json()
        item_id = event["mirror"]["itemId"]
        graph = _origin(index["services"]["graph"])
        requests.post(f"{graph}/sandbox-ui/mailboxes/{AVA}/events/{item_id}/respond",
                      json={"email": OLIVIA, "response": "accepted"}, timeout=10,
                      verify=index["caCertificate"]).raise_for_status()
        requests.post(f"{url}/sandbox/sync", json={"email": AVA}, timeout=60).raise_for_status()
        # 3. the pane opened on the mirrored meeting in Ava's calendar
        item = {"itemType": "appointment", "itemId": item_id,
                "subject": "Re: Widget pricing for 2027", "organizer": {"emailAddress": AVA},
                "requiredAttendees": [{"emailAddress": e} for e in (OLIVIA, BEN, STRANGER)]}
        profile = {"emailAddress": AVA, "timeZone": "W. Europe Standard Time"}
        context = _context(browser, url, origins, signed_in +
                           f"window.__standInItem = {json.dumps(item)};"
                           f"window.__standInProfile = {json.dumps(profile)};")
        page = context.new_page()
        page.goto(f"{url}/outlook/pane", wait_until="domcontentloaded")
        view = page.locator("#item-view")
        expect(view.get_by_text("In Salesforce", exact=True)).to_be_visible()
        expect(view.locator("#item-attendees li")).to_have_count(3)
        expect(view.locator("#item-attendees li").filter(has_text=OLIVIA)).to_contain_text(
            "Accepted")
        page.screenshot(path=str(IMAGES / "meeting.png"), full_page=True)
        context.close()
        browser.close()


if __name__ == "__main__":
    main()
