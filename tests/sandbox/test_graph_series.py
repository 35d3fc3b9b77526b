"""Recurring series in the Graph emulator (addin/sandbox/graph/series.py): instances,
exceptions, cancelled occurrences, calendarView and its delta, and Exchange's emails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from addin.sandbox import SandboxRuntime
from tests.clock import at, compact, day, dst_change, iso, wall, weekday_name, z
from tests.sandbox.conftest import AVA, BEN

OUTSIDER = "pat.outsider@example.org"
WINDOW = {"startDateTime": z(at(day(-28), "00:00")), "endDateTime": z(at(day(28), "00:00"))}


def thursday(n: int = 0, hhmm: str = "10:00") -> datetime:
    """The ``n``-th occurrence of ``weekly()`` (Thursdays from the test week's), or that day
    at ``hhmm`` UTC."""
    return at(day(3 + 7 * n), hhmm)


def utc_wall(when: datetime) -> dict[str, str]:
    return {"dateTime": wall(when, "UTC"), "timeZone": "UTC"}


def weekly(count: int = 4, **extra: Any) -> dict[str, Any]:
    return {"subject": "Weekly sync",
            "start": utc_wall(thursday()), "end": utc_wall(thursday(0, "10:30")),
            "recurrence": {"pattern": {"type": "weekly", "interval": 1,
                                       "daysOfWeek": [weekday_name(day(3))]},
                           "range": {"type": "numbered", "startDate": iso(day(3)),
                                     "numberOfOccurrences": count}}, **extra}


def attendee(email: str) -> dict[str, Any]:
    return {"type": "required", "emailAddress": {"address": email, "name": email}}


@pytest.fixture
def graph(clean_sandbox: SandboxRuntime, upstream: requests.Session) -> Any:
    base = clean_sandbox.services["graph"]

    class Client:
        def __call__(self, method: str, path: str, user: str = AVA, **kwargs: Any
                     ) -> requests.Response:
            token = clean_sandbox.state.tokens.issue("graph", user)
            headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
            return upstream.request(method, base + path, headers=headers, **kwargs)

        def instances(self, master_id: str, user: str = AVA) -> list[dict[str, Any]]:
            answer = self("GET", f"/me/events/{master_id}/instances", user, params=WINDOW)
            assert answer.status_code == 200, answer.text
            return list(answer.json()["value"])

    return Client()


def ours(row: dict[str, Any], master: dict[str, Any]) -> bool:
    """The row is the master or one of its instances (the sandbox is shared by tests)."""
    return str(row["id"]).startswith(master["id"])


def mails(sandbox: SandboxRuntime) -> list[tuple[str, str, str | None]]:
    return [(m["to"], m["kind"], m.get("scope")) for m in sandbox.state.mail.messages()]


def test_a_series_is_one_master_with_occurrences(graph: Any) -> None:
    master = graph("POST", "/me/events", json=weekly()).json()
    assert master["type"] == "seriesMaster" and master["recurrence"]["pattern"]["type"] == \
        "weekly"
    found = graph.instances(master["id"])
    assert [(o["type"], o["seriesMasterId"], o["start"]["dateTime"][:16], o["originalStart"])
            for o in found] == [
        ("occurrence", master["id"], wall(thursday(n), minutes=True), z(thursday(n)))
        for n in range(4)]
    assert len({o["id"] for o in found}) == 4 and len({o["iCalUId"] for o in found}) == 4
    assert graph("GET", f"/me/events/{found[1]['id']}").json()["type"] == "occurrence"
    view = graph("GET", "/me/calendarView", params={**WINDOW, "$top": "500"}).json()["value"]
    assert [v["id"] for v in view if ours(v, master)] == [o["id"] for o in found]
    assert master["id"] not in {v["id"] for v in view}  # instances, never the master
    listed = graph("GET", "/me/events", params={"$top": "500"}).json()["value"]
    assert [e["type"] for e in listed if ours(e, master)] == ["seriesMaster"]
    window = {"startDateTime": z(at(day(9), "00:00")), "endDateTime": z(at(day(18), "00:00")),
              "$top": "500"}  # the mailbox holds the other tests' events too (pages of 10)
    assert len([v for v in graph("GET", "/me/calendarView", params=window).json()["value"]
                if ours(v, master)]) == 2


def test_an_end_date_series_keeps_its_wall_time_across_dst(graph: Any) -> None:
    """Mondays at 09:00 in New York, two before the clocks spring forward (the next change,
    from the zone database) and two after: 09:00 local each time, an hour earlier in UTC."""
    changed = dst_change("America/New_York", forward=True)
    first = changed - timedelta(days=changed.weekday() + 7)  # two Mondays before
    mondays = [at(first + timedelta(weeks=n), "09:00", "America/New_York") for n in range(4)]
    body = {"subject": "Stand-up",
            "start": {"dateTime": wall(mondays[0]), "timeZone": "Eastern Standard Time"},
            "end": {"dateTime": wall(mondays[0] + timedelta(minutes=15)),
                    "timeZone": "Eastern Standard Time"},
            "recurrence": {"pattern": {"type": "weekly", "interval": 1,
                                       "daysOfWeek": [weekday_name(first)]},
                           "range": {"type": "endDate", "startDate": iso(first),
                                     "endDate": iso(mondays[-1].date())}}}
    master = graph("POST", "/me/events", json=body).json()
    window = {"startDateTime": z(at(first - timedelta(days=28), "00:00")),
              "endDateTime": z(at(first + timedelta(days=61), "00:00"))}
    answer = graph("GET", f"/me/events/{master['id']}/instances", headers={
        "Prefer": 'outlook.timezone="Eastern Standard Time"'}, params=window)
    starts = [o["start"]["dateTime"][:16] for o in answer.json()["value"]]
    assert starts == [wall(m, minutes=True) for m in mondays]
    utc = graph("GET", f"/me/events/{master['id']}/instances", params=window)
    hours = [f"{m.astimezone(UTC).hour:02d}" for m in mondays]
    assert hours[0] == hours[1] != hours[2] == hours[3]  # the change falls in the middle
    assert [o["start"]["dateTime"][11:13] for o in utc.json()["value"]] == hours


def test_bad_patterns_are_refused(graph: Any) -> None:
    bad = weekly()
    bad["recurrence"]["pattern"]["daysOfWeek"] = []
    refused = graph("POST", "/me/events", json=bad)
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "ErrorPropertyValidationFailure"
    assert "daysOfWeek" in refused.json()["error"]["message"]
    single = graph("POST", "/me/events", json={k: v for k, v in weekly().items()
                                               if k != "recurrence"}).json()
    assert [i["id"] for i in graph.instances(single["id"])] == [single["id"]]
    assert graph("GET", f"/me/events/{single['id']}_{compact(thursday())}").status_code == 404


def test_moving_one_occurrence_makes_an_exception(graph: Any,
                                                  clean_sandbox: SandboxRuntime) -> None:
    master = graph("POST", "/me/events", json=weekly(attendees=[attendee(OUTSIDER)])).json()
    second = graph.instances(master["id"])[1]
    clean_sandbox.state.mail.clear()
    moved = graph("PATCH", f"/me/events/{second['id']}", json={
        "subject": "Moved sync",
        "start": utc_wall(at(day(11), "15:00")), "end": utc_wall(at(day(11), "15:30"))})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["type"], moved.json()["id"]) == ("exception", second["id"])
    found = graph.instances(master["id"])
    assert [(o["type"], o["subject"], o["start"]["dateTime"][:16]) for o in found] == [
        ("occurrence", "Weekly sync", wall(thursday(0), minutes=True)),
        ("exception", "Moved sync", wall(at(day(11), "15:00"), minutes=True)),
        ("occurrence", "Weekly sync", wall(thursday(2), minutes=True)),
        ("occurrence", "Weekly sync", wall(thursday(3), minutes=True))]
    assert found[1]["originalStart"] == z(thursday(1))
    assert mails(clean_sandbox) == [(OUTSIDER, "update", "occurrence")]
    crossing = graph("PATCH", f"/me/events/{second['id']}", json={
        "start": utc_wall(thursday(2, "11:00")), "end": utc_wall(thursday(2, "11:30"))})
    assert crossing.status_code == 400
    assert crossing.json()["error"]["code"] == "ErrorOccurrenceCrossingBoundary"
    own_rule = graph("PATCH", f"/me/events/{second['id']}",
                     json={"recurrence": weekly()["recurrence"]})
    assert own_rule.status_code == 400
    clean_sandbox.state.mail.clear()
    graph("PATCH", f"/me/events/{master['id']}", json={"subject": "Renamed"})
    assert [o["subject"] for o in graph.instances(master["id"])] == [
        "Renamed", "Moved sync", "Renamed", "Renamed"]  # exceptions keep their changes
    # the series' update, and one for the edited occurrence (exchange.seriesUpdate...)
    assert mails(clean_sandbox) == [(OUTSIDER, "update", None),
                                    (OUTSIDER, "update", "occurrence")]
    clean_sandbox.state.update_settings({"exchange.seriesUpdateMailsEachException": False})
    clean_sandbox.state.mail.clear()
    graph("PATCH", f"/me/events/{master['id']}", json={"subject": "Renamed again"})
    assert mails(clean_sandbox) == [(OUTSIDER, "update", None)]

    later = weekly()["recurrence"]
    later["pattern"]["daysOfWeek"] = [weekday_name(day(3)), weekday_name(day(4))]
    graph("PATCH", f"/me/events/{master['id']}", json={"recurrence": later})
    assert {o["type"] for o in graph.instances(master["id"])} == {"occurrence"}


def test_cancelling_one_occurrence(graph: Any, clean_sandbox: SandboxRuntime) -> None:
    master = graph("POST", "/me/events", json=weekly(attendees=[attendee(OUTSIDER)])).json()
    third = graph.instances(master["id"])[2]
    clean_sandbox.state.mail.clear()
    assert graph("DELETE", f"/me/events/{third['id']}").status_code == 204
    assert [o["id"] for o in graph.instances(master["id"])].count(third["id"]) == 0
    assert len(graph.instances(master["id"])) == 3
    assert graph("GET", f"/me/events/{third['id']}").status_code == 404
    assert mails(clean_sandbox) == [(OUTSIDER, "cancellation", "occurrence")]
    fourth = graph.instances(master["id"])[2]
    clean_sandbox.state.mail.clear()
    assert graph("POST", f"/me/events/{fourth['id']}/cancel",
                 json={"Comment": "Holiday"}).status_code == 202
    assert len(graph.instances(master["id"])) == 2
    assert mails(clean_sandbox) == [(OUTSIDER, "cancellation", "occurrence")]
    first = graph.instances(master["id"])[0]
    graph("PATCH", f"/me/events/{first['id']}", json={"subject": "Edited once"})
    clean_sandbox.state.mail.clear()
    graph("DELETE", f"/me/events/{master['id']}")
    # the series' cancellation, then one for its edited occurrence (MS-OXOCAL)
    assert mails(clean_sandbox) == [(OUTSIDER, "cancellation", None),
                                    (OUTSIDER, "cancellation", "occurrence")]


def test_one_invitation_for_a_series_and_one_for_an_occurrence(
        graph: Any, clean_sandbox: SandboxRuntime) -> None:
    master = graph("POST", "/me/events", json=weekly(count=52)).json()
    assert mails(clean_sandbox) == []
    graph("PATCH", f"/me/events/{master['id']}", json={"attendees": [attendee(OUTSIDER)]})
    assert mails(clean_sandbox) == [(OUTSIDER, "invitation", None)]
    clean_sandbox.state.mail.clear()
    first = graph.instances(master["id"])[0]
    graph("PATCH", f"/me/events/{first['id']}", json={"attendees": [
        attendee(OUTSIDER), attendee("kim.once@example.org")]})
    assert mails(clean_sandbox) == [("kim.once@example.org", "invitation", "occurrence")]
    found = graph.instances(master["id"])
    assert [len(o["attendees"]) for o in found[:3]] == [2, 1, 1]


def test_calendar_view_delta_as_reported(graph: Any) -> None:
    """The default: a changed series is its master and all its remaining instances; a
    deleted occurrence leaves no trace (the client compares instance lists)."""
    master = graph("POST", "/me/events", json=weekly()).json()
    first = graph("GET", "/me/calendarView/delta", params=WINDOW,
                  headers={"Prefer": "odata.maxpagesize=500"}).json()
    assert [r["type"] for r in first["value"] if ours(r, master)] == [
        "seriesMaster"] + ["occurrence"] * 4
    ids = [r["id"] for r in first["value"] if ours(r, master)][1:]
    link = first["@odata.deltaLink"].split("/v1.0", 1)[1]
    graph("DELETE", f"/me/events/{ids[1]}")
    second = graph("GET", link).json()
    assert [(r["id"], r.get("type")) for r in second["value"]] == [
        (master["id"], "seriesMaster"), (ids[0], "occurrence"), (ids[2], "occurrence"),
        (ids[3], "occurrence")]
    link = second["@odata.deltaLink"].split("/v1.0", 1)[1]
    graph("DELETE", f"/me/events/{master['id']}")
    third = graph("GET", link).json()
    assert {r["id"] for r in third["value"] if "@removed" in r} == {
        master["id"], ids[0], ids[2], ids[3]}


def test_calendar_view_delta_precise(graph: Any, clean_sandbox: SandboxRuntime) -> None:
    clean_sandbox.state.update_settings({"graph.seriesDelta": "precise"})
    master = graph("POST", "/me/events", json=weekly()).json()
    first = graph("GET", "/me/calendarView/delta", params=WINDOW,
                  headers={"Prefer": "odata.maxpagesize=500"}).json()
    assert [r["type"] for r in first["value"] if ours(r, master)] == ["occurrence"] * 4
    link = first["@odata.deltaLink"].split("/v1.0", 1)[1]
    assert graph("GET", link).json()["value"] == []
    ids = [r["id"] for r in first["value"] if ours(r, master)]
    graph("PATCH", f"/me/events/{ids[0]}", json={"subject": "Only this one"})
    graph("DELETE", f"/me/events/{ids[1]}")
    second = graph("GET", link).json()
    assert [(r["id"], r.get("type"), "@removed" in r) for r in second["value"]] == [
        (ids[0], "exception", False), (ids[1], None, True)]
    link = second["@odata.deltaLink"].split("/v1.0", 1)[1]
    graph("PATCH", f"/me/events/{master['id']}", json={"subject": "Renamed series"})
    renamed = graph("GET", link).json()
    assert [(r["id"], r["subject"]) for r in renamed["value"]] == [
        (ids[0], "Only this one"), (ids[2], "Renamed series"), (ids[3], "Renamed series")]
    link = renamed["@odata.deltaLink"].split("/v1.0", 1)[1]
    moved = weekly()
    moved["start"]["dateTime"] = wall(thursday(0, "11:00"))
    moved["end"]["dateTime"] = wall(thursday(0, "11:30"))
    graph("PATCH", f"/me/events/{master['id']}", json={"start": moved["start"],
                                                        "end": moved["end"]})
    third = graph("GET", link).json()
    current = [r for r in third["value"] if "@removed" not in r]
    removed = {r["id"] for r in third["value"] if "@removed" in r}
    assert [r["start"]["dateTime"][11:16] for r in current] == ["11:00"] * 4
    assert removed == {ids[0], ids[2], ids[3]}  # the 10:00 ones (ids[1] was gone already)
    link = third["@odata.deltaLink"].split("/v1.0", 1)[1]
    graph("DELETE", f"/me/events/{master['id']}")
    fourth = graph("GET", link).json()
    assert {r["id"] for r in fourth["value"] if "@removed" in r} == {r["id"] for r in current}


def test_an_invitees_copy_of_a_series_has_instances(graph: Any) -> None:
    graph("POST", "/me/events", json=weekly(attendees=[attendee(BEN)]))
    copies = [c for c in graph("GET", "/me/events", BEN, params={"$top": "500"}).json()["value"]
              if c["subject"] == "Weekly sync" and not c["isCancelled"]]
    assert [(c["type"], c["isOrganizer"]) for c in copies][-1:] == [("seriesMaster", False)]
    assert len(graph.instances(copies[-1]["id"], BEN)) == 4


def test_invitees_answer_the_series_or_one_occurrence(
        graph: Any, clean_sandbox: SandboxRuntime) -> None:
    master = graph("POST", "/me/events", json=weekly(attendees=[attendee(BEN)])).json()
    copies = [c for c in graph("GET", "/me/events", BEN, params={"$top": "500"}).json()["value"]
              if c["iCalUId"] == master["iCalUId"]]
    assert graph("POST", f"/me/events/{copies[0]['id']}/accept", BEN,
                 json={"sendResponse": False}).status_code == 202
    assert [o["attendees"][0]["status"]["response"] for o in graph.instances(master["id"])] \
        == ["accepted"] * 4
    clean_sandbox.state.mail.clear()
    second = graph.instances(copies[0]["id"], BEN)[1]
    assert graph("POST", f"/me/events/{second['id']}/decline", BEN,
                 json={"sendResponse": True}).status_code == 202
    assert mails(clean_sandbox) == [(AVA, "response", "occurrence")]
    organizer_view = graph.instances(master["id"])
    assert [(o["type"], o["attendees"][0]["status"]["response"]) for o in organizer_view] == [
        ("occurrence", "accepted"), ("exception", "declined"), ("occurrence", "accepted"),
        ("occurrence", "accepted")]
    assert len(graph.instances(copies[0]["id"], BEN)) == 3  # declined: gone from Ben's
    third = graph.instances(copies[0]["id"], BEN)[1]
    graph("POST", f"/me/events/{third['id']}/tentativelyAccept", BEN, json={})
    assert graph("GET", f"/me/events/{third['id']}", BEN).json()["responseStatus"][
        "response"] == "tentativelyAccepted"
    graph("PATCH", f"/me/events/{master['id']}", json={"subject": "Renamed weekly"})
    after = graph.instances(copies[0]["id"], BEN)  # the organizer's edit keeps Ben's answers
    assert [(o["subject"], o["responseStatus"]["response"]) for o in after] == [
        ("Renamed weekly", "accepted"), ("Renamed weekly", "tentativelyAccepted"),
        ("Renamed weekly", "accepted")]


def test_malformed_instance_ids_are_not_found(graph: Any) -> None:
    master = graph("POST", "/me/events", json=weekly()).json()
    no_such_day = compact(day(3))[:6] + "99T100000Z"  # day 99 of the month
    off_pattern = compact(at(day(4), "10:00"))  # a Friday
    off_time = compact(thursday() + timedelta(seconds=1))
    for suffix in (no_such_day, off_pattern, off_time):
        answer = graph("GET", f"/me/events/{master['id']}_{suffix}")
        assert answer.status_code == 404, suffix
        assert graph("DELETE", f"/me/events/{master['id']}_{suffix}").status_code == 404


def test_filter_on_type(graph: Any) -> None:
    master = graph("POST", "/me/events", json=weekly(subject="Typed series")).json()
    masters = graph("GET", "/me/events", params={
        "$filter": "type eq 'seriesMaster' and subject eq 'Typed series'"}).json()["value"]
    assert [m["id"] for m in masters][-1:] == [master["id"]]
    view = graph("GET", "/me/calendarView", params={
        **WINDOW, "$filter": "type eq 'occurrence' and subject eq 'Typed series'",
        "$top": "500"}).json()["value"]
    assert len([v for v in view if ours(v, master)]) == 4
