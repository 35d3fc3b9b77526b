"""Microsoft Graph emulator behaviours beyond the calendar contract."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask, Response, request
from werkzeug.serving import make_server

from addin.sandbox import SandboxRuntime
from addin.sandbox.tls import DevCertificates, ensure_dev_certificates
from tests.clock import at, day, wall, z
from tests.conftest import free_port
from tests.providers.test_calendar_contract import receiver

AVA = "ava.martin@acme-sales.example"
START = at(day(1), "10:00")  # the Tuesday of the test week, 10:00 UTC
EVENT = {"subject": "Graph", "start": {"dateTime": wall(START), "timeZone": "UTC"},
         "end": {"dateTime": wall(START + timedelta(hours=1)), "timeZone": "UTC"}}
# a calendarView window around the test week, inside Graph's sync window
WINDOW = f"startDateTime={z(at(day(-7), '00:00'))}&endDateTime={z(at(day(30), '00:00'))}"


@pytest.fixture
def graph(clean_sandbox: SandboxRuntime, upstream: requests.Session) -> Any:
    token = clean_sandbox.state.tokens.issue("graph", AVA)
    upstream.headers["Authorization"] = f"Bearer {token}"
    base = clean_sandbox.services["graph"]

    class Client:
        def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
            return upstream.request(method, base + path, **kwargs)

    return Client()


def test_errors_have_graphs_shape(graph: Any, upstream: requests.Session) -> None:
    missing = graph("GET", "/me/events/AAMkAnope")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "ErrorItemNotFound"
    assert "innerError" in missing.json()["error"]
    del upstream.headers["Authorization"]
    assert graph("GET", "/me/events").json()["error"]["code"] == "InvalidAuthenticationToken"


def test_transaction_id_makes_creates_retry_safe(graph: Any) -> None:
    body = {**EVENT, "transactionId": "7E163156-7762-4BEB-A1C6-729EA81755A7"}
    first = graph("POST", "/me/events", json=body).json()
    second = graph("POST", "/me/events", json=body).json()
    assert first["id"] == second["id"]


def test_select_and_prefer_time_zone(graph: Any) -> None:
    created = graph("POST", "/me/events", json=EVENT).json()
    assert created["start"] == {"dateTime": f"{wall(START)}.0000000", "timeZone": "UTC"}
    pacific = graph("GET", f"/me/events/{created['id']}?$select=subject,start",
                    headers={"Prefer": 'outlook.timezone="Pacific Standard Time"'}).json()
    assert pacific["start"] == {"dateTime": f"{wall(START, 'America/Los_Angeles')}.0000000",
                                "timeZone": "Pacific Standard Time"}
    assert set(pacific) == {"@odata.etag", "id", "subject", "start"}


def test_all_day_events_must_span_midnights(graph: Any) -> None:
    bad = graph("POST", "/me/events", json={**EVENT, "isAllDay": True})
    assert bad.status_code == 400
    good = graph("POST", "/me/events", json={
        "subject": "Offsite", "isAllDay": True,
        "start": {"dateTime": wall(at(day(10), "00:00")), "timeZone": "W. Europe Standard Time"},
        "end": {"dateTime": wall(at(day(11), "00:00")), "timeZone": "W. Europe Standard Time"}})
    assert good.status_code == 201


def test_batch_takes_at_most_20_requests(graph: Any) -> None:
    ok = graph("POST", "/$batch", json={"requests": [
        {"id": "1", "method": "POST", "url": "/me/events", "body": EVENT,
         "headers": {"Content-Type": "application/json"}},
        {"id": "2", "method": "GET", "url": "/me/events/AAMkAnope"}]}).json()
    assert [(r["id"], r["status"]) for r in ok["responses"]] == [("1", 201), ("2", 404)]
    too_many = graph("POST", "/$batch", json={"requests": [
        {"id": str(i), "method": "GET", "url": "/me/events"} for i in range(21)]})
    assert too_many.status_code == 400


def test_delta_pages_then_gives_a_delta_link(graph: Any) -> None:
    for _ in range(3):
        graph("POST", "/me/events", json=EVENT)
    page = graph("GET", f"/me/calendarView/delta?{WINDOW}",
                 headers={"Prefer": "odata.maxpagesize=2"}).json()
    assert len(page["value"]) == 2 and "@odata.nextLink" in page
    seen = 2
    while "@odata.nextLink" in page:
        page = graph("GET", page["@odata.nextLink"].split("/v1.0", 1)[1],
                     headers={"Prefer": "odata.maxpagesize=2"}).json()
        seen += len(page["value"])
    assert seen >= 3 and "@odata.deltaLink" in page
    assert graph("GET", "/me/calendarView/delta").status_code == 400  # no window


def test_subscriptions_need_the_validation_echo_and_a_short_life(graph: Any) -> None:
    silent = f"http://127.0.0.1:{free_port()}/nobody"
    expires = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    refused = graph("POST", "/subscriptions", json={
        "changeType": "created,updated,deleted", "notificationUrl": silent,
        "resource": "me/events", "expirationDateTime": expires, "clientState": "x"})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "ValidationError"
    with receiver() as (url, _received):
        too_long = graph("POST", "/subscriptions", json={
            "changeType": "created", "notificationUrl": url, "resource": "me/events",
            "expirationDateTime": (datetime.now(UTC) + timedelta(days=8)).isoformat()})
        assert too_long.status_code == 400
        created = graph("POST", "/subscriptions", json={
            "changeType": "created", "notificationUrl": url, "resource": "me/events",
            "expirationDateTime": expires, "clientState": "x"})
        assert created.status_code == 201
        assert graph("DELETE", f"/subscriptions/{created.json()['id']}").status_code == 204


def test_outlook_edits_and_deletes_email_like_graph(graph: Any, clean_sandbox: SandboxRuntime,
                                                    upstream: requests.Session) -> None:
    created = graph("POST", "/me/events", json={**EVENT, "attendees": [
        {"emailAddress": {"address": "a@x.example"}, "type": "required"}]}).json()
    assert [(m["to"], m["kind"]) for m in clean_sandbox.state.mail.messages()] == [
        ("a@x.example", "invitation")]
    clean_sandbox.state.mail.clear()
    edit = upstream.post(f"{clean_sandbox.origins['graph']}/sandbox-ui/mailboxes/{AVA}/events/"
                         f"{created['id']}/edit", json={"attendees": [
                             {"emailAddress": {"address": "a@x.example"}},
                             {"emailAddress": {"address": "b@x.example"}}]})
    assert edit.status_code == 200
    assert [(m["to"], m["kind"]) for m in clean_sandbox.state.mail.messages()] == [
        ("b@x.example", "invitation")]
    clean_sandbox.state.mail.clear()
    assert graph("DELETE", f"/me/events/{created['id']}").status_code == 204
    assert sorted((m["to"], m["kind"]) for m in clean_sandbox.state.mail.messages()) == [
        ("a@x.example", "cancellation"), ("b@x.example", "cancellation")]


def _follow(graph: Any, url: str, **kwargs: Any) -> tuple[list[dict[str, Any]], str]:
    """Every page of a delta round: its rows and the deltaLink that ends it."""
    rows: list[dict[str, Any]] = []
    while True:
        page = graph("GET", url.split("/v1.0", 1)[-1], **kwargs).json()
        rows += page["value"]
        if "@odata.deltaLink" in page:
            return rows, page["@odata.deltaLink"]
        url = page["@odata.nextLink"]


def test_delta_reports_an_item_moved_out_of_the_window_as_removed(graph: Any) -> None:
    created = graph("POST", "/me/events", json=EVENT).json()
    _, link = _follow(graph, f"/me/calendarView/delta?{WINDOW}")
    far = START + timedelta(weeks=104)  # two years on, far past the window's end
    graph("PATCH", f"/me/events/{created['id']}", json={
        "start": {"dateTime": wall(far), "timeZone": "UTC"},
        "end": {"dateTime": wall(far + timedelta(hours=1)), "timeZone": "UTC"}})
    rows, _ = _follow(graph, link)
    assert {"@odata.type": "#microsoft.graph.event", "id": created["id"],
            "@removed": {"reason": "deleted"}} in rows  # as if it were deleted
    still = graph("GET", f"/me/events/{created['id']}")
    assert still.status_code == 200  # only a GET tells a move from a deletion


def test_a_change_made_while_paging_is_in_the_next_round(graph: Any) -> None:
    for _ in range(3):
        graph("POST", "/me/events", json=EVENT)
    small = {"headers": {"Prefer": "odata.maxpagesize=1"}}
    first = graph("GET", f"/me/calendarView/delta?{WINDOW}", **small).json()
    meanwhile = graph("POST", "/me/events", json={**EVENT, "subject": "Meanwhile"}).json()
    _, link = _follow(graph, first["@odata.nextLink"], **small)
    rows, _ = _follow(graph, link)
    assert meanwhile["id"] in [row["id"] for row in rows]


def test_invitees_in_the_tenant_hold_copies_and_answer_on_them(
        graph: Any, clean_sandbox: SandboxRuntime, upstream: requests.Session) -> None:
    ben = "ben.carter@acme-sales.example"
    meeting = graph("POST", "/me/events", json={**EVENT, "attendees": [
        {"emailAddress": {"address": ben}, "type": "required"}]}).json()
    mine = graph("POST", f"/me/events/{meeting['id']}/accept", json={"sendResponse": True})
    assert mine.status_code == 400  # the organizer cannot answer their own meeting
    as_ben = {"Authorization": "Bearer " + clean_sandbox.state.tokens.issue("graph", ben)}
    base = clean_sandbox.services["graph"]
    copies = [e for e in upstream.get(f"{base}/me/events", headers=as_ben).json()["value"]
              if e["iCalUId"] == meeting["iCalUId"]]
    assert len(copies) == 1 and copies[0]["isOrganizer"] is False
    assert copies[0]["organizer"]["emailAddress"]["address"] == AVA
    assert "singleValueExtendedProperties" not in copies[0]
    clean_sandbox.state.mail.clear()
    declined = upstream.post(f"{base}/me/events/{copies[0]['id']}/decline", headers=as_ben,
                             json={"comment": "Sorry", "sendResponse": True})
    assert declined.status_code == 202
    organizer_view = graph("GET", f"/me/events/{meeting['id']}").json()
    assert organizer_view["attendees"][0]["status"]["response"] == "declined"
    gone = upstream.get(f"{base}/me/events/{copies[0]['id']}", headers=as_ben)
    assert gone.status_code == 404  # a declined meeting leaves the invitee's calendar
    assert [(m["from"], m["to"], m["kind"]) for m in clean_sandbox.state.mail.messages()] == [
        (ben, AVA, "response")]


def test_removing_an_invitee_cancels_their_copy(
        graph: Any, clean_sandbox: SandboxRuntime, upstream: requests.Session) -> None:
    ben = "ben.carter@acme-sales.example"
    meeting = graph("POST", "/me/events", json={**EVENT, "attendees": [
        {"emailAddress": {"address": ben}}]}).json()
    graph("PATCH", f"/me/events/{meeting['id']}", json={"attendees": []})
    as_ben = {"Authorization": "Bearer " + clean_sandbox.state.tokens.issue("graph", ben)}
    copies = [e for e in upstream.get(f"{clean_sandbox.services['graph']}/me/events",
                                      headers=as_ben).json()["value"]
              if e["iCalUId"] == meeting["iCalUId"]]
    assert [c["isCancelled"] for c in copies] == [True]


def test_unknown_routes_and_other_mailboxes_answer_json_errors(graph: Any) -> None:
    unknown = graph("GET", "/me/nothing")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "NotFound"
    wrong_method = graph("PUT", "/me/events")
    assert wrong_method.status_code == 405 and "error" in wrong_method.json()
    own = graph("GET", f"/users/{AVA}/events")
    assert own.status_code == 200
    other = graph("GET", "/users/ben.carter@acme-sales.example/events")
    assert other.status_code == 403  # a delegated token reaches its own mailbox only
    assert other.json()["error"]["code"] == "ErrorAccessDenied"


def test_filter_and_orderby_on_subject_and_start(graph: Any) -> None:
    tag = f"Query {datetime.now(UTC).timestamp()}"
    for offset, name in ((3, "b"), (1, "a"), (2, "c")):  # Thursday, Tuesday, Wednesday
        graph("POST", "/me/events", json={
            **EVENT, "subject": f"{tag} {name}",
            "start": {"dateTime": wall(at(day(offset), "10:00")), "timeZone": "UTC"},
            "end": {"dateTime": wall(at(day(offset), "11:00")), "timeZone": "UTC"}})

    def subjects(query: str) -> list[str]:
        answer = graph("GET", f"/me/events?$top=1000&{query}")
        assert answer.status_code == 200, answer.text
        return [e["subject"][-1] for e in answer.json()["value"]
                if e["subject"].startswith(tag)]

    assert subjects(f"$filter=startswith(subject,'{tag}')&$orderby=subject desc") == [
        "c", "b", "a"]
    assert subjects(f"$filter=start/dateTime ge '{wall(at(day(2), '00:00'))}' and "
                    f"start/dateTime lt '{wall(at(day(3), '00:00'))}'") == ["c"]
    assert subjects(f"$filter=subject eq '{tag} a'") == ["a"]
    assert subjects("$orderby=start/dateTime desc")[:3] == ["b", "c", "a"]
    bad = graph("GET", "/me/events?$filter=location eq 'x'")
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "ErrorInvalidUrlQueryFilter"


def test_subscriptions_are_listed_and_get_lifecycle_notifications(
        graph: Any, clean_sandbox: SandboxRuntime, upstream: requests.Session) -> None:
    expires = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    with receiver() as (url, received):
        created = graph("POST", "/subscriptions", json={
            "changeType": "updated", "notificationUrl": url, "lifecycleNotificationUrl": url,
            "resource": "me/events", "expirationDateTime": expires, "clientState": "x"}).json()
        listed = graph("GET", "/subscriptions").json()["value"]
        assert created["id"] in [s["id"] for s in listed]
        ui = f"{clean_sandbox.origins['graph']}/sandbox-ui/subscriptions/{created['id']}"
        for event in ("reauthorizationRequired", "missed", "subscriptionRemoved"):
            answer = upstream.post(f"{ui}/lifecycle", json={"lifecycleEvent": event})
            assert answer.status_code == 200 and answer.json()["sent"] is True
        deadline = time.time() + 5
        while len(received) < 3 and time.time() < deadline:
            time.sleep(0.02)
        assert [(r["kind"], r["secret"]) for r in received] == [
            ("reauthorizationRequired", "x"), ("missed", "x"), ("subscriptionRemoved", "x")]
        assert created["id"] not in [s["id"] for s in graph("GET", "/subscriptions").json()[
            "value"]]


@contextmanager
def https_receiver(certs: DevCertificates) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A product's Graph webhook over HTTPS, its certificate signed by ``certs``' CA."""
    app = Flask("https-receiver")
    received: list[dict[str, Any]] = []

    @app.post("/webhooks/graph")
    def hook() -> Response:
        token = request.args.get("validationToken")
        if token is not None:
            return Response(token, mimetype="text/plain")
        received.extend((request.get_json(silent=True) or {}).get("value", []))
        return Response(status=202)

    server = make_server("127.0.0.1", free_port(), app, threaded=True,
                         ssl_context=certs.server_context())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_port}/webhooks/graph", received
    finally:
        server.shutdown()
        server.server_close()


def _pushed(graph: Any, url: str, received: list[dict[str, Any]]) -> list[tuple[str, str]]:
    created = graph("POST", "/subscriptions", json={
        "changeType": "created,updated", "notificationUrl": url, "resource": "me/events",
        "expirationDateTime": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
        "clientState": "s3cret"})
    assert created.status_code == 201, created.text
    assert graph("POST", "/me/events", json=EVENT).status_code == 201
    deadline = time.time() + 5
    while not received and time.time() < deadline:
        time.sleep(0.02)
    return [(n["changeType"], n["clientState"]) for n in received]


def test_push_reaches_a_product_served_over_https_with_the_dev_ca(
        graph: Any, clean_sandbox: SandboxRuntime) -> None:
    """`addin serve --https` in the sandbox: the product's certificate is signed by the
    development CA, which the emulator's callbacks (the handshake, the notifications)
    trust alongside the public CAs."""
    with https_receiver(clean_sandbox.certs) as (url, received):
        assert _pushed(graph, url, received) == [("created", "s3cret")]


def test_a_standalone_sandbox_trusts_the_products_own_dev_ca(tmp_path: Path) -> None:
    """A standalone sandbox (its own CA in its state folder) is told the product's CA."""
    product = ensure_dev_certificates(tmp_path / "instance" / "dev-ca")
    runtime = SandboxRuntime(tmp_path / "sandbox", services=("graph",),
                             callback_cas=(product.ca_path,)).start()
    try:
        assert runtime.ca_path != str(product.ca_path)
        http = requests.Session()
        http.trust_env, http.verify = False, runtime.ca_path
        token = runtime.state.tokens.issue("graph", AVA)
        http.headers["Authorization"] = f"Bearer {token}"

        def call(method: str, path: str, **kwargs: Any) -> requests.Response:
            return http.request(method, runtime.services["graph"] + path, **kwargs)

        with https_receiver(product) as (url, received):
            assert _pushed(call, url, received) == [("created", "s3cret")]
    finally:
        runtime.stop()
