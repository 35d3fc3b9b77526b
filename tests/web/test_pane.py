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


def test_office_js_does_not_block_first_paint(client: Any) -> None:
    html = client.get("/outlook/pane").get_data(as_text=True)
    tag = next(line for line in html.splitlines() if "appsforoffice.microsoft.com" in line)
    assert " async" in tag and "<script" in tag


def test_time_zones_map_the_mailbox_zone_and_list_choices(client: Any) -> None:
    answer = client.get("/outlook/time-zones?name=W. Europe Standard Time").json
    assert answer["zone"]["id"] == "Europe/Berlin"
    assert answer["zone"]["label"] in ("Berlin (UTC+01:00)", "Berlin (UTC+02:00)")
    ids = [choice["id"] for choice in answer["zones"]]
    assert "America/New_York" in ids and "UTC" in ids and len(ids) == len(set(ids))
    assert ids.index("America/New_York") < ids.index("Europe/Berlin")  # west to east
    assert client.get("/outlook/time-zones?name=Europe/Paris").json["zone"]["id"] == \
        "Europe/Paris"
    refused = client.get("/outlook/time-zones?name=Mars/Base")
    assert refused.status_code == 400 and "name" in refused.json["error"]["fields"]
