"""Headless Debian Chromium driven by Playwright (Playwright's own browsers cannot be
downloaded here). Requests to any host but the test server are answered locally."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
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
