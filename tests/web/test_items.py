"""The open item view's API: the Salesforce Event mirrored from a calendar item, and
saving a calendar item to Salesforce (once, linked as the mirror, attendees linked,
nobody emailed)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import select

from addin.accounts.clients import open_calendar, open_salesforce
from addin.accounts.identity import load_user
from addin.domain import ItemDraft
from addin.sandbox import SandboxRuntime
from addin.store.models import User
from tests.clock import at, day, wall, z
from tests.web.conftest import AVA, BEN, CLEO, EVE

Bearer = Callable[[str], dict[str, str]]
CONTACT, CONTACT_ID = "o'brien@acme.example", "003000000000001AAA"
MEETING_START = at(day(10), "14:00", "Europe/Berlin")  # Thursday of the week after
MEETING_END = MEETING_START + timedelta(hours=1)
MEETING = {"subject": "Roadmap with Olivia", "location": {"displayName": "Room 4"},
           "start": {"dateTime": wall(MEETING_START), "timeZone": "Europe/Berlin"},
           "end": {"dateTime": wall(MEETING_END), "timeZone": "Europe/Berlin"},
           "attendees": [{"emailAddress": {"address": CONTACT}, "type": "required"},
                         {"emailAddress": {"address": "walk.in@unlinked.example"},
                          "type": "optional"}]}


def _graph(sandbox: SandboxRuntime, http: requests.Session, email: str,
           method: str, path: str, **kwargs: Any) -> requests.Response:
    token = sandbox.user(email).upstream_tokens["graph"]
    return http.request(method, sandbox.services["graph"] + path,
                        headers={"Authorization": f"Bearer {token}"}, **kwargs)


def test_the_mirror_of_a_calendar_item_is_found(client: Any, bearer: Bearer) -> None:
    start = at(day(9), "10:00")
    created = client.post("/api/v1/events", headers=bearer(AVA), json={
        "subject": "Mirrored", "start": z(start),
        "end": z(start + timedelta(minutes=30))}).json
    found = client.get("/api/v1/mirrors", query_string={"itemId": created["mirror"]["itemId"]},
                       headers=bearer(AVA))
    assert found.status_code == 200
    assert found.json["event"]["id"] == created["event"]["id"]
    assert found.json["mirror"]["kind"] == "appointment" and found.json["attendees"] == []
    other = client.get("/api/v1/mirrors", query_string={"itemId": created["mirror"]["itemId"]},
                       headers=bearer(BEN))
    assert other.status_code == 404 and other.json["error"]["code"] == "not_mirrored"
    missing = client.get("/api/v1/mirrors", headers=bearer(AVA))
    assert missing.status_code == 400 and "itemId" in missing.json["error"]["fields"]
    assert client.get("/api/v1/mirrors?itemId=x").status_code == 401


def test_a_calendar_item_is_saved_to_salesforce_once_and_linked(
        client: Any, services: Any, bearer: Bearer, clean_sandbox: SandboxRuntime,
        upstream: requests.Session) -> None:
    item = _graph(clean_sandbox, upstream, AVA, "POST", "/me/events", json=MEETING).json()
    clean_sandbox.state.mail.clear()
    clean_sandbox.state.stats.reset()
    assert client.get("/api/v1/mirrors", query_string={"itemId": item["id"]},
                      headers=bearer(AVA)).status_code == 404
    saved = client.post("/api/v1/mirrors", headers=bearer(AVA),
                        json={"itemId": item["id"], "whatId": "001000000000001AAA"})
    assert saved.status_code == 201, saved.json
    event = saved.json["event"]
    assert (event["subject"], event["location"]) == ("Roadmap with Olivia", "Room 4")
    assert (event["start"], event["end"]) == (z(MEETING_START), z(MEETING_END))
    assert event["whatId"] == "001000000000001AAA"
    assert saved.json["mirror"]["itemId"] == item["id"] and saved.json["sync"]["state"] == \
        "mirrored"
    people = {a["email"]: a for a in saved.json["attendees"]}
    assert set(people) == {CONTACT, "walk.in@unlinked.example"}
    assert people[CONTACT]["record"]["id"] == CONTACT_ID
    assert people["walk.in@unlinked.example"]["record"] is None
    assert clean_sandbox.state.mail.messages() == []  # nobody was emailed by the save
    with services.db.session() as session:
        user = load_user(services, session.scalar(select(User.id).where(User.email == AVA)))
    salesforce = open_salesforce(services, user)
    assert [r.relation_id for r in salesforce.event_relations(event["id"])
            if r.is_invitee] == [CONTACT_ID]
    creates = clean_sandbox.state.stats.snapshot()["salesforce"]["byOperation"]
    again = client.post("/api/v1/mirrors", headers=bearer(AVA), json={"itemId": item["id"]})
    assert again.status_code == 200 and again.json["event"]["id"] == event["id"]
    assert clean_sandbox.state.stats.snapshot()["salesforce"]["byOperation"].get(
        "sobjects.Event.create", 0) == creates.get("sobjects.Event.create", 0)
    found = client.get("/api/v1/mirrors", query_string={"itemId": item["id"]},
                       headers=bearer(AVA))
    assert found.status_code == 200 and found.json["event"]["id"] == event["id"]
    # from now on the attendees sync: one added in the sidebar is invited, once
    changed = client.put(f"/api/v1/events/{event['id']}/attendees", headers=bearer(AVA),
                         json={"attendees": [{"email": CONTACT},
                                             {"email": "walk.in@unlinked.example"},
                                             {"email": "noah.smith@acme.example"}]})
    assert changed.status_code == 200, changed.json
    assert [(m["to"], m["kind"]) for m in clean_sandbox.state.mail.messages()] == [
        ("noah.smith@acme.example", "invitation")]


def test_only_the_organizers_item_is_saved(client: Any, bearer: Bearer,
                                           clean_sandbox: SandboxRuntime,
                                           upstream: requests.Session) -> None:
    invited = {**MEETING, "attendees": [{"emailAddress": {"address": BEN},
                                         "type": "required"}]}
    _graph(clean_sandbox, upstream, AVA, "POST", "/me/events", json=invited)
    copies = _graph(clean_sandbox, upstream, BEN, "GET", "/me/events",  # other tests' too
                    params={"$top": "500"}).json()["value"]
    copy = next(c for c in copies if c["subject"] == MEETING["subject"])
    refused = client.post("/api/v1/mirrors", headers=bearer(BEN), json={"itemId": copy["id"]})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "not_organizer"
    missing = client.post("/api/v1/mirrors", headers=bearer(AVA), json={"itemId": "AAMknope"})
    assert missing.status_code == 404 and "itemId" in missing.json["error"]["fields"]
    bad = client.post("/api/v1/mirrors", headers=bearer(AVA), json={"itemId": ""})
    assert bad.status_code == 400 and "itemId" in bad.json["error"]["fields"]
    extra = client.post("/api/v1/mirrors", headers=bearer(AVA), json={"itemId": "x", "y": 1})
    assert extra.status_code == 400


def test_an_item_id_with_a_slash_is_not_in_the_calendar(client: Any, bearer: Bearer) -> None:
    """A Graph REST id never holds a "/" (Office.js's EWS-format ids do): such an id is
    not an item of the mailbox (404), never another URL of Graph's (a 503)."""
    for item_id in ("text/xml", "AAMk/nope", "AAMk+x/y=="):
        missing = client.post("/api/v1/mirrors", headers=bearer(AVA), json={"itemId": item_id})
        assert missing.status_code == 404, missing.json
        assert "itemId" in missing.json["error"]["fields"]


@pytest.mark.parametrize("email", [CLEO, EVE])
def test_google_and_exchange_server_items_are_saved_too(
        client: Any, services: Any, bearer: Bearer, email: str) -> None:
    with services.db.session() as session:
        user = load_user(services, session.scalar(select(User.id).where(User.email == email)))
    calendar = open_calendar(services, user)
    start = at(day(11), "09:00")
    item = calendar.create_item(ItemDraft(
        subject="Made in the calendar", start=start,
        end=start + timedelta(minutes=45), time_zone="Europe/Paris"),
        idempotency_key=f"test-{email}")
    saved = client.post("/api/v1/mirrors", headers=bearer(email), json={"itemId": item.item_id})
    assert saved.status_code == 201, saved.json
    assert saved.json["event"]["subject"] == "Made in the calendar"
    assert saved.json["event"]["start"] == z(start)
    assert saved.json["mirror"]["provider"] == user.calendar_provider
    found = client.get("/api/v1/mirrors", query_string={"itemId": item.item_id},
                       headers=bearer(email))
    assert found.status_code == 200 and found.json["event"]["id"] == saved.json["event"]["id"]
    again = client.post("/api/v1/mirrors", headers=bearer(email), json={"itemId": item.item_id})
    assert again.status_code == 200 and again.json["event"]["id"] == saved.json["event"]["id"]
