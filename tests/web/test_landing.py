"""GET /: the landing page links the pane, the sandbox index, the manifests, the API."""

from __future__ import annotations

from typing import Any


def test_the_landing_page_links_what_a_person_looks_for(client: Any) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    for href in ("/outlook/pane", "/sandbox", "/api/openapi.json", "/status",
                 "/manifests/outlook.xml", "/manifests/outlook.json",
                 "/manifests/gmail-deployment.json"):
        assert f'href="{href}"' in text, href
        # the manifests need an https public URL (400 naming it over plain http)
        assert client.get(href).status_code == (400 if "manifests" in href else 200), href
