"""Microsoft Graph calendar events over HTTP (v1.0).

Mail semantics (recorded in the sandbox mail log, sender "graph"): creating an event with
attendees invites them all; a PATCH whose body holds only ``attendees`` invites the added
and cancels the removed attendees; a PATCH of any other field of a meeting sends an update
to every attendee; deleting a meeting cancels it for every attendee. Items without
attendees send nothing.
"""

from __future__ import annotations

import json
import secrets
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import requests
from flask import Flask, Response, request

from addin.sandbox.calendar_core import (
    CalendarStore,
    Delivery,
    StoredItem,
    WebhookSender,
    record_attendee_mail,
)
from addin.sandbox.frame import authenticate, emulator_app
from addin.sandbox.graph import odata, recurrence, series
from addin.sandbox.graph.invitees import Invitees
from addin.sandbox.graph.resources import (
    GraphError,
    bad,
    check,
    check_times,
    format_time,
    parse_time,
    select,
    zone,
)
from addin.sandbox.graph.resources import (
    json_response as _json,
)
from addin.sandbox.graph.resources import (
    request_window as _window,
)
from addin.sandbox.graph.routes import register
from addin.sandbox.seed import SeedData
from addin.sandbox.state import SandboxState

MAX_SUBSCRIPTION = timedelta(minutes=10080)
BATCH_LIMIT = 20
DEFAULT_PAGE = 10


def error_body(status: int, message: str, code: str) -> dict[str, Any]:
    codes = {429: "TooManyRequests", 503: "ServiceUnavailable", 500: "InternalServerError"}
    return {"error": {"code": codes.get(status, code), "message": message,
                      "innerError": {"date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")}}}




def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Graph:
    def __init__(self, state: SandboxState, seed: SeedData, base_url: str):
        self.state = state
        self.base_url = base_url
        self.store = CalendarStore()
        self.sender = WebhookSender(verify=state.callback_trust)
        self.people = {u.email.lower(): u for u in seed.users}
        self.ids = {str(uuid.uuid5(uuid.NAMESPACE_URL, u.email)): u.email.lower()
                    for u in seed.users}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.lock = threading.RLock()

    @property
    def invitees(self) -> Invitees:
        """Invitees' copies (a view over the store: no state of its own to persist)."""
        return Invitees(self)

    # -- who and where --------------------------------------------------------------
    def caller(self) -> str:
        token = authenticate(self.state, "graph")
        if token is None:
            raise GraphError(401, "InvalidAuthenticationToken",
                             "Access token is empty or invalid.")
        return token.subject.lower()

    def mailbox(self, user: str | None) -> str:
        me = self.caller()
        if user is None:
            return me
        owner = self.ids.get(user) or user.lower()
        if owner not in self.people:
            raise GraphError(404, "ErrorInvalidUser",
                             f"The requested user '{user}' is invalid.")
        if owner != me:  # every sandbox token is delegated: a user's own mailbox only
            raise GraphError(403, "ErrorAccessDenied",
                             "Access is denied. Check credentials and try again.")
        return owner

    def user_id(self, owner: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, self.people[owner].email))

    # -- shaping --------------------------------------------------------------------
    def shape(self, item: StoredItem, owner: str) -> dict[str, Any]:
        e = item.resource
        prefer = _prefer("outlook.timezone")
        start = datetime.fromisoformat(e["start_utc"])
        end = datetime.fromisoformat(e["end_utc"])
        start_zone = prefer or "UTC"
        end_zone = prefer or "UTC"
        if prefer:
            zone(prefer)
        organizer_email = e.get("organizer_email") or owner  # an invitee's copy: theirs
        organizer = {"emailAddress": {"name": self.people[organizer_email].name
                                      if organizer_email in self.people else organizer_email,
                                      "address": organizer_email}}
        web = f"https://outlook.office365.com/owa/?itemid={quote(item.id)}&exvsurl=1&path=/calendar/item"
        out: dict[str, Any] = {
            "@odata.etag": f'W/"{e["changeKey"]}"', "id": item.id,
            "createdDateTime": e["createdDateTime"], "lastModifiedDateTime": e["lastModified"],
            "changeKey": e["changeKey"], "categories": e.get("categories") or [],
            "transactionId": e.get("transactionId"),
            "originalStartTimeZone": e["start_zone"], "originalEndTimeZone": e["end_zone"],
            "iCalUId": e["iCalUId"], "reminderMinutesBeforeStart":
                e.get("reminderMinutesBeforeStart", 15),
            "isReminderOn": e.get("isReminderOn", True), "hasAttachments": False,
            "subject": e.get("subject") or "",
            "bodyPreview": (e.get("body") or {}).get("content", "")[:255],
            "importance": e.get("importance") or "normal",
            "sensitivity": e.get("sensitivity") or "normal",
            "isOnlineMeeting": bool(e.get("isOnlineMeeting")),
            "onlineMeetingProvider": e.get("onlineMeetingProvider") or "unknown",
            "onlineMeeting": e.get("onlineMeeting") if e.get("isOnlineMeeting") else None,
            "locations": e.get("locations") or ([e["location"]] if (
                e.get("location") or {}).get("displayName") else []),
            "isAllDay": bool(e.get("isAllDay")), "isCancelled": bool(e.get("isCancelled")),
            "isOrganizer": not e.get("organizer_email"),
            "responseRequested": True, "showAs": e.get("showAs") or "busy",
            "type": odata.event_type(e),
            "seriesMasterId": e.get("_seriesMasterId"),
            "recurrence": e.get("recurrence"), "webLink": web,
            "responseStatus": e.get("response") or {"response": "organizer",
                                                    "time": "0001-01-01T00:00:00Z"},
            "body": e.get("body") or {"contentType": "html", "content": ""},
            "start": format_time(start, start_zone), "end": format_time(end, end_zone),
            "location": e.get("location") or {"displayName": ""},
            "attendees": e.get("attendees") or [], "organizer": organizer,
        }
        if e.get("_originalStart"):
            out["originalStart"] = e["_originalStart"]
        expand = request.args.get("$expand", "")
        if "singleValueExtendedProperties" in expand:
            out["singleValueExtendedProperties"] = list((e.get("extended") or {}).values())
        return select(out, request.args.get("$select"))

    # -- writes ---------------------------------------------------------------------
    def build(self, owner: str, body: dict[str, Any], current: dict[str, Any] | None
              ) -> dict[str, Any]:
        check(body, creating=current is None)
        event = dict(current or {})
        now = _iso(datetime.now(UTC))
        if current is None:
            event.update({"createdDateTime": now, "iCalUId": "040000008200E00074C5B7101A82E008"
                          + "00000000" + secrets.token_hex(20).upper()})
        for key in ("subject", "body", "location", "showAs", "isReminderOn",
                    "reminderMinutesBeforeStart", "sensitivity", "categories", "isAllDay",
                    "transactionId", "importance", "isOnlineMeeting", "onlineMeetingProvider",
                    "locations", "recurrence"):
            if key in body:
                event[key] = body[key]
        if event.get("importance", "normal") not in ("low", "normal", "high"):
            raise bad(f"Invalid value for importance: {event['importance']}")
        if event.get("isOnlineMeeting") and not event.get("onlineMeeting"):
            event["onlineMeetingProvider"] = event.get("onlineMeetingProvider") or \
                "teamsForBusiness"
            event["onlineMeeting"] = {"joinUrl": "https://teams.microsoft.com/l/meetup-join/"
                                      + secrets.token_urlsafe(24)}
        for key in ("start", "end"):
            if key in body:
                instant, name = parse_time(
                    body[key], key,
                    ambiguous=self.state.setting("graph.ambiguousLocalTime"),
                    nonexistent=self.state.setting("graph.nonexistentLocalTime"))
                event[f"{key}_utc"], event[f"{key}_zone"] = instant.isoformat(), name
        if "attendees" in body:
            old = {a["emailAddress"]["address"].lower(): a for a in event.get("attendees") or []}
            attendees = []
            for attendee in body["attendees"] or []:
                address = attendee["emailAddress"]["address"]
                previous = old.get(address.lower())
                status = (previous or {}).get("status") or {"response": "none",
                                                             "time": "0001-01-01T00:00:00Z"}
                attendees.append({"type": attendee.get("type", "required"), "status": status,
                                  "emailAddress": {"name": attendee["emailAddress"].get(
                                      "name") or address, "address": address}})
            event["attendees"] = attendees
        if "singleValueExtendedProperties" in body:
            extended = dict(event.get("extended") or {})
            for prop in body["singleValueExtendedProperties"] or []:
                extended[str(prop["id"]).lower()] = {"id": prop["id"], "value": prop["value"]}
            event["extended"] = extended
        check_times(datetime.fromisoformat(event["start_utc"]), event["start_zone"],
                    datetime.fromisoformat(event["end_utc"]), event["end_zone"],
                    bool(event.get("isAllDay")))
        recurrence.check(event.get("recurrence"), datetime.fromisoformat(event["start_utc"]),
                         event["start_zone"])
        event["lastModified"] = now
        event["changeKey"] = secrets.token_urlsafe(21)
        return event

    def create(self, owner: str, body: Any) -> Response:
        if not isinstance(body, dict):
            raise bad("Empty Payload. JSON content expected.", "BadRequest")
        with self.store.lock:
            transaction = body.get("transactionId")
            if transaction:
                for item in self.store.live(owner):
                    if item.resource.get("transactionId") == transaction:
                        return _json(201, self.shape(item, owner))
            event = self.build(owner, body, None)
            if event.get("recurrence"):
                series.stamp(self, None, event)
            item = self.store.put(owner, "AAMkA" + secrets.token_urlsafe(60), event)
        self.mail(owner, event, [], [a["emailAddress"]["address"] for a in
                                     event.get("attendees") or []], invite_only=True)
        self.notify(owner, item, "created")
        self.spread(owner, item)
        return _json(201, self.shape(item, owner))

    def spread(self, owner: str, item: StoredItem) -> None:
        """Invitees' copies follow the organizer's write (and are notified)."""
        with self.store.lock:
            changes = self.invitees.fan_out(owner, item)
        for mailbox, copy, change in changes:
            self.notify(mailbox, copy, change)

    def respond(self, owner: str, item_id: str, action: str, body: Any) -> Response:
        with self.store.lock:
            changes = self.invitees.respond(owner, item_id, action, body)
        for mailbox, changed, change in changes:
            self.notify(mailbox, changed, change)
        return _json(202)

    def find(self, owner: str, item_id: str) -> StoredItem:
        item = self.store.get(owner, item_id) or series.resolve(self, owner, item_id)
        if item is None:
            raise GraphError(404, "ErrorItemNotFound",
                             "The specified object was not found in the store.")
        return item

    def check_etag(self, item: StoredItem) -> None:
        expected = request.headers.get("If-Match")
        if expected and expected != "*" and expected.strip() not in (
                f'W/"{item.resource["changeKey"]}"', item.resource["changeKey"]):
            raise GraphError(412, "ErrorIrresolvableConflict",
                             "The change key passed in the request does not match the "
                             "current change key for the item.")

    def update(self, owner: str, item_id: str, body: Any) -> Response:
        if not isinstance(body, dict):
            raise bad("Empty Payload. JSON content expected.", "BadRequest")
        with self.store.lock:
            item = self.find(owner, item_id)
            self.check_etag(item)
            if item.resource.get("_seriesMasterId"):
                return self.update_occurrence(owner, item, body)
            before = item.resource
            event = self.build(owner, body, before)
            if event.get("recurrence") or before.get("recurrence"):
                series.stamp(self, before, event)
            item = self.store.put(owner, item_id, event)
        old = [a["emailAddress"]["address"] for a in before.get("attendees") or []]
        new = [a["emailAddress"]["address"] for a in event.get("attendees") or []]
        only_attendees = set(body) - {"@odata.type"} == {"attendees"}
        self.mail(owner, event, old, new, invite_only=only_attendees)
        if not only_attendees and old:
            series.mail_exceptions(self, owner, event, "update")
        self.notify(owner, item, "updated")
        self.spread(owner, item)
        return _json(200, self.shape(item, owner))

    def update_occurrence(self, owner: str, instance: StoredItem, body: dict[str, Any]
                          ) -> Response:
        with self.store.lock:
            master, changed, before = series.update_occurrence(self, owner, instance, body)
        series.mail_occurrence(self, owner, before, changed.resource,
                               only_attendees=set(body) - {"@odata.type"} == {"attendees"})
        self.notify(owner, changed, "updated")
        self.spread(owner, master)
        return _json(200, self.shape(changed, owner))

    def delete(self, owner: str, item_id: str) -> Response:
        with self.store.lock:
            item = self.find(owner, item_id)
            self.check_etag(item)
            if item.resource.get("_seriesMasterId"):
                master = series.cancel_occurrence(self, owner, item)
                series.mail_occurrence(self, owner, item.resource, None, False)
                self.notify(owner, item, "deleted")
                self.spread(owner, master)
                return _json(204)
            self.store.delete(owner, item_id)
        old = [a["emailAddress"]["address"] for a in item.resource.get("attendees") or []]
        if old:
            record_attendee_mail(self.state, sender="graph", organizer=owner,
                                 subject=item.resource.get("subject") or "", before=old,
                                 after=[])
            series.mail_exceptions(self, owner, item.resource, "cancellation")
        self.notify(owner, item, "deleted")
        self.spread(owner, item)
        return _json(204)

    def mail(self, owner: str, event: dict[str, Any], old: list[str], new: list[str],
             invite_only: bool) -> None:
        """Graph cannot stay silent: an attendees-only change reaches the changed
        attendees; any other change of a meeting reaches every attendee."""
        record_attendee_mail(self.state, sender="graph", organizer=owner,
                             subject=event.get("subject") or "", before=old, after=new,
                             update_others=not invite_only)

    # -- reads ----------------------------------------------------------------------
    def listing(self, owner: str, window: tuple[datetime, datetime] | None) -> Response:
        wanted = odata.parse_filter(request.args.get("$filter"))
        items = sorted(self.store.live(owner), key=lambda i: i.resource["start_utc"])
        if window is not None:  # calendarView: single events and the series' instances
            items = series.expand(items, window)
        items = [i for i in items if all(test(i.resource) for test in wanted)]
        items = odata.order(items, request.args.get("$orderby"), lambda i: i.resource)
        rows = [self.shape(item, owner) for item in items]
        top = _int(request.args.get("$top"), DEFAULT_PAGE, "$top")
        skip = _int(request.args.get("$skip"), 0, "$skip")
        page = rows[skip: skip + top]
        body: dict[str, Any] = {"@odata.context": f"{self.base_url}/v1.0/$metadata#users"
                                f"('{owner}')/events", "value": page}
        if skip + top < len(rows):
            args = request.args.to_dict()
            args["$skip"] = str(skip + top)
            body["@odata.nextLink"] = f"{self.base_url}{request.path}?" + "&".join(
                f"{k}={quote(v)}" for k, v in args.items())
        return _json(200, body)

    def instances(self, owner: str, item_id: str) -> Response:
        """A series' occurrences and exceptions in the window asked (a single event:
        itself, when it falls in the window; Microsoft documents only series masters)."""
        window = _window()
        item = self.find(owner, item_id)
        found = series.instances(item, window) if item.resource.get("recurrence") else \
            series.expand([item], window)  # a single event: itself, within the window
        rows = [self.shape(i, owner) for i in found]
        return _json(200, {"@odata.context": f"{self.base_url}/v1.0/$metadata#Collection"
                           "(event)", "value": rows})

    def delta(self, owner: str) -> Response:
        page_size = _max_page_size() or 100
        args = request.args
        if "$deltatoken" in args:
            cursor = self.store.cursor(args["$deltatoken"])
            if cursor is None or cursor.owner != owner:
                raise GraphError(410, "syncStateNotFound",
                                 "The sync state generation is not found; a full "
                                 "synchronization is required.")
            assert cursor.window is not None
            window = (datetime.fromisoformat(cursor.window[0]),
                      datetime.fromisoformat(cursor.window[1]))
            seq = self.store.current_seq()
            rows = []
            for changed in self.store.changed_since(owner, cursor.seq):
                if changed.seq >= seq:
                    continue
                rows += series.delta_rows(self, changed, owner, window, cursor.seq) \
                    if series.is_master(changed) else [self._delta_row(changed, owner, window)]
        elif "$skiptoken" in args:
            with self.lock:
                pending = self.subscriptions.get(f"skip:{args['$skiptoken']}")
            if pending is None:
                raise GraphError(410, "syncStateNotFound", "The skip token is not valid.")
            rows, window, seq = pending["rows"], pending["window"], pending["seq"]
        else:
            window = _window()
            seq = self.store.current_seq()
            rows = series.delta_initial(self, sorted(self.store.live(owner),
                                                     key=lambda i: i.seq), owner, window)
        if len(rows) > page_size:
            token = secrets.token_urlsafe(16)
            with self.lock:
                self.subscriptions[f"skip:{token}"] = {"rows": rows[page_size:],
                                                       "window": window, "seq": seq}
            return _json(200, {"value": rows[:page_size], "@odata.nextLink":
                               f"{self.base_url}{request.path}?$skiptoken={token}"})
        token = self.store.open_cursor(owner, (window[0].isoformat(), window[1].isoformat()),
                                       seq)
        return _json(200, {"value": rows, "@odata.deltaLink":
                           f"{self.base_url}{request.path}?$deltatoken={token}"})

    def _delta_row(self, item: StoredItem, owner: str,
                   window: tuple[datetime, datetime]) -> dict[str, Any]:
        """A changed item; one deleted, or moved out of the window, is ``@removed``: Graph
        reports both alike (reason ``deleted``), so a client must look before it deletes."""
        if item.deleted or not _overlaps(item, window):
            return {"@odata.type": "#microsoft.graph.event", "id": item.id,
                    "@removed": {"reason": "deleted"}}
        return self.shape(item, owner)

    # -- subscriptions ----------------------------------------------------------------
    def subscribe(self, body: Any) -> Response:
        owner = self.caller()
        if not isinstance(body, dict):
            raise bad("Empty Payload. JSON content expected.", "BadRequest")
        resource = str(body.get("resource", "")).strip("/")
        if resource.lower() not in ("me/events", f"users/{owner}/events") and not (
                resource.lower().startswith("users/") and resource.lower().endswith("/events")):
            raise bad(f"Unsupported resource '{resource}'.", "InvalidRequest")
        url = str(body.get("notificationUrl", ""))
        if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise bad("Subscription validation request failed. Notification endpoint must "
                      "be HTTPS.", "ValidationError")
        expires = _expiration(body.get("expirationDateTime"))
        lifecycle = body.get("lifecycleNotificationUrl")
        with self.state.waiting():  # the product's answers may take a while
            valid = all(_validates(endpoint, self.state.callback_trust)
                        for endpoint in [url] + ([str(lifecycle)] if lifecycle else []))
        if not valid:
            raise bad("Subscription validation request failed. Response must exactly "
                      "match validationToken query parameter.", "ValidationError")
        subscription = {
            "id": str(uuid.uuid4()), "resource": body["resource"],
            "applicationId": "00000000-0000-0000-0000-0000addin000",
            "changeType": body.get("changeType", "created,updated,deleted"),
            "clientState": body.get("clientState"), "notificationUrl": url,
            "lifecycleNotificationUrl": str(lifecycle) if lifecycle else None,
            "expirationDateTime": _iso(expires), "creatorId": self.user_id(owner),
            "latestSupportedTlsVersion": "v1_2", "owner": owner}
        with self.lock:
            self.subscriptions[subscription["id"]] = subscription
        return _json(201, {k: v for k, v in subscription.items() if k != "owner"})

    def list_subscriptions(self) -> Response:
        owner = self.caller()
        with self.lock:
            mine = [{k: v for k, v in sub.items() if k != "owner"}
                    for key, sub in self.subscriptions.items()
                    if not key.startswith("skip:") and sub.get("owner") == owner]
        return _json(200, {"@odata.context": f"{self.base_url}/v1.0/$metadata#subscriptions",
                           "value": mine})

    def lifecycle(self, subscription_id: str, event: str) -> dict[str, Any]:
        """What Graph does to a subscription on its own: asks for reauthorization, removes
        it, or says notifications were missed, at its lifecycleNotificationUrl."""
        if event not in ("reauthorizationRequired", "subscriptionRemoved", "missed"):
            raise bad("lifecycleEvent must be reauthorizationRequired, subscriptionRemoved "
                      "or missed")
        with self.lock:
            subscription = self.subscriptions.get(subscription_id)
            if subscription is None or subscription_id.startswith("skip:"):
                raise GraphError(404, "ResourceNotFound", "The object was not found.")
            if event == "subscriptionRemoved":
                del self.subscriptions[subscription_id]
        note = {"subscriptionId": subscription_id, "lifecycleEvent": event,
                "subscriptionExpirationDateTime": subscription["expirationDateTime"],
                "clientState": subscription.get("clientState"),
                "tenantId": "00000000-0000-0000-0000-00000000add1"}
        target = subscription.get("lifecycleNotificationUrl")
        if target:
            self.sender.send(Delivery(target, json.dumps({"value": [note]}).encode(),
                                      {"Content-Type": "application/json"}))
        return {"sent": bool(target), "notification": note}

    def renew(self, subscription_id: str, body: Any) -> Response:
        self.caller()
        with self.lock:
            subscription = self.subscriptions.get(subscription_id)
            if subscription is None:
                raise GraphError(404, "ResourceNotFound", "The object was not found.")
            subscription["expirationDateTime"] = _iso(_expiration(
                (body or {}).get("expirationDateTime")))
        return _json(200, {k: v for k, v in subscription.items() if k != "owner"})

    def unsubscribe(self, subscription_id: str) -> Response:
        self.caller()
        with self.lock:
            if self.subscriptions.pop(subscription_id, None) is None:
                raise GraphError(404, "ResourceNotFound", "The object was not found.")
        return _json(204)

    def notify(self, owner: str, item: StoredItem, change: str) -> None:
        now = datetime.now(UTC)
        for subscription in list(self.subscriptions.values()):
            if subscription.get("owner") != owner or change not in subscription["changeType"]:
                continue
            if datetime.fromisoformat(subscription["expirationDateTime"].replace(
                    "Z", "+00:00")) < now:
                continue
            path = f"Users/{self.user_id(owner)}/Events/{item.id}"
            note = {"subscriptionId": subscription["id"],
                    "subscriptionExpirationDateTime": subscription["expirationDateTime"],
                    "changeType": change, "resource": path,
                    "resourceData": {"@odata.type": "#Microsoft.Graph.Event",
                                     "@odata.id": path,
                                     "@odata.etag": f'W/"{item.resource["changeKey"]}"',
                                     "id": item.id},
                    "clientState": subscription.get("clientState"),
                    "tenantId": "00000000-0000-0000-0000-00000000add1"}
            self.sender.send(Delivery(subscription["notificationUrl"],
                                      json.dumps({"value": [note]}).encode(),
                                      {"Content-Type": "application/json"}))


def _prefer(name: str) -> str | None:
    for part in request.headers.get("Prefer", "").split(","):
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == name:
            return value.strip().strip('"')
    return None


def _max_page_size() -> int | None:
    value = _prefer("odata.maxpagesize")
    return int(value) if value and value.isdigit() else None


def _int(value: str | None, default: int, name: str) -> int:
    if value is None:
        return default
    if not value.isdigit():
        raise bad(f"Invalid value for {name}.", "BadRequest")
    return int(value)


def _overlaps(item: StoredItem, window: tuple[datetime, datetime]) -> bool:
    start = datetime.fromisoformat(item.resource["start_utc"])
    end = datetime.fromisoformat(item.resource["end_utc"])
    return end > window[0] and start < window[1]


def _validates(url: str, verify: str | bool = True) -> bool:
    """Graph's handshake: the endpoint echoes validationToken as plain text within 10 s."""
    if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        return False
    token = secrets.token_urlsafe(24)
    try:
        session = requests.Session()
        session.trust_env = False
        session.verify = verify
        answer = session.post(url, params={"validationToken": token},
                              headers={"Content-Type": "text/plain"}, timeout=10)
    except requests.RequestException:
        return False
    return answer.status_code == 200 and answer.text == token


def _expiration(value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise bad("expirationDateTime is required.", "InvalidRequest") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    now = datetime.now(UTC)
    if moment <= now or moment - now > MAX_SUBSCRIPTION:
        raise bad("Subscription expiration can only be 10080 minutes in the future.",
                  "InvalidRequest")
    return moment


def create_app(state: SandboxState, seed: SeedData, base_url: str) -> Flask:
    app = emulator_app("graph", state, error_body, exempt_paths=("/sandbox-ui",))
    graph = state.keep("graph", Graph(state, seed, base_url))
    app.extensions["graph"] = graph

    @app.errorhandler(GraphError)
    def _error(exc: GraphError) -> Response:
        return _json(exc.status, exc.body)

    register(app, graph)
    return app
