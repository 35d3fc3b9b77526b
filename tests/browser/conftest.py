"""Headless Debian Chromium driven by Playwright (Playwright's own browsers cannot be
downloaded here). Requests to any host but the test server are answered locally."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (bash .ci/test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=ARGS)
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
