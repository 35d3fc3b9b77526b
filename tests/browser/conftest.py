"""Headless Debian Chromium driven by Playwright (Playwright's own browsers cannot be
downloaded here). Requests to any host but the test server are answered locally."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ARTIFACTS

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]


def _browser_environment() -> dict[str, str]:
    """In a moved-clock run (.ci/test, libfaketime) Chromium keeps the moved wall clock but
    needs its monotonic clock moved too: it waits on absolute monotonic deadlines that
    libfaketime only translates that way."""
    env = dict(os.environ)
    if "FAKETIME" in env:
        env["FAKETIME_DONT_FAKE_MONOTONIC"] = "0"
    return env


# How long an expectation waits for the page to get there (Playwright's default is 5 s).
# A whole moved-clock run on 4 workers, every clock read of Chromium and of the server going
# through libfaketime, once took longer than 5 s to show the pane after the sign-in popup
# (the test passes alone in 20 s); the expectations themselves are unchanged.
EXPECT_TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (bash .ci/test installs it)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=ARGS, env=_browser_environment())
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 320, "height": 900})
    tab = context.new_page()

    def route(request_route: Any) -> None:
        if request_route.request.url.startswith(live_server):
            request_route.continue_()
        elif "appsforoffice.microsoft.com" in request_route.request.url:
            request_route.fulfill(status=200, content_type="text/javascript",
                                  body="/* office.js is stubbed by the test */")
        else:
            request_route.abort()

    tab.route("**/*", route)
    yield tab
    context.close()


OFFICE_STAND_IN = (Path(__file__).parent / "office_stand_in.js").read_text()


@pytest.fixture
def outlook(browser: Any, live_server: str, clean_sandbox: Any) -> Iterator[Any]:
    """The pane as Outlook shows it: 350 px wide, Office.js replaced by a stand-in whose
    dialogs are real windows; the sandbox's emulators (HTTPS, development CA) reachable,
    everything else refused. Routes apply to every window of the context (MSAL's popup,
    Office dialogs)."""
    context = browser.new_context(viewport={"width": 350, "height": 900},
                                  ignore_https_errors=True)
    allowed = (live_server, *clean_sandbox.origins.values())

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if "appsforoffice.microsoft.com" in url:
            request_route.fulfill(status=200, content_type="text/javascript",
                                  body=OFFICE_STAND_IN)
        elif url.startswith(allowed):
            request_route.continue_()
        else:
            request_route.abort()

    context.route("**/*", route)
    yield context.new_page()
    context.close()


WIDTHS = (350, 1280)  # Outlook's task pane, and a wide pane (Outlook on the web, pinned)
AXE = Path(__file__).parents[2] / "frontend" / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations of a page as it is now (any page of the
    product: the pane, the status pages)."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed (bash .ci/setup installs frontend/)")
    if not page.evaluate("() => !!window.axe"):
        page.evaluate(AXE.read_text())  # not a <script>: the page's CSP stays on
    found = page.evaluate("""async () => (await axe.run(document,
        {resultTypes: ["violations"]})).violations
        .filter((v) => v.impact === "serious" || v.impact === "critical")
        .map((v) => ({id: v.id, impact: v.impact,
                      nodes: v.nodes.map((n) => n.target.join(" "))}))""")
    return list(found)


@dataclass
class Pane:
    """The Outlook pane in one browser context, with what every screen is checked for."""

    page: Any
    width: int
    office_js_requests: list[Any] = field(default_factory=list)  # held, unanswered

    def answer_office_js(self) -> None:
        """Office.js's CDN answers at last (office_js="late")."""
        for request_route in self.office_js_requests:
            request_route.fulfill(status=200, content_type="text/javascript",
                                  body=OFFICE_STAND_IN)
        self.office_js_requests.clear()

    def axe(self) -> list[dict[str, Any]]:
        """axe-core's serious and critical violations of the screen as it is now."""
        return axe_violations(self.page)

    def screen(self, name: str) -> None:
        """Every screen: a screenshot kept as a test artifact, and no serious axe-core
        violations."""
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"pane-{name}-{self.width}px.png"),
                             full_page=True)
        assert self.axe() == [], name
        primary = self.page.locator("[appearance=primary]:visible, button:not(.secondary)"
                                    ":not(.danger):visible")
        assert primary.count() <= 1, f"{name}: more than one primary button"


@pytest.fixture(params=WIDTHS, ids=lambda width: f"{width}px")
def width(request: pytest.FixtureRequest) -> int:
    return int(request.param)


@pytest.fixture
def open_pane(browser: Any, live_server: str, clean_sandbox: Any,
              width: int) -> Iterator[Callable[..., Pane]]:
    """Opens the pane at ``width`` with the Office.js stand-in configured by ``office``
    (see office_stand_in.js), optionally signed in with ``token``, the browser in
    ``timezone_id``; ``office_js``: "stand-in", "hang" (the CDN never answers), "late"
    (it answers when the test calls Pane.answer_office_js) or "fail"."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed (bash .ci/setup installs frontend/)")
    contexts: list[Any] = []

    def open_(*, token: str | None = None, office: dict[str, Any] | None = None,
              office_js: str = "stand-in", timezone_id: str | None = None,
              goto: bool = True) -> Pane:
        context = browser.new_context(viewport={"width": width, "height": 900},
                                      timezone_id=timezone_id, locale="en-US",
                                      ignore_https_errors=True)
        contexts.append(context)
        allowed = (live_server, *clean_sandbox.origins.values())

        def route(request_route: Any) -> None:
            url = request_route.request.url
            if "appsforoffice.microsoft.com" in url:
                if office_js in ("hang", "late"):
                    held.append(request_route)  # unanswered: the request stays pending
                    return
                if office_js == "fail":
                    request_route.abort()
                    return
                request_route.fulfill(status=200, content_type="text/javascript",
                                      body=OFFICE_STAND_IN)
            elif url.startswith(allowed):
                request_route.continue_()
            else:
                request_route.abort()

        held: list[Any] = []
        context.route("**/*", route)
        script = f"window.__officeStandIn = {json.dumps(office or {})};"
        if token:
            script += f"sessionStorage.setItem('addin.token', {json.dumps(token)});"
        context.add_init_script(script)
        pane = Pane(context.new_page(), width, held)
        if goto:
            # "load" waits for every script, Office.js included: the pane must not
            pane.page.goto(f"{live_server}/outlook/pane", wait_until="domcontentloaded")
        return pane

    yield open_
    for context in contexts:
        context.close()
