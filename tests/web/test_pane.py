from typing import Any


def test_pane_page_loads_office_js_and_plain_modules(client: Any) -> None:
    page = client.get("/outlook/pane")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "https://appsforoffice.microsoft.com/lib/1/hosted/office.js" in html
    assert '<script type="module" src="/static/pane/pane.js">' in html
    for label in ("Subject", "Start", "End", "All day", "Location", "Description", "Name",
                  "Related To", "Show Time As", "Reminder"):
        assert f">{label}</label>" in html


def test_static_files_are_served(client: Any) -> None:
    script = client.get("/static/pane/pane.js")
    assert script.status_code == 200 and "javascript" in script.content_type
    assert script.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/static/../pyproject.toml").status_code == 404
    assert client.get("/static/pane/nope.js").status_code == 404
