"""The record page "Open in Salesforce" leads to, in Lightning and Classic form."""

from __future__ import annotations

from datetime import timedelta

import requests
from simple_salesforce import Salesforce

from addin.sandbox import SandboxRuntime
from tests.clock import at, day, z


def test_an_event_opens_in_lightning_and_classic(
        sf: Salesforce, clean_sandbox: SandboxRuntime, upstream: requests.Session) -> None:
    start = at(day(2), "10:00")
    event = sf.Event.create({"Subject": "Pricing <review>", "Location": "Room 4",
                             "StartDateTime": z(start),
                             "EndDateTime": z(start + timedelta(minutes=30))})
    origin = clean_sandbox.origins["salesforce"]
    for path in (f"/lightning/r/Event/{event['id']}/view", f"/{event['id']}",
                 f"/{event['id'][:15]}"):
        page = upstream.get(origin + path)
        assert page.status_code == 200, path
        assert page.headers["Content-Type"].startswith("text/html")
        assert "<h1>Pricing &lt;review&gt;</h1>" in page.text
        assert '<td data-field=Location>Room 4</td>' in page.text
    sf.Event.delete(event["id"])
    gone = upstream.get(f"{origin}/lightning/r/Event/{event['id']}/view")
    assert gone.status_code == 404 and "deleted" in gone.text


def test_a_path_that_is_no_record_keeps_the_emulators_json_error(
        clean_sandbox: SandboxRuntime, upstream: requests.Session) -> None:
    answer = upstream.get(f"{clean_sandbox.origins['salesforce']}/nothing-here")
    assert answer.status_code == 404
    assert answer.headers["Content-Type"].startswith("application/json")
