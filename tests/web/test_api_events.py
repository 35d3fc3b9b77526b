"""POST /api/v1/events end to end against the sandbox: Salesforce Event, appointment,
no email, one Salesforce request; validation; ownership; pending mirror and the outbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from addin.accounts.clients import open_calendar, open_salesforce
from addin.sandbox import SandboxRuntime
from addin.services.outbox.queue import process_outbox
from addin.web.auth import load_user
from tests.clock import at, day, dst_change, iso, utc, wall, ymd, z
from tests.web.conftest import AVA, BEN, CLEO, EVE

Bearer = Callable[[str], dict[str, str]]
START = at(day(2), "15:00", "Europe/Paris")  # Wednesday of the test week, in Paris
END = START + timedelta(minutes=45)
SKIPPED = dst_change("Europe/Paris", forward=True)  # 02:00-03:00 does not exist that night
BODY = {"subject": "Discovery call with Acme", "start": iso(START),
        "end": iso(END), "location": "Teams",
        "description": "Agenda: pricing", "whoId": "003000000000001AAA",
        "whatId": "006000000000001AAA", "showAs": "busy", "reminderMinutes": 15,
        "isPrivate": False, "timeZone": "Europe/Paris"}


def _user(services: Any, email: str) -> Any:
    from sqlalchemy import select

    from addin.store.models import User

    with services.db.session() as session:
        return load_user(services, session.scalar(select(User.id).where(User.email == email)))


@pytest.mark.parametrize("email", [AVA, CLEO, EVE])
def test_create_mirrors_an_appointment_at_once(client: Any, services: Any, bearer: Bearer,
                                               clean_sandbox: SandboxRuntime, email: str) -> None:
    response = client.post("/api/v1/events", json=BODY, headers=bearer(email))
    assert response.status_code == 201, response.json
    view = response.json
    event = view["event"]
    assert event["subject"] == BODY["subject"]
    assert event["start"] == z(START) and event["end"] == z(END)
    assert event["whoId"] == BODY["whoId"] and event["reminderMinutes"] == 15
    assert event["url"].endswith(event["id"])
    provider = {AVA: "graph", CLEO: "google", EVE: "ews"}[email]
    assert view["mirror"]["provider"] == provider
    assert view["mirror"]["kind"] == "appointment" and view["mirror"]["organizer"] == email
    assert view["attendees"] == [] and view["sync"] == {"state": "mirrored"}
    stats = clean_sandbox.state.stats.snapshot()
    assert stats["salesforce"]["requests"] == 1  # create + read back in one composite
    assert clean_sandbox.state.mail.messages() == []

    user = _user(services, email)
    found = open_salesforce(services, user).find_people_by_emails([])  # connection works
    assert found == {}
    soql = open_salesforce(services, user)._call(lambda sf: sf.query(
        f"SELECT Id, Subject, OwnerId FROM Event WHERE Id = '{event['id']}'"))
    assert soql["records"][0]["OwnerId"] == user.salesforce_user_id
    item = open_calendar(services, user).find_by_salesforce_event(event["id"])
    assert item is not None and item.item_id == view["mirror"]["itemId"]
    assert item.kind == "appointment" and item.attendees == []

    again = client.get(f"/api/v1/events/{event['id']}", headers=bearer(email)).json
    assert again["event"] == event and again["mirror"]["kind"] == "appointment"


@pytest.mark.parametrize(("change", "field"), [
    ({"end": iso(START - timedelta(hours=1))}, "end"),
    ({"end": iso(at(day(4), "15:00", "Europe/Paris"))}, "end"),
    ({"subject": "x" * 256}, "subject"),
    ({"subject": "   "}, "subject"),
    ({"whoId": "001000000000001AAA"}, "whoId"),
    ({"whatId": "003000000000001AAA"}, "whatId"),
    ({"timeZone": "Mars/Base"}, "timeZone"),
    ({"start": "tomorrow"}, "start"),
    ({"start": f"{ymd(SKIPPED)}T02:30:00", "end": f"{ymd(SKIPPED)}T03:30:00"}, "start"),
    ({"start": wall(START), "timeZone": "Mars/Base"}, "timeZone"),
    ({"showAs": "maybe"}, "showAs"),
    ({"colour": "red"}, "colour"),
])
def test_validation_errors_name_the_field(client: Any, bearer: Bearer,
                                          clean_sandbox: SandboxRuntime,
                                          change: dict[str, Any], field: str) -> None:
    response = client.post("/api/v1/events", json={**BODY, **change}, headers=bearer(AVA))
    assert response.status_code == 400
    assert field in response.json["error"]["fields"]
    assert "salesforce" not in clean_sandbox.state.stats.snapshot()  # refused before upstream


def test_every_field_error_comes_back_at_once(client: Any, bearer: Bearer) -> None:
    response = client.post("/api/v1/events", headers=bearer(AVA), json={
        **BODY, "subject": "   ", "end": iso(START - timedelta(hours=1))})
    assert response.status_code == 400
    assert set(response.json["error"]["fields"]) == {"subject", "end"}


def test_a_wall_time_is_read_in_the_given_zone(client: Any, bearer: Bearer) -> None:
    """What a person typed in the pane, in the mailbox's zone (a Windows name)."""
    typed = at(day(2), "10:00", "Europe/Berlin")
    response = client.post("/api/v1/events", headers=bearer(AVA), json={
        **BODY, "start": wall(typed, minutes=True),
        "end": wall(typed + timedelta(minutes=30), minutes=True),
        "timeZone": "W. Europe Standard Time"})
    assert response.status_code == 201, response.json
    event = response.json["event"]
    assert event["start"] == z(typed) and event["end"] == z(typed + timedelta(minutes=30))


def test_salesforce_side_validation_is_translated(client: Any, bearer: Bearer) -> None:
    response = client.post("/api/v1/events", json={**BODY, "whoId": "003000000000999AAA"},
                           headers=bearer(AVA))
    assert response.status_code == 400
    assert set(response.json["error"]["fields"]) == {"whoId"}


def test_all_day_event(client: Any, bearer: Bearer) -> None:
    response = client.post("/api/v1/events", headers=bearer(CLEO), json={
        "subject": "Offsite", "isAllDay": True, "start": iso(day(10)), "end": iso(day(10))})
    assert response.status_code == 201, response.json
    assert response.json["event"]["isAllDay"] is True
    assert (response.json["event"]["start"], response.json["event"]["end"]) == (
        iso(day(10)), iso(day(10)))
    two_days = client.post("/api/v1/events", headers=bearer(CLEO), json={
        "subject": "Offsite", "isAllDay": True, "start": iso(day(10)), "end": iso(day(11))})
    assert two_days.status_code == 400 and "end" in two_days.json["error"]["fields"]


def test_auth_and_ownership(client: Any, bearer: Bearer) -> None:
    assert client.post("/api/v1/events", json=BODY).status_code == 401
    created = client.post("/api/v1/events", json=BODY, headers=bearer(AVA)).json
    other = client.get(f"/api/v1/events/{created['event']['id']}", headers=bearer(BEN))
    assert other.status_code == 404
    assert client.get("/api/v1/events/00U000000000999AAA",
                      headers=bearer(AVA)).status_code == 404


def test_calendar_outage_gives_pending_then_the_outbox_mirrors(
        client: Any, services: Any, bearer: Bearer, clean_sandbox: SandboxRuntime,
        upstream: Any) -> None:
    upstream.post(clean_sandbox.services["faults"],
                  json={"service": "graph", "status": 500, "times": 1})
    response = client.post("/api/v1/events", json=BODY, headers=bearer(AVA))
    assert response.status_code == 201
    assert response.json["sync"]["state"] == "pending"
    assert response.json["mirror"]["itemId"] is None
    event_id = response.json["event"]["id"]
    assert process_outbox(services) == 1
    view = client.get(f"/api/v1/events/{event_id}", headers=bearer(AVA)).json
    assert view["sync"] == {"state": "mirrored"} and view["mirror"]["itemId"]
    assert process_outbox(services) == 0
    mailbox = clean_sandbox.apps["graph"].extensions["graph"].store.live(AVA)
    tagged = [i for i in mailbox if any(p["value"] == event_id for p in (
        i.resource.get("extended") or {}).values())]
    assert len(tagged) == 1  # one appointment, however often the mirror was tried


def test_salesforce_outage_is_accepted_and_kept_for_the_worker(client: Any, bearer: Bearer,
                                                               clean_sandbox: SandboxRuntime,
                                                               upstream: Any) -> None:
    upstream.post(clean_sandbox.services["faults"],
                  json={"service": "salesforce", "status": 500, "times": 1})
    response = client.post("/api/v1/events", json=BODY, headers=bearer(AVA))
    assert response.status_code == 202
    assert response.json["intent"]["state"] == "pending"
    assert "://" not in response.json["sync"]["detail"]


def test_idempotency_key_replays_the_answer(client: Any, bearer: Bearer,
                                            clean_sandbox: SandboxRuntime) -> None:
    headers = {**bearer(AVA), "Idempotency-Key": "create-1"}
    first = client.post("/api/v1/events", json=BODY, headers=headers)
    second = client.post("/api/v1/events", json=BODY, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json == second.json
    assert clean_sandbox.state.stats.snapshot()["salesforce"]["requests"] == 1
    reused = client.post("/api/v1/events", json={**BODY, "subject": "Other"}, headers=headers)
    assert reused.status_code == 422


def test_records_and_context(client: Any, bearer: Bearer) -> None:
    found = client.get("/api/v1/records?q=Acme&types=Account,Opportunity",
                       headers=bearer(AVA)).json
    assert {"id": "001000000000001AAA", "type": "Account", "name": "Acme Corporation"} in found
    bad = client.get("/api/v1/records?q=A&types=Widget", headers=bearer(AVA))
    assert bad.status_code == 400 and set(bad.json["error"]["fields"]) == {"q", "types"}
    context = client.get("/api/v1/context?emails=o'brien@acme.example,"
                         "colleague@acme-sales.example,someone@gmail.com",
                         headers=bearer(AVA)).json["participants"]
    assert [p["email"] for p in context] == ["o'brien@acme.example",
                                             "colleague@acme-sales.example",
                                             "someone@gmail.com"]
    assert context[0]["records"][0]["name"] == "Olivia O'Brien"
    assert context[1]["ignored"] and context[2]["ignored"]


@pytest.mark.parametrize("email", [AVA, CLEO])
def test_a_meeting_ending_in_the_repeated_hour_keeps_its_length(
        client: Any, services: Any, bearer: Bearer, email: str) -> None:
    """Clocks go back in Paris at 03:00 on the night of the next fall-back change (found in
    the zone database): 02:30+01:00 is the second 02:30. Outlook used to get the bare wall
    time and made the meeting zero-length."""
    from datetime import datetime

    repeated = dst_change("Europe/Paris", forward=False)
    first = at(repeated, "02:30", "Europe/Paris")  # summer time, +02:00
    second = at(repeated, "02:30", "Europe/Paris", fold=1)  # winter time, +01:00
    assert utc(second) - utc(first) == timedelta(hours=1)  # one hour, same wall time
    body = {**BODY, "start": iso(first), "end": iso(second), "reminderMinutes": None}
    response = client.post("/api/v1/events", json=body, headers=bearer(email))
    assert response.status_code == 201, response.json
    assert response.json["sync"]["state"] == "mirrored"
    assert response.json["event"]["start"] == z(first)
    assert response.json["event"]["end"] == z(second)
    item = open_calendar(services, _user(services, email)).get_item(
        response.json["mirror"]["itemId"])
    assert item.start == datetime.fromisoformat(body["start"])
    assert item.end == datetime.fromisoformat(body["end"])
