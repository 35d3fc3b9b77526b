"""Microsoft Graph calendars (Office 365 / Exchange Online), v1.0, through the single HTTP
path.

Graph cannot stay silent: an event with attendees is always sent to them. A PATCH whose
body holds only ``attendees`` reaches only the attendees that changed; a PATCH of any other
field of a meeting re-sends the update to everyone, so callers change fields of meetings
only when attendees should hear about it. Creates are retry-safe through ``transactionId``.
"""

from __future__ import annotations

import uuid
from contextlib import suppress
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

import requests

from addin.domain import Attendee, CalendarItem, ItemDraft
from addin.providers.calendar.graph_batch import Step, run_batches
from addin.providers.calendar.http import call, raise_for
from addin.providers.calendar.provider import (
    BatchResult,
    CalendarCapabilities,
    ChangePage,
    ItemNotFound,
    ItemWrite,
    NotifyMode,
    PushSubscription,
    SilentUpdateUnsupported,
    TokenSource,
)
from addin.providers.calendar.timezones import zone
from addin.sync.recurrence import graph_to_rrule, rrule_to_graph

PROPERTY_ID = "String {5c1f7a3e-8d2b-4a55-9e8e-7f0a3b1d2c4e} Name SalesforceEventId"
RESPONSES = {"accepted": "accepted", "declined": "declined",
             "tentativelyAccepted": "tentative"}
SHOW_AS_TO_GRAPH = {"busy": "busy", "free": "free", "tentative": "tentative",
                    "outOfOffice": "oof"}
SHOW_AS_FROM_GRAPH = {"busy": "busy", "free": "free", "tentative": "tentative",
                      "oof": "outOfOffice", "workingElsewhere": "busy", "unknown": "busy"}
DELTA_WINDOW = (timedelta(days=30), timedelta(days=365))
PAGE_SIZE = 100


def _message(body: Any) -> str | None:
    if isinstance(body, dict):
        error = body.get("error") or {}
        return f"{error.get('code')}: {error.get('message')}" if error else None
    return None


class GraphCalendar:
    name = "graph"
    capabilities = CalendarCapabilities(
        silent_attendee_update=False, idempotent_create=True, incremental_changes=True,
        push_notifications=True, field_update_notifies_attendees=True,
        change_window_days=(DELTA_WINDOW[0].days, DELTA_WINDOW[1].days))

    def __init__(self, session: requests.Session, base_url: str, tokens: TokenSource,
                 mailbox: str = "me", time_zone: str = "UTC"):
        self.session = session
        self.tokens = tokens
        self.time_zone = time_zone
        self.root = f"{base_url.rstrip('/')}/v1.0"
        self.mailbox = mailbox
        owner = "me" if mailbox == "me" else f"users/{quote(mailbox)}"
        self.base = f"{self.root}/{owner}"
        self.resource = "me/events" if mailbox == "me" else f"users/{mailbox}/events"

    def _request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        headers = {"Prefer": 'outlook.timezone="UTC"', **(kwargs.pop("headers", None) or {})}
        response = call(self.session, self.tokens, method, url, headers=headers, **kwargs)
        raise_for(response, _message)
        return response

    @property
    def _expand(self) -> dict[str, str]:
        return {"$expand": f"singleValueExtendedProperties($filter=id eq '{PROPERTY_ID}')"}

    # -- items --------------------------------------------------------------------------
    def create_item(self, draft: ItemDraft, *, idempotency_key: str) -> CalendarItem:
        body = self._body(draft)
        body["transactionId"] = str(uuid.uuid5(uuid.NAMESPACE_URL, idempotency_key))
        data = self._request("POST", f"{self.base}/events", json=body).json()
        return self._item(data, draft.salesforce_event_id)

    def get_item(self, item_id: str) -> CalendarItem:
        if "/" in item_id:  # a REST id never has one (an EWS-format id of Office.js does):
            # not an item of this mailbox, and never another of Graph's URLs
            raise ItemNotFound(f"no item {item_id!r}: not a Graph id", status=404)
        data = self._request("GET", f"{self.base}/events/{quote(item_id)}",
                             params=self._expand).json()
        return self._item(data)

    def link_item(self, item_id: str, salesforce_event_id: str) -> CalendarItem:
        """Graph sends every attendee an update for any PATCH of a meeting but one of its
        attendees alone (the emulator's rule; unconfirmed for extended properties): a
        meeting is left untouched (the link lives in the product's store, so the item is
        not found by find_by_salesforce_event); an appointment gets the property."""
        item = self.get_item(item_id)
        if item.kind == "meeting":
            return item
        data = self._request("PATCH", f"{self.base}/events/{quote(item_id)}", json={
            "singleValueExtendedProperties": [{"id": PROPERTY_ID,
                                               "value": salesforce_event_id}]},
            params=self._expand).json()
        return self._item(data)

    def update_fields(self, item_id: str, draft: ItemDraft, *, etag: str | None = None,
                      notify_attendees: bool = False) -> CalendarItem:
        headers = {"If-Match": etag} if etag else {}
        data = self._request("PATCH", f"{self.base}/events/{quote(item_id)}",
                             json=self._body(draft), headers=headers,
                             params=self._expand).json()
        return self._item(data)

    def rename_item(self, item_id: str, subject: str, location: str, *,
                    etag: str | None = None, notify_attendees: bool = False) -> CalendarItem:
        headers = {"If-Match": etag} if etag else {}
        data = self._request("PATCH", f"{self.base}/events/{quote(item_id)}", json={
            "subject": subject, "location": {"displayName": location}}, headers=headers,
            params=self._expand).json()
        return self._item(data)

    def replace_attendees(self, item_id: str, attendees: list[Attendee], *,
                          notify: NotifyMode, etag: str | None = None) -> CalendarItem:
        headers = {"If-Match": etag} if etag else {}
        data = self._request("PATCH", f"{self.base}/events/{quote(item_id)}",
                             json=_attendees_body(attendees, notify), headers=headers,
                             params=self._expand).json()
        return self._item(data)

    # -- batches ($batch: 20 steps a request) ----------------------------------------------
    def _path(self, item_id: str) -> str:
        """A step's URL, relative to /v1.0, with the extended property expanded."""
        owner = self.base.removeprefix(self.root)
        return (f"{owner}/events/{quote(item_id)}?$expand=singleValueExtendedProperties"
                f"($filter=id eq '{PROPERTY_ID}')")

    def get_items(self, item_ids: list[str]) -> BatchResult:
        chains = [[Step(i, "GET", self._path(i))] for i in dict.fromkeys(item_ids)]
        return run_batches(self.session, self.tokens, self.root, chains, self._item,
                           _message)

    def write_items(self, chains: list[list[ItemWrite]]) -> BatchResult:
        """A chain's steps go in one batch, each after the previous (dependsOn)."""
        steps: list[list[Step]] = []
        for chain in chains:
            steps.append([])
            for write in chain:
                body = self._body(write.draft) if write.draft is not None else \
                    _attendees_body(write.attendees or [], write.notify)
                headers = {"If-Match": write.etag} if write.etag else {}
                steps[-1].append(Step(write.item_id, "PATCH", self._path(write.item_id),
                                      body, headers))
        return run_batches(self.session, self.tokens, self.root, steps, self._item,
                           _message)

    def delete_item(self, item_id: str, *, notify: NotifyMode) -> None:
        """Deleting a meeting cancels it for every attendee (Graph cannot be silent)."""
        self._request("DELETE", f"{self.base}/events/{quote(item_id)}")

    def find_by_salesforce_event(self, salesforce_event_id: str) -> CalendarItem | None:
        value = salesforce_event_id.replace("'", "''")
        params = {"$filter": f"singleValueExtendedProperties/Any(ep: ep/id eq "
                             f"'{PROPERTY_ID}' and ep/value eq '{value}')", **self._expand}
        data = self._request("GET", f"{self.base}/events", params=params).json()
        items = data.get("value") or []
        return self._item(items[0]) if items else None

    def list_instances(self, item_id: str, window_start: datetime, window_end: datetime
                       ) -> list[CalendarItem]:
        """The occurrences and exceptions of a series master within the window; Graph
        answers cancelled occurrences only with ``isCancelled``: those are left out."""
        url: str | None = f"{self.base}/events/{quote(item_id)}/instances"
        params: dict[str, str] | None = {
            "startDateTime": _iso(window_start), "endDateTime": _iso(window_end),
            **self._expand}
        found: list[CalendarItem] = []
        while url:
            data = self._request("GET", url, params=params).json()
            found += [self._item(raw) for raw in data.get("value", [])
                      if not raw.get("isCancelled")]
            url, params = data.get("@odata.nextLink"), None
        return found

    # -- changes and push -----------------------------------------------------------------
    def list_changes(self, cursor: str | None) -> ChangePage:
        full = cursor is None
        url = cursor or self._delta_start()
        changed: list[CalendarItem] = []
        removed: list[str] = []
        while True:
            response = call(self.session, self.tokens, "GET", url, headers={
                "Prefer": f'outlook.timezone="UTC", odata.maxpagesize={PAGE_SIZE}'})
            if response.status_code == 410 and not full:
                url, full, changed, removed = self._delta_start(), True, [], []
                continue
            raise_for(response, _message)
            data = response.json()
            for raw in data.get("value", []):
                if "@removed" in raw:
                    removed.append(raw["id"])
                else:
                    changed.append(self._item(raw))
            if data.get("@odata.nextLink"):
                url = data["@odata.nextLink"]
                continue
            return ChangePage(changed, removed, str(data["@odata.deltaLink"]), full)

    def _delta_start(self) -> str:
        now = datetime.now(UTC)
        start = (now - DELTA_WINDOW[0]).strftime("%Y-%m-%dT%H:%M:%SZ")
        end = (now + DELTA_WINDOW[1]).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{self.base}/calendarView/delta?startDateTime={start}&endDateTime={end}"

    def subscribe(self, notification_url: str, client_state: str,
                  expires_at: datetime) -> PushSubscription:
        data = self._request("POST", f"{self.root}/subscriptions", json={
            "changeType": "created,updated,deleted", "notificationUrl": notification_url,
            "lifecycleNotificationUrl": notification_url,  # reauthorize / removed / missed
            "resource": self.resource, "clientState": client_state,
            "expirationDateTime": _iso(expires_at)}).json()
        return PushSubscription(id=data["id"], resource=data["resource"],
                                notification_url=notification_url, client_state=client_state,
                                expires_at=_parse_iso(data["expirationDateTime"]))

    def renew(self, subscription: PushSubscription, expires_at: datetime) -> PushSubscription:
        data = self._request("PATCH", f"{self.root}/subscriptions/{subscription.id}",
                             json={"expirationDateTime": _iso(expires_at)}).json()
        subscription.expires_at = _parse_iso(data["expirationDateTime"])
        return subscription

    def unsubscribe(self, subscription: PushSubscription) -> None:
        with suppress(ItemNotFound):  # already gone is fine
            self._request("DELETE", f"{self.root}/subscriptions/{subscription.id}")

    # -- mapping ------------------------------------------------------------------------
    def _body(self, draft: ItemDraft) -> dict[str, Any]:
        body: dict[str, Any] = {
            "subject": draft.subject,
            "body": {"contentType": "text", "content": draft.body},
            **_times(draft),
            "isAllDay": draft.is_all_day,
            "location": {"displayName": draft.location},
            "showAs": SHOW_AS_TO_GRAPH.get(draft.show_as, "busy"),
            "sensitivity": "private" if draft.is_private else "normal",
            "isReminderOn": draft.reminder_minutes is not None,
        }
        if draft.reminder_minutes is not None:
            body["reminderMinutesBeforeStart"] = draft.reminder_minutes
        if draft.salesforce_event_id:
            body["singleValueExtendedProperties"] = [
                {"id": PROPERTY_ID, "value": draft.salesforce_event_id}]
        if draft.recurrence:
            start = draft.start if isinstance(draft.start, datetime) else datetime.combine(
                draft.start, datetime.min.time(), tzinfo=zone(draft.time_zone))
            body["recurrence"] = rrule_to_graph(draft.recurrence, start, draft.time_zone,
                                                all_day=draft.is_all_day)
        return body


    def _item(self, data: dict[str, Any], salesforce_event_id: str | None = None
              ) -> CalendarItem:
        all_day = bool(data.get("isAllDay"))
        start = _parse_time(data["start"], data.get("originalStartTimeZone"), all_day)
        end = _parse_time(data["end"], data.get("originalEndTimeZone"), all_day)
        props = data.get("singleValueExtendedProperties") or []
        tag = next((p["value"] for p in props if p["id"].lower() == PROPERTY_ID.lower()),
                   salesforce_event_id)
        organizer = ((data.get("organizer") or {}).get("emailAddress") or {}).get("address", "")
        return CalendarItem(
            item_id=data["id"], etag=data.get("@odata.etag"), subject=data.get("subject", ""),
            start=start, end=end, is_all_day=all_day,
            location=(data.get("location") or {}).get("displayName", ""),
            body=(data.get("body") or {}).get("content", ""),
            show_as=SHOW_AS_FROM_GRAPH.get(data.get("showAs", "busy"), "busy"),
            is_private=data.get("sensitivity") in ("private", "confidential"),
            reminder_minutes=data.get("reminderMinutesBeforeStart")
            if data.get("isReminderOn") else None,
            attendees=[Attendee(email=a["emailAddress"]["address"],
                                name=a["emailAddress"].get("name", ""),
                                optional=a.get("type") == "optional",
                                response=RESPONSES.get((a.get("status") or {}).get(
                                    "response", ""), "none"))
                       for a in data.get("attendees") or []],
            organizer_email=organizer, salesforce_event_id=tag, web_link=data.get("webLink"),
            is_organizer=bool(data.get("isOrganizer", True)),
            recurrence=_rule_of(data),
            series_id=data.get("seriesMasterId"),
            original_start=_parse_iso(data["originalStart"])
            if data.get("originalStart") else None,
            raw=data)


def _rule_of(data: dict[str, Any]) -> str | None:
    """A series master's RRULE (without "RRULE:"); None for anything else."""
    if not data.get("recurrence"):
        return None
    return graph_to_rrule(data["recurrence"], all_day=bool(data.get("isAllDay")))


def _attendees_body(attendees: list[Attendee], notify: NotifyMode) -> dict[str, Any]:
    if notify is NotifyMode.SILENT:
        raise SilentUpdateUnsupported("Microsoft Graph always emails attendees it is "
                                      "given; it cannot add them silently")
    return {"attendees": [{"emailAddress": {"address": a.email, "name": a.name or a.email},
                           "type": "optional" if a.optional else "required"}
                          for a in attendees]}


def _times(draft: ItemDraft) -> dict[str, dict[str, str]]:
    """start/end as Graph's dateTimeTimeZone: a wall time without offset in a named zone.
    The item keeps the user's zone when both wall times name exactly one instant there;
    if either falls in the hour repeated when clocks go back, a wall time would be
    ambiguous (Outlook read 02:30 on such a night as the other 02:30: a meeting became
    zero-length), so both go in UTC, which has no such hours."""
    if draft.is_all_day or not isinstance(draft.start, datetime) or not isinstance(
            draft.end, datetime):
        return {key: {"dateTime": f"{_day(value).isoformat()}T00:00:00",
                      "timeZone": draft.time_zone}
                for key, value in (("start", draft.start), ("end", draft.end))}
    local_zone = zone(draft.time_zone)
    start, end = draft.start.astimezone(local_zone), draft.end.astimezone(local_zone)
    if _unambiguous(start) and _unambiguous(end):
        return {"start": _wall(start, draft.time_zone), "end": _wall(end, draft.time_zone)}
    return {"start": _wall(draft.start.astimezone(UTC), "UTC"),
            "end": _wall(draft.end.astimezone(UTC), "UTC")}


def _day(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _unambiguous(local: datetime) -> bool:
    """The wall time of ``local`` names one instant in its zone (not a repeated hour)."""
    return local.replace(fold=0).utcoffset() == local.replace(fold=1).utcoffset()


def _wall(local: datetime, zone_name: str) -> dict[str, str]:
    return {"dateTime": local.replace(tzinfo=None).isoformat(timespec="seconds"),
            "timeZone": zone_name}


def _parse_time(value: dict[str, Any], original_zone: str | None, all_day: bool
                ) -> datetime | date:
    text = str(value["dateTime"])
    head, _, fraction = text.partition(".")
    moment = datetime.fromisoformat(head).replace(tzinfo=zone(value.get("timeZone") or "UTC"))
    if fraction:
        moment = moment.replace(microsecond=int(fraction[:6].ljust(6, "0")))
    if all_day:
        return moment.astimezone(zone(original_zone or value.get("timeZone") or "UTC")).date()
    return moment


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


def _parse_iso(text: str) -> datetime:
    head = text.replace("Z", "").split(".")[0]
    return datetime.fromisoformat(head).replace(tzinfo=UTC)
