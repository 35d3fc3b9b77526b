"""Google Calendar (Gmail users), API v3, through the single HTTP path.

Creates are retry-safe: the event id is derived from the idempotency key, so a repeated
insert answers 409 duplicate and the existing event is returned. Nothing is emailed unless
asked (sendUpdates=all); attendee changes email only the added and removed guests.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import requests

from addin.domain import Attendee, CalendarItem, ItemDraft
from addin.providers.calendar.google_batch import Call, run_batch
from addin.providers.calendar.http import call, raise_for
from addin.providers.calendar.provider import (
    BatchResult,
    CalendarCapabilities,
    ChangePage,
    ItemNotFound,
    ItemWrite,
    NotifyMode,
    PushSubscription,
    TokenSource,
)
from addin.sync.recurrence import rule_of_lines, with_prefix

SALESFORCE_KEY = "salesforceEventId"
RESPONSES = {"needsAction": "none", "accepted": "accepted", "declined": "declined",
             "tentative": "tentative"}
FULL_SYNC_PAGE = 250


def event_id_for(idempotency_key: str) -> str:
    """A valid Google event id (base32hex, lower case) derived from the key."""
    digest = hashlib.sha256(idempotency_key.encode()).digest()[:20]
    return base64.b32hexencode(digest).decode().lower().rstrip("=")


def _message(body: Any) -> str | None:
    if isinstance(body, dict):
        return str((body.get("error") or {}).get("message") or "") or None
    return None


class GoogleCalendar:
    name = "google"
    capabilities = CalendarCapabilities(
        silent_attendee_update=True, idempotent_create=True, incremental_changes=True,
        push_notifications=True, field_update_notifies_attendees=False)

    def __init__(self, session: requests.Session, base_url: str, tokens: TokenSource,
                 calendar_id: str = "primary", time_zone: str = "UTC"):
        self.session = session
        self.tokens = tokens
        self.time_zone = time_zone
        self.root = f"{base_url.rstrip('/')}/calendar/v3"
        self.events_url = f"{self.root}/calendars/{quote(calendar_id, safe='')}/events"

    def _request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        response = call(self.session, self.tokens, method, url, **kwargs)
        raise_for(response, _message)
        return response

    # -- items --------------------------------------------------------------------------
    def create_item(self, draft: ItemDraft, *, idempotency_key: str) -> CalendarItem:
        event_id = event_id_for(idempotency_key)
        body = {"id": event_id, **self._body(draft)}
        response = call(self.session, self.tokens, "POST", self.events_url, json=body,
                        params={"sendUpdates": "none"})
        if response.status_code == 409:  # a retried create: the first one went through
            return self.get_item(event_id)
        raise_for(response, _message)
        return self._item(response.json())

    def get_item(self, item_id: str) -> CalendarItem:
        data = self._request("GET", f"{self.events_url}/{quote(item_id)}").json()
        if data.get("status") == "cancelled":
            raise ItemNotFound(f"event {item_id} was deleted", status=410)
        return self._item(data)

    def link_item(self, item_id: str, salesforce_event_id: str) -> CalendarItem:
        response = self._request("PATCH", f"{self.events_url}/{quote(item_id)}", json={
            "extendedProperties": {"private": {SALESFORCE_KEY: salesforce_event_id}}},
            params={"sendUpdates": "none"})
        return self._item(response.json())

    def update_fields(self, item_id: str, draft: ItemDraft, *, etag: str | None = None,
                      notify_attendees: bool = False) -> CalendarItem:
        headers = {"If-Match": etag} if etag else {}
        response = self._request("PATCH", f"{self.events_url}/{quote(item_id)}",
                                 json=self._body(draft), headers=headers,
                                 params={"sendUpdates": "all" if notify_attendees else "none"})
        return self._item(response.json())

    def rename_item(self, item_id: str, subject: str, location: str, *,
                    etag: str | None = None, notify_attendees: bool = False) -> CalendarItem:
        headers = {"If-Match": etag} if etag else {}
        response = self._request("PATCH", f"{self.events_url}/{quote(item_id)}",
                                 json={"summary": subject, "location": location},
                                 headers=headers,
                                 params={"sendUpdates": "all" if notify_attendees else "none"})
        return self._item(response.json())

    def replace_attendees(self, item_id: str, attendees: list[Attendee], *,
                          notify: NotifyMode, etag: str | None = None) -> CalendarItem:
        headers = {"If-Match": etag} if etag else {}
        send = "all" if notify is NotifyMode.CHANGED else "none"
        response = self._request("PATCH", f"{self.events_url}/{quote(item_id)}",
                                 json={"attendees": _guests(attendees)}, headers=headers,
                                 params={"sendUpdates": send})
        return self._item(response.json())

    # -- batches (Google's batch endpoint: 50 calls a request) ---------------------------
    def _batch(self, calls: list[Call]) -> BatchResult:
        origin = self.root.removesuffix("/calendar/v3")

        def parse(data: dict[str, Any]) -> CalendarItem | ItemNotFound:
            if data.get("status") == "cancelled":  # what Google answers for a deleted one
                return ItemNotFound(f"event {data.get('id')} was deleted", status=410)
            return self._item(data)

        return run_batch(self.session, self.tokens, f"{origin}/batch/calendar/v3", calls,
                         parse, _message)

    def get_items(self, item_ids: list[str]) -> BatchResult:
        path = urlsplit(self.events_url).path
        return self._batch([Call(i, "GET", f"{path}/{quote(i)}")
                            for i in dict.fromkeys(item_ids)])

    def write_items(self, chains: list[list[ItemWrite]]) -> BatchResult:
        """Google runs a batch's calls in any order: one write per item and batch, an
        item's next write in the next round."""
        path = urlsplit(self.events_url).path
        results: BatchResult = {}
        pending = [list(chain) for chain in chains if chain]
        while pending:
            calls = []
            for chain in pending:
                write = chain.pop(0)
                if write.draft is not None:
                    body = self._body(write.draft)
                    send = "all" if write.notify_attendees else "none"
                else:
                    body = {"attendees": _guests(write.attendees or [])}
                    send = "all" if write.notify is NotifyMode.CHANGED else "none"
                headers = {"If-Match": write.etag} if write.etag else {}
                calls.append(Call(write.item_id, "PATCH",
                                  f"{path}/{quote(write.item_id)}?sendUpdates={send}",
                                  body, headers))
            results.update(self._batch(calls))
            pending = [chain for chain in pending if chain
                       and isinstance(results.get(chain[0].item_id), CalendarItem)]
        return results

    def delete_item(self, item_id: str, *, notify: NotifyMode) -> None:
        send = "all" if notify is NotifyMode.CHANGED else "none"
        self._request("DELETE", f"{self.events_url}/{quote(item_id)}",
                      params={"sendUpdates": send})

    def find_by_salesforce_event(self, salesforce_event_id: str) -> CalendarItem | None:
        data = self._request("GET", self.events_url, params={
            "privateExtendedProperty": f"{SALESFORCE_KEY}={salesforce_event_id}",
            "maxResults": 5}).json()
        items = [i for i in data.get("items", []) if i.get("status") != "cancelled"]
        return self._item(items[0]) if items else None

    def list_instances(self, item_id: str, window_start: datetime, window_end: datetime
                       ) -> list[CalendarItem]:
        """The occurrences of a series within [window_start, window_end), moved ones
        (exceptions) where they are now; cancelled ones are left out."""
        params: dict[str, Any] = {"timeMin": _rfc3339(window_start),
                                  "timeMax": _rfc3339(window_end), "maxResults": 2500}
        found: list[CalendarItem] = []
        while True:
            data = self._request("GET", f"{self.events_url}/{quote(item_id)}/instances",
                                 params=params).json()
            found += [self._item(raw) for raw in data.get("items", [])
                      if raw.get("status") != "cancelled"]
            if not data.get("nextPageToken"):
                return found
            params = {**params, "pageToken": data["nextPageToken"]}

    # -- changes and push -----------------------------------------------------------------
    def list_changes(self, cursor: str | None) -> ChangePage:
        params: dict[str, Any] = {"maxResults": FULL_SYNC_PAGE}
        full = cursor is None
        if cursor:
            params["syncToken"] = cursor
        changed: list[CalendarItem] = []
        removed: list[str] = []
        while True:
            response = call(self.session, self.tokens, "GET", self.events_url, params=params)
            if response.status_code == 410 and "syncToken" in params:
                params = {"maxResults": FULL_SYNC_PAGE}  # expired: start over in full
                full, changed, removed = True, [], []
                continue
            raise_for(response, _message)
            data = response.json()
            for raw in data.get("items", []):
                if raw.get("status") == "cancelled":
                    removed.append(raw["id"])
                else:
                    changed.append(self._item(raw))
            if data.get("nextPageToken"):
                params = {"pageToken": data["nextPageToken"], "maxResults": FULL_SYNC_PAGE}
                continue
            return ChangePage(changed, removed, str(data.get("nextSyncToken", "")), full)

    def subscribe(self, notification_url: str, client_state: str,
                  expires_at: datetime) -> PushSubscription:
        channel_id = str(uuid.uuid4())
        data = self._request("POST", f"{self.events_url}/watch", json={
            "id": channel_id, "type": "web_hook", "address": notification_url,
            "token": client_state, "expiration": int(expires_at.timestamp() * 1000)}).json()
        expiration = datetime.fromtimestamp(int(data["expiration"]) / 1000, UTC)
        return PushSubscription(id=data["id"], resource=data.get("resourceUri", ""),
                                notification_url=notification_url, client_state=client_state,
                                expires_at=expiration,
                                extra={"resourceId": data["resourceId"]})

    def renew(self, subscription: PushSubscription, expires_at: datetime) -> PushSubscription:
        """Google channels cannot be extended: open a new one, stop the old one."""
        fresh = self.subscribe(subscription.notification_url, subscription.client_state,
                               expires_at)
        self.unsubscribe(subscription)
        return fresh

    def unsubscribe(self, subscription: PushSubscription) -> None:
        self._request("POST", f"{self.root}/channels/stop", json={
            "id": subscription.id, "resourceId": subscription.extra.get("resourceId")})

    # -- mapping ------------------------------------------------------------------------
    def _body(self, draft: ItemDraft) -> dict[str, Any]:
        body: dict[str, Any] = {
            "summary": draft.subject, "description": draft.body, "location": draft.location,
            "start": self._when(draft.start, draft), "end": self._when(draft.end, draft),
            "transparency": "transparent" if draft.show_as == "free" else "opaque",
            "visibility": "private" if draft.is_private else "default",
            "reminders": ({"useDefault": False, "overrides": [
                {"method": "popup", "minutes": draft.reminder_minutes}]}
                if draft.reminder_minutes is not None else {"useDefault": True}),
        }
        if draft.salesforce_event_id:
            body["extendedProperties"] = {"private": {SALESFORCE_KEY: draft.salesforce_event_id}}
        if draft.recurrence:
            body["recurrence"] = [with_prefix(draft.recurrence)]
        return body

    @staticmethod
    def _when(value: datetime | date, draft: ItemDraft) -> dict[str, str]:
        if draft.is_all_day or not isinstance(value, datetime):
            day = value.date() if isinstance(value, datetime) else value
            return {"date": day.isoformat()}
        return {"dateTime": value.isoformat(), "timeZone": draft.time_zone}

    def _item(self, data: dict[str, Any]) -> CalendarItem:
        start, all_day = _parse_when(data["start"])
        end, _ = _parse_when(data["end"])
        overrides = (data.get("reminders") or {}).get("overrides") or []
        organizer = (data.get("organizer") or {}).get("email", "")
        return CalendarItem(
            item_id=data["id"], etag=data.get("etag"), subject=data.get("summary", ""),
            start=start, end=end, is_all_day=all_day, location=data.get("location", ""),
            body=data.get("description", ""),
            show_as="free" if data.get("transparency") == "transparent" else "busy",
            is_private=data.get("visibility") in ("private", "confidential"),
            reminder_minutes=overrides[0]["minutes"] if overrides else None,
            attendees=[Attendee(email=a["email"], name=a.get("displayName", ""),
                                optional=bool(a.get("optional")),
                                response=RESPONSES.get(a.get("responseStatus", ""), "none"))
                       for a in data.get("attendees") or [] if not a.get("organizer")],
            organizer_email=organizer,
            salesforce_event_id=((data.get("extendedProperties") or {}).get("private") or {}
                                 ).get(SALESFORCE_KEY),
            web_link=data.get("htmlLink"), is_organizer=bool(
                (data.get("organizer") or {}).get("self", True)),
            recurrence=rule_of_lines(data.get("recurrence")),  # EXDATEs: through instances
            series_id=data.get("recurringEventId"),
            original_start=_parse_when(data["originalStartTime"])[0]
            if data.get("originalStartTime") else None,
            raw=data)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _guests(attendees: list[Attendee]) -> list[dict[str, Any]]:
    guests = []
    for attendee in attendees:
        guest: dict[str, Any] = {"email": attendee.email}
        if attendee.name:
            guest["displayName"] = attendee.name
        if attendee.optional:
            guest["optional"] = True
        if attendee.response != "none":  # never overwrite a guest's answer
            guest["responseStatus"] = attendee.response
        guests.append(guest)
    return guests


def _parse_when(value: dict[str, Any]) -> tuple[datetime | date, bool]:
    if value.get("date"):
        return date.fromisoformat(value["date"]), True
    moment = datetime.fromisoformat(str(value["dateTime"]).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(value.get("timeZone") or "UTC"))
    return moment, False
