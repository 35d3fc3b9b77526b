"""The Graph emulator driven by Microsoft's own msgraph-sdk, unmodified: pointed at the
sandbox with a custom base URL and a token provider, its request builders send what they
send to graph.microsoft.com (``calendarView/delta()``, ``/users/me-token-to-replace``
rewritten to ``/me``, kiota's JSON) and parse the answers into their models."""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Awaitable, Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlparse

import httpx
import pytest
from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.attendee import Attendee
from msgraph.generated.models.date_time_time_zone import DateTimeTimeZone
from msgraph.generated.models.day_of_week import DayOfWeek
from msgraph.generated.models.email_address import EmailAddress
from msgraph.generated.models.event import Event
from msgraph.generated.models.event_type import EventType
from msgraph.generated.models.importance import Importance
from msgraph.generated.models.location import Location
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.patterned_recurrence import PatternedRecurrence
from msgraph.generated.models.recurrence_pattern import RecurrencePattern
from msgraph.generated.models.recurrence_pattern_type import RecurrencePatternType
from msgraph.generated.models.recurrence_range import RecurrenceRange
from msgraph.generated.models.recurrence_range_type import RecurrenceRangeType
from msgraph.generated.models.response_type import ResponseType
from msgraph.generated.models.week_index import WeekIndex
from msgraph.generated.users.item.calendar_view.calendar_view_request_builder import (
    CalendarViewRequestBuilder,
)
from msgraph.generated.users.item.calendar_view.delta.delta_request_builder import (
    DeltaRequestBuilder,
)
from msgraph.generated.users.item.events.item.accept.accept_post_request_body import (
    AcceptPostRequestBody,
)
from msgraph.generated.users.item.events.item.cancel.cancel_post_request_body import (
    CancelPostRequestBody,
)
from msgraph.generated.users.item.events.item.decline.decline_post_request_body import (
    DeclinePostRequestBody,
)
from msgraph.generated.users.item.events.item.instances.instances_request_builder import (
    InstancesRequestBuilder,
)
from msgraph.graph_request_adapter import options as SDK_OPTIONS
from msgraph_core import GraphClientFactory

from addin.sandbox import SandboxRuntime
from tests.clock import at, day, wall, z
from tests.sandbox.conftest import AVA, BEN

T = TypeVar("T")
START = at(day(3), "10:00")  # Thursday of the test week, 10:00 UTC
WINDOW = (z(at(day(-28), "00:00")), z(at(day(28), "00:00")))


def first_thursdays(after: date, months: int) -> list[date]:
    """The first Thursdays of ``months`` months in a row, from the first one on or after
    ``after``."""
    found: list[date] = []
    month = after.replace(day=1)
    while len(found) < months:
        thursday = month + timedelta(days=(3 - month.weekday()) % 7)
        if thursday >= after or found:
            found.append(thursday)
        month = (month + timedelta(days=32)).replace(day=1)
    return found


class SandboxToken(AccessTokenProvider):
    """The sandbox's access token for one seeded user, for the sandbox's host only."""

    def __init__(self, token: str, host: str):
        self.token, self.host = token, host

    async def get_authorization_token(self, uri: str,
                                      additional_authentication_context: Any = None) -> str:
        return self.token

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return AllowedHostsValidator([self.host])


Client = Callable[[str], GraphServiceClient]


@pytest.fixture
def graph_for(clean_sandbox: SandboxRuntime) -> Iterator[Client]:
    """msgraph-sdk's GraphServiceClient signed in to the sandbox as a seeded user."""
    base = clean_sandbox.services["graph"]  # https://127.0.0.1:PORT/v1.0
    clients: list[httpx.AsyncClient] = []

    def connect(email: str = AVA) -> GraphServiceClient:
        token = clean_sandbox.state.tokens.issue("graph", email)
        provider = SandboxToken(token, str(urlparse(base).hostname))
        http = GraphClientFactory.create_with_default_middleware(
            options=SDK_OPTIONS,  # what GraphRequestAdapter uses for its own client
            client=httpx.AsyncClient(verify=ssl.create_default_context(cafile=clean_sandbox.ca_path),
                                     trust_env=False))
        clients.append(http)
        adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(provider), http)
        adapter.base_url = base
        return GraphServiceClient(request_adapter=adapter)

    yield connect
    for http in clients:
        run(http.aclose())


class _Loop:
    """An event loop of the module's own in a thread: the SDK is async, and the suite's
    main thread may already run a loop (Playwright's sync API does)."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None

    def run(self, awaitable: Awaitable[T]) -> T:
        if self.loop is None:
            self.loop = asyncio.new_event_loop()
            self.thread = threading.Thread(target=self.loop.run_forever, daemon=True,
                                           name="msgraph-sdk")
            self.thread.start()
        return asyncio.run_coroutine_threadsafe(_await(awaitable), self.loop).result(60)

    def stop(self) -> None:
        if self.loop is not None and self.thread is not None:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()
            self.loop = self.thread = None


LOOP = _Loop()


@pytest.fixture(autouse=True, scope="module")
def _sdk_loop() -> Iterator[None]:
    yield
    LOOP.stop()


def run(awaitable: Awaitable[T]) -> T:
    return LOOP.run(awaitable)


async def _await(awaitable: Awaitable[T]) -> T:
    return await awaitable


def _when(moment: datetime) -> DateTimeTimeZone:
    return DateTimeTimeZone(date_time=wall(moment, "UTC"), time_zone="UTC")


def _meeting(subject: str, *attendees: str, start: datetime = START) -> Event:
    return Event(subject=subject, start=_when(start),
                 end=_when(start + timedelta(minutes=30)), importance=Importance.High,
                 location=Location(display_name="Room 1"),
                 attendees=[Attendee(email_address=EmailAddress(address=a))
                            for a in attendees])


def test_create_get_update_delete(graph_for: Client) -> None:
    client = graph_for(AVA)
    created = run(client.me.events.post(_meeting("SDK create")))
    assert created is not None and created.id and created.is_organizer is True
    assert created.importance == Importance.High  # kept and returned
    assert created.location is not None and created.location.display_name == "Room 1"
    read = run(client.me.events.by_event_id(created.id).get())
    assert read is not None and read.subject == "SDK create"
    assert read.start is not None and read.start.date_time.startswith(wall(START))
    patched = run(client.me.events.by_event_id(created.id).patch(Event(subject="SDK renamed")))
    assert patched is not None and patched.subject == "SDK renamed"
    run(client.me.events.by_event_id(created.id).delete())
    with pytest.raises(ODataError) as missing:
        run(client.me.events.by_event_id(created.id).get())
    assert missing.value.response_status_code == 404
    assert missing.value.error is not None and missing.value.error.code == "ErrorItemNotFound"


def test_calendar_view_and_delta_through_the_sdks_request_builders(graph_for: Client) -> None:
    client = graph_for(AVA)
    created = run(client.me.events.post(_meeting("SDK window")))
    assert created is not None and created.id
    view_query = CalendarViewRequestBuilder.CalendarViewRequestBuilderGetQueryParameters(
        start_date_time=WINDOW[0], end_date_time=WINDOW[1], top=1000,
        filter="subject eq 'SDK window'", orderby=["start/dateTime desc"])
    view = run(client.me.calendar_view.get(RequestConfiguration(query_parameters=view_query)))
    assert view is not None and created.id in [e.id for e in view.value or []]
    delta_query = DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters(
        start_date_time=WINDOW[0], end_date_time=WINDOW[1])
    page = run(client.me.calendar_view.delta.get(
        RequestConfiguration(query_parameters=delta_query)))  # GET .../calendarView/delta()
    seen: list[str] = []
    while page is not None and page.odata_next_link:
        seen += [e.id for e in page.value or [] if e.id]
        page = run(client.me.calendar_view.delta.with_url(page.odata_next_link).get())
    assert page is not None and page.odata_delta_link
    seen += [e.id for e in page.value or [] if e.id]
    assert created.id in seen
    run(client.me.events.by_event_id(created.id).patch(Event(subject="SDK changed")))
    changes = run(client.me.calendar_view.delta.with_url(page.odata_delta_link).get())
    assert changes is not None
    assert [(e.id, e.subject) for e in changes.value or []] == [(created.id, "SDK changed")]


def test_accept_and_decline_on_the_invitees_copy(graph_for: Client) -> None:
    ava, ben = graph_for(AVA), graph_for(BEN)
    meeting = run(ava.me.events.post(_meeting("SDK invite", BEN)))
    assert meeting is not None and meeting.id and meeting.i_cal_u_id
    listing = run(ben.me.events.get())
    assert listing is not None
    (copy,) = [e for e in listing.value or [] if e.i_cal_u_id == meeting.i_cal_u_id]
    assert copy.id and copy.is_organizer is False
    assert copy.response_status is not None
    assert copy.response_status.response == ResponseType.NotResponded
    run(ben.me.events.by_event_id(copy.id).accept.post(
        AcceptPostRequestBody(comment="Yes", send_response=True)))
    seen = run(ava.me.events.by_event_id(meeting.id).get())
    assert seen is not None and seen.attendees
    assert seen.attendees[0].status is not None
    assert seen.attendees[0].status.response == ResponseType.Accepted
    with pytest.raises(ODataError) as own:
        run(ava.me.events.by_event_id(meeting.id).decline.post(
            DeclinePostRequestBody(send_response=False)))
    assert own.value.response_status_code == 400
    run(ben.me.events.by_event_id(copy.id).decline.post(
        DeclinePostRequestBody(send_response=False)))
    seen = run(ava.me.events.by_event_id(meeting.id).get())
    assert seen is not None and seen.attendees and seen.attendees[0].status is not None
    assert seen.attendees[0].status.response == ResponseType.Declined


def test_errors_are_odata_errors(graph_for: Client) -> None:
    client = graph_for(AVA)
    with pytest.raises(ODataError) as bad:
        run(client.me.events.post(Event(subject="No times")))
    assert bad.value.response_status_code == 400
    assert bad.value.error is not None and bad.value.error.code



def test_instances_of_a_series(graph_for: Client) -> None:
    client = graph_for(AVA)
    series = _meeting("SDK weekly")
    series.recurrence = PatternedRecurrence(
        pattern=RecurrencePattern(type=RecurrencePatternType.Weekly, interval=1,
                                  days_of_week=[DayOfWeek.Thursday]),
        range=RecurrenceRange(type=RecurrenceRangeType.Numbered, start_date=day(3),
                              number_of_occurrences=3))
    created = run(client.me.events.post(series))
    assert created is not None and created.id and created.type == EventType.SeriesMaster
    query = InstancesRequestBuilder.InstancesRequestBuilderGetQueryParameters(
        start_date_time=z(at(day(5), "00:00")), end_date_time=WINDOW[1])
    found = run(client.me.events.by_event_id(created.id).instances.get(
        RequestConfiguration(query_parameters=query)))
    assert found is not None
    assert [(o.type, o.series_master_id, o.start.date_time[:16] if o.start else None)
            for o in found.value or []] == [
        (EventType.Occurrence, created.id, wall(START + timedelta(weeks=1), minutes=True)),
        (EventType.Occurrence, created.id, wall(START + timedelta(weeks=2), minutes=True))]
    bad = _meeting("SDK never")
    bad.recurrence = PatternedRecurrence(
        pattern=RecurrencePattern(type=RecurrencePatternType.Weekly, interval=0),
        range=RecurrenceRange(type=RecurrenceRangeType.NoEnd, start_date=day(3)))
    with pytest.raises(ODataError) as refused:
        run(client.me.events.post(bad))
    assert refused.value.response_status_code == 400


def test_exception_and_cancelled_occurrence_through_the_sdk(graph_for: Client) -> None:
    client = graph_for(AVA)
    thursdays = first_thursdays(day(0), 4)  # the first Thursdays of four months
    last_day = (thursdays[-1].replace(day=28) + timedelta(days=4)).replace(day=1) \
        - timedelta(days=1)  # the fourth month's last day
    series = _meeting("SDK exceptions", start=at(thursdays[0], "10:00"))
    series.recurrence = PatternedRecurrence(
        pattern=RecurrencePattern(type=RecurrencePatternType.RelativeMonthly, interval=1,
                                  days_of_week=[DayOfWeek.Thursday], index=WeekIndex.First),
        range=RecurrenceRange(type=RecurrenceRangeType.EndDate, start_date=thursdays[0],
                              end_date=last_day))
    created = run(client.me.events.post(series))
    assert created is not None and created.id
    query = InstancesRequestBuilder.InstancesRequestBuilderGetQueryParameters(
        start_date_time=z(at(thursdays[0] - timedelta(days=2), "00:00")),
        end_date_time=z(at(last_day + timedelta(days=62), "00:00")))
    config = RequestConfiguration(query_parameters=query)
    found = run(client.me.events.by_event_id(created.id).instances.get(config))
    assert found is not None and found.value
    assert [o.start.date_time[:10] for o in found.value if o.start] == [
        t.isoformat() for t in thursdays]
    second, third = found.value[1], found.value[2]
    assert second.id and third.id and second.original_start is not None
    moved_to = at(thursdays[1] + timedelta(days=1), "10:00")  # the Friday after
    moved = run(client.me.events.by_event_id(second.id).patch(Event(
        subject="SDK moved", start=_when(moved_to),
        end=_when(moved_to + timedelta(minutes=30)))))
    assert moved is not None and moved.type == EventType.Exception
    assert moved.series_master_id == created.id
    run(client.me.events.by_event_id(third.id).cancel.post(CancelPostRequestBody(
        comment="Skipping the third month")))
    after = run(client.me.events.by_event_id(created.id).instances.get(config))
    assert after is not None
    assert [(o.type, o.subject) for o in after.value or []] == [
        (EventType.Occurrence, "SDK exceptions"), (EventType.Exception, "SDK moved"),
        (EventType.Occurrence, "SDK exceptions")]
