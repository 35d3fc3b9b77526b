"""The Google Calendar API v3 over HTTP: events insert / get / list / patch / update /
delete, sync tokens, watch channels, sendUpdates emails, and sandbox-only actions."""

from __future__ import annotations

import json
import secrets
import threading
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request

from addin.sandbox.calendar_core import (
    CalendarStore,
    Delivery,
    StoredItem,
    WebhookSender,
    record_attendee_mail,
)
from addin.sandbox.frame import authenticate, emulator_app, operation
from addin.sandbox.google.batch import register as register_batch
from addin.sandbox.google.guests import Guests, is_copy, view
from addin.sandbox.google.queries import (
    check_recurrence,
    in_zone,
    instances,
    matches_text,
    order_key,
    updated_since,
)
from addin.sandbox.google.recurring import (
    cancelled_view,
    expand,
    find_instance,
    is_cancelled,
    is_exception,
    mail_context,
    series_edit_for,
    split_instance_id,
)
from addin.sandbox.google.resources import (
    ID_PATTERN,
    GoogleApiError,
    check_event,
    in_window,
    invalid,
    keep_responses,
    merge_patch,
    parse_rfc3339,
    rfc3339,
)
from addin.sandbox.seed import SeedData
from addin.sandbox.state import SandboxState

PREFIX = "/calendar/v3"
VISIBLE = ("summary", "description", "location", "start", "end")
PAGE_DEFAULT, PAGE_MAX = 250, 2500


def error_body(status: int, message: str, code: str) -> dict[str, Any]:
    reason = {429: "rateLimitExceeded", 403: "rateLimitExceeded", 500: "backendError",
              503: "backendError"}.get(status, "backendError")
    return {"error": {"code": status, "message": message,
                      "errors": [{"domain": "global", "reason": reason, "message": message}]}}


def _json(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Response:
    if body is None:
        return Response(status=status, headers=headers)
    return Response(json.dumps(body), status=status, mimetype="application/json",
                    headers=headers)


class GoogleCalendar:
    def __init__(self, state: SandboxState, base_url: str, sender: WebhookSender):
        self.state = state
        self.base_url = base_url
        self.store = CalendarStore()
        self.sender = sender
        self.channels: dict[str, dict[str, Any]] = {}
        self.pages: dict[str, dict[str, Any]] = {}  # page token -> rows left, sequence
        self.lock = threading.RLock()
        self.guest_accounts: set[str] = set()  # the sandbox's Google calendars (guests')

    @property
    def guests(self) -> Guests:
        return Guests(self, self.guest_accounts)

    # -- helpers --------------------------------------------------------------------
    def owner(self, calendar_id: str) -> str:
        token = authenticate(self.state, "google")
        if token is None:
            raise GoogleApiError(401, "authError", "Request had invalid authentication "
                                 "credentials.")
        if calendar_id not in ("primary", token.subject) and calendar_id.lower() != \
                token.subject.lower():
            raise GoogleApiError(404, "notFound", "Not Found")
        return token.subject.lower()

    def shape(self, item: StoredItem) -> dict[str, Any]:
        if item.deleted:
            return {"kind": "calendar#event", "etag": self.etag(item), "id": item.id,
                    "status": "cancelled"}
        if is_exception(item.resource) and is_cancelled(item.resource):
            return cancelled_view({"kind": "calendar#event", "etag": self.etag(item),
                                   "id": item.id}, item.resource)
        return in_zone({**view(item, item.resource), "etag": self.etag(item),
                        "sequence": item.version - 1}, request.args.get("timeZone"))

    @staticmethod
    def etag(item: StoredItem) -> str:
        return f'"{3_000_000_000_000_000 + item.seq}"'

    def check_if_match(self, item: StoredItem) -> None:
        expected = request.headers.get("If-Match")
        if expected and expected not in ("*", self.etag(item)):
            raise GoogleApiError(412, "conditionNotMet", "Precondition Failed")

    def notify(self, owner: str) -> None:
        for channel in list(self.channels.values()):
            if channel["owner"] == owner and channel["expiration"] > time.time() * 1000:
                self.push(channel, "exists")

    def push(self, channel: dict[str, Any], state: str) -> None:
        channel["messages"] += 1
        self.sender.send(Delivery(channel["address"], b"", {
            "X-Goog-Channel-ID": channel["id"],
            "X-Goog-Channel-Token": channel.get("token") or "",
            "X-Goog-Channel-Expiration": time.strftime(
                "%a, %d %b %Y %H:%M:%S GMT", time.gmtime(channel["expiration"] / 1000)),
            "X-Goog-Resource-ID": channel["resourceId"],
            "X-Goog-Resource-URI": channel["resourceUri"],
            "X-Goog-Resource-State": state,
            "X-Goog-Message-Number": str(channel["messages"]),
        }))

    def mail(self, owner: str, before: dict[str, Any] | None, after: dict[str, Any] | None,
             send_updates: str) -> None:
        if send_updates not in ("all", "externalOnly"):
            return
        domain = owner.split("@")[-1]

        def wanted(email: str) -> bool:
            return send_updates == "all" or not email.lower().endswith("@" + domain)

        old = [a["email"] for a in (before or {}).get("attendees") or []]
        new = [a["email"] for a in (after or {}).get("attendees") or []]
        subject = (after or before or {}).get("summary", "")
        context = mail_context(after or before or {})
        if after is None:  # deleted: every guest gets a cancellation
            record_attendee_mail(self.state, sender="google", organizer=owner,
                                 subject=subject, before=old, after=[],
                                 recipient_filter=wanted, **context)
            return
        visible_change = before is not None and any(
            before.get(k) != after.get(k) for k in VISIBLE)
        guests_changed = {e.lower() for e in old} != {e.lower() for e in new}
        renotify = guests_changed and bool(
            self.state.setting("google.renotifyExistingGuestsOnGuestChange"))
        record_attendee_mail(self.state, sender="google", organizer=owner, subject=subject,
                             before=old, after=new, update_others=visible_change or renotify,
                             recipient_filter=wanted, **context)

    # -- events ---------------------------------------------------------------------
    def insert(self, calendar_id: str, body: Any) -> Response:
        owner = self.owner(calendar_id)
        if not isinstance(body, dict):
            raise invalid("Parse Error", "parseError")
        check_event(body)
        check_recurrence(body)
        event_id = body.get("id") or secrets.token_hex(13)
        if not ID_PATTERN.match(str(event_id)):
            raise invalid("Invalid resource id value.")
        with self.store.lock:
            if self.store.get(owner, event_id, include_deleted=True) is not None:
                raise GoogleApiError(409, "duplicate", "The requested identifier already "
                                     "exists.")
            now = rfc3339(datetime.now(UTC))
            resource = {
                **{k: v for k, v in body.items() if k not in (
                    "etag", "sequence", "kind", "recurringEventId", "originalStartTime")},
                "kind": "calendar#event", "id": event_id, "status": "confirmed",
                "htmlLink": f"https://www.google.com/calendar/event?eid={event_id}",
                "created": now, "updated": now,
                "creator": {"email": owner, "self": True},
                "organizer": {"email": owner, "self": True},
                "iCalUID": f"{event_id}@google.com",
                "attendees": keep_responses([], [
                    a for a in body.get("attendees") or []
                    if not a.get("organizer") and str(a.get("email", "")).lower() != owner]),
                "reminders": body.get("reminders") or {"useDefault": True},
                "eventType": "default",
            }
            if not resource["attendees"]:
                del resource["attendees"]
            item = self.store.put(owner, event_id, resource)
        self.mail(owner, None if not body.get("attendees") else {"attendees": []}, resource,
                  self.send_updates())
        self.notify(owner)
        self.spread(owner, item)
        return _json(200, self.shape(item))

    def spread(self, owner: str, item: StoredItem) -> None:
        with self.store.lock:
            touched = self.guests.fan_out(owner, item)
        for guest in touched:
            self.notify(guest)

    def send_updates(self) -> str:
        value = request.args.get("sendUpdates")
        if value is None:
            legacy = request.args.get("sendNotifications")
            value = "all" if legacy == "true" else "none"
        if value not in ("all", "externalOnly", "none"):
            raise invalid(f"Invalid value for: sendUpdates ({value})")
        return value

    def find(self, owner: str, event_id: str) -> StoredItem:
        """The stored event, or an instance of a recurring event not changed yet (not
        stored: writing to it makes an exception)."""
        item = self.store.get(owner, event_id, include_deleted=True)
        if item is None:
            parts = split_instance_id(event_id)
            master = self.store.get(owner, parts[0]) if parts else None
            instance = find_instance({**master.resource, "id": master.id}, event_id) \
                if master is not None else None
            if master is None or instance is None:
                raise GoogleApiError(404, "notFound", "Not Found")
            return StoredItem(event_id, master.owner, instance, version=master.version,
                              seq=master.seq)
        return item

    def reach_exceptions(self, owner: str, master: StoredItem, before: dict[str, Any]
                         ) -> list[StoredItem]:
        """A series edit reaches its exceptions' fields they did not override (the
        setting google.seriesEditReachesExceptions); an exception whose instance the new
        start or rules no longer make is deleted. None is emailed on its own: the series'
        email covers them."""
        if not master.resource.get("recurrence"):
            return []
        reached = []
        reshaped = any(before.get(k) != master.resource.get(k)
                       for k in ("start", "recurrence"))
        for exception in self.exceptions_of(owner, master.id):
            if reshaped and find_instance({**master.resource, "id": master.id},
                                          exception.id) is None:
                gone = self.store.delete(owner, exception.id)  # its instance is no more
                reached += [gone] if gone is not None else []
                continue
            if is_cancelled(exception.resource) or not self.state.setting(
                    "google.seriesEditReachesExceptions"):
                continue
            edited = series_edit_for(exception.resource, before, master.resource)
            if edited is not None:
                reached.append(self.store.put(owner, exception.id, edited))
        return reached

    def exceptions_of(self, owner: str, master_id: str) -> list[StoredItem]:
        return [i for i in self.store.mailbox(owner).values()
                if not i.deleted and i.resource.get("recurringEventId") == master_id]

    def get(self, calendar_id: str, event_id: str) -> Response:
        owner = self.owner(calendar_id)
        return _json(200, self.shape(self.find(owner, event_id)))

    def write(self, calendar_id: str, event_id: str, body: Any, replace: bool,
              send_updates: str | None = None) -> Response:
        owner = self.owner(calendar_id)
        if not isinstance(body, dict):
            raise invalid("Parse Error", "parseError")
        send_updates = send_updates or self.send_updates()
        with self.store.lock:
            item = self.find(owner, event_id)
            if item.deleted or is_cancelled(item.resource):
                raise GoogleApiError(404, "notFound", "Not Found")
            self.check_if_match(item)
            if is_exception(item.resource) and "recurrence" in body:
                raise invalid("Cannot set recurrence on an instance of a recurring event.")
            if is_copy(item):  # a guest answers (or sets their own reminders)
                copy = self.guests.guest_write(owner, item, body)
                self.notify(owner)
                return _json(200, self.shape(copy))
            before = item.resource
            fixed: dict[str, Any] = {k: before[k] for k in (
                "kind", "id", "status", "htmlLink", "created", "creator", "organizer",
                "iCalUID", "eventType", "recurringEventId", "originalStartTime")
                if k in before}
            patch = {k: v for k, v in body.items() if k not in fixed and k not in (
                "etag", "sequence", "updated")}
            merged = {**fixed, **patch} if replace else merge_patch(before, patch)
            merged.update(fixed)
            if "attendees" in patch:
                guests = [a for a in patch.get("attendees") or []
                          if not a.get("organizer") and str(a.get("email", "")).lower() != owner]
                merged["attendees"] = keep_responses(before.get("attendees") or [], guests)
                if not merged["attendees"]:
                    del merged["attendees"]
            check_event({k: v for k, v in merged.items()})
            check_recurrence(merged)
            merged["updated"] = rfc3339(datetime.now(UTC))
            item = self.store.put(owner, event_id, merged)
            reached = self.reach_exceptions(owner, item, before)
        self.mail(owner, before, merged, send_updates)
        for exception in reached:
            self.spread(owner, exception)
        self.notify(owner)
        self.spread(owner, item)
        return _json(200, self.shape(item))

    def delete(self, calendar_id: str, event_id: str) -> Response:
        owner = self.owner(calendar_id)
        send_updates = self.send_updates()
        with self.store.lock:
            item = self.find(owner, event_id)
            if item.deleted or is_cancelled(item.resource):
                raise GoogleApiError(410, "deleted", "Resource has been deleted")
            self.check_if_match(item)
            before = item.resource
            if is_copy(item):  # a guest removes it from their calendar only
                self.store.delete(owner, event_id)
                self.notify(owner)
                return _json(204)
            deleted: StoredItem | None
            if is_exception(before):  # one instance: kept as a cancelled instance
                deleted = self.store.put(owner, event_id, {
                    **before, "status": "cancelled", "updated": rfc3339(datetime.now(UTC))})
            else:
                deleted = self.store.delete(owner, event_id)
                for exception in self.exceptions_of(owner, event_id):
                    self.store.delete(owner, exception.id)
        self.mail(owner, before, None, send_updates)
        self.notify(owner)
        if deleted is not None:
            self.spread(owner, deleted)
        return _json(204)

    def list_events(self, calendar_id: str) -> Response:
        owner = self.owner(calendar_id)
        args = request.args
        page_token = args.get("pageToken")
        try:
            size = min(int(args.get("maxResults", PAGE_DEFAULT)), PAGE_MAX)
        except ValueError:
            raise invalid("Invalid value for: maxResults") from None
        if size < 1:
            raise invalid("Invalid value for: maxResults")
        if page_token:
            with self.lock:
                pending = self.pages.pop(page_token, None)
            if pending is None:
                raise invalid("Invalid page token.")
            return self.page(owner, pending["rows"], size, pending["seq"])
        seq = self.store.current_seq()  # the next sync token starts where paging starts
        sync_token = args.get("syncToken")
        if sync_token:
            clash = [p for p in ("timeMin", "timeMax", "privateExtendedProperty",
                                 "sharedExtendedProperty", "q", "updatedMin", "orderBy",
                                 "iCalUID") if p in args]
            if clash:
                raise invalid(f"Sync token cannot be used with {clash[0]}.")
            cursor = self.store.cursor(sync_token)
            if cursor is None or cursor.owner != owner:
                raise GoogleApiError(410, "fullSyncRequired", "Sync token is no longer valid, "
                                     "a full sync is required.")
            rows = self.expanded([i for i in self.store.changed_since(owner, cursor.seq)
                                  if i.seq < seq], args.get("singleEvents") == "true")
            return self.page(owner, rows, size, seq)
        time_min = parse_rfc3339(args["timeMin"], "timeMin") if "timeMin" in args else None
        time_max = parse_rfc3339(args["timeMax"], "timeMax") if "timeMax" in args else None
        filters = [f.split("=", 1) for f in args.getlist("privateExtendedProperty")]
        if any(len(f) != 2 for f in filters):
            raise invalid("Invalid value for: privateExtendedProperty")
        show_deleted = args.get("showDeleted") == "true"
        single = args.get("singleEvents") == "true"
        order = order_key(args.get("orderBy"), single)
        updated_min = parse_rfc3339(args["updatedMin"], "updatedMin") \
            if "updatedMin" in args else None
        rows = []
        changed = {i.id for i in self.store.mailbox(owner).values()
                   if is_exception(i.resource)}
        for item in sorted(self.store.mailbox(owner).values(), key=lambda i: i.seq):
            if item.deleted and not (show_deleted or updated_min is not None):
                continue
            if not item.deleted and is_cancelled(item.resource) and single and not (
                    show_deleted or updated_min is not None):
                continue  # a cancelled instance: listed unless expanding
            shaped = self.shape(item)
            if not updated_since(item.resource, updated_min):
                continue
            if not item.deleted:
                private = (item.resource.get("extendedProperties") or {}).get("private") or {}
                if any(private.get(k) != v for k, v in filters):
                    continue
                if args.get("q") and not matches_text(item.resource, args["q"]):
                    continue
                if single and item.resource.get("recurrence"):
                    rows += [in_zone(o, args.get("timeZone")) for o in instances(
                        shaped, time_min, time_max) if o["id"] not in changed]
                    continue
                if is_cancelled(item.resource):
                    if in_window(item.resource, time_min, time_max):
                        rows.append(shaped)
                    continue
                if not in_window(item.resource, time_min, time_max) and not (
                        item.resource.get("recurrence") and instances(
                            item.resource, time_min, time_max)):
                    continue
            rows.append(shaped)
        if order is not None:
            rows.sort(key=order)
        return self.page(owner, rows, size, seq)

    def expanded(self, items: list[StoredItem], single: bool) -> list[dict[str, Any]]:
        """Changed events as a sync reports them; with ``singleEvents`` a changed series
        comes as its instances (those not changed on their own)."""
        rows: list[dict[str, Any]] = []
        for item in items:
            shaped = self.shape(item)
            if single and not item.deleted and item.resource.get("recurrence"):
                taken = {e.id for e in self.exceptions_of(item.owner, item.id)}
                rows += [in_zone(o, request.args.get("timeZone")) for o in instances(
                    shaped, None, None) if o["id"] not in taken]
            else:
                rows.append(shaped)
        return rows

    def instances(self, calendar_id: str, event_id: str) -> Response:
        """events.instances: a recurring event's occurrences (a single event: itself)."""
        owner = self.owner(calendar_id)
        item = self.find(owner, event_id)
        if item.deleted:
            raise GoogleApiError(410, "deleted", "Resource has been deleted")
        args = request.args
        time_min = parse_rfc3339(args["timeMin"], "timeMin") if "timeMin" in args else None
        time_max = parse_rfc3339(args["timeMax"], "timeMax") if "timeMax" in args else None
        exceptions = [{**self.shape(e), "start": e.resource["start"],
                       "end": e.resource["end"]} if is_cancelled(e.resource) else self.shape(e)
                      for e in self.exceptions_of(owner, item.id)]
        rows = [in_zone(o, args.get("timeZone")) for o in expand(
            self.shape(item), exceptions, time_min, time_max,
            args.get("showDeleted") == "true")]
        rows = [{k: v for k, v in r.items() if k not in ("start", "end")}
                if r.get("status") == "cancelled" else r for r in rows]
        if "originalStart" in args:
            wanted = parse_rfc3339(args["originalStart"], "originalStart")
            rows = [r for r in rows if r.get("originalStartTime", {}).get("dateTime") and
                    parse_rfc3339(r["originalStartTime"]["dateTime"], "originalStart")
                    == wanted]
        try:
            size = min(int(args.get("maxResults", PAGE_DEFAULT)), PAGE_MAX)
        except ValueError:
            raise invalid("Invalid value for: maxResults") from None
        if size < 1:
            raise invalid("Invalid value for: maxResults")
        return self.page(owner, rows, size, self.store.current_seq())

    def page(self, owner: str, rows: list[dict[str, Any]], size: int, seq: int) -> Response:
        body: dict[str, Any] = {"kind": "calendar#events", "etag": f'"{time.time_ns()}"',
                                "summary": owner, "updated": rfc3339(datetime.now(UTC)),
                                "timeZone": "UTC", "accessRole": "owner",
                                "defaultReminders": [{"method": "popup", "minutes": 10}],
                                "items": rows[:size]}
        if len(rows) > size:
            token = secrets.token_urlsafe(12)
            with self.lock:
                self.pages[token] = {"rows": rows[size:], "seq": seq}
            body["nextPageToken"] = token
        else:
            body["nextSyncToken"] = self.store.open_cursor(owner, seq=seq)
        return _json(200, body)

    # -- push -------------------------------------------------------------------------
    def watch(self, calendar_id: str, body: Any) -> Response:
        owner = self.owner(calendar_id)
        if not isinstance(body, dict) or not body.get("id") or not body.get("address"):
            raise invalid("Missing channel id or address.", "required")
        if body.get("type") not in ("web_hook", "webhook"):
            raise invalid("Invalid value for: type", "channelTypeNotSupported")
        address = str(body["address"])
        if not address.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise invalid("WebHook callback must be HTTPS: " + address, "push.webhookUrlNotHttps")
        expiration = int(body.get("expiration") or (time.time() + 7 * 86400) * 1000)
        channel_id = str(body["id"])
        channel: dict[str, Any] = {"id": channel_id, "resourceId": secrets.token_urlsafe(12),
                   "resourceUri": f"{self.base_url}{PREFIX}/calendars/{owner}/events",
                   "token": body.get("token"), "address": address, "expiration": expiration,
                   "owner": owner, "messages": 0}
        with self.lock:
            self.channels[channel_id] = channel
        self.push(channel, "sync")
        return _json(200, {"kind": "api#channel", "id": channel["id"],
                           "resourceId": channel["resourceId"],
                           "resourceUri": channel["resourceUri"],
                           "token": channel["token"], "expiration": str(expiration)})

    def stop(self, body: Any) -> Response:
        if not isinstance(body, dict):
            raise invalid("Parse Error", "parseError")
        with self.lock:
            channel = self.channels.get(str(body.get("id")))
            if channel is None or channel["resourceId"] != body.get("resourceId"):
                raise GoogleApiError(404, "notFound", "Channel not found")
            del self.channels[str(channel["id"])]
        return _json(204)


def create_app(state: SandboxState, seed: SeedData, base_url: str) -> Flask:
    app = emulator_app("google", state, error_body, exempt_paths=("/sandbox-ui",))
    api = state.keep("google", GoogleCalendar(state, base_url,
                                                  WebhookSender(verify=state.callback_trust)))
    api.guest_accounts = {u.email.lower() for u in seed.users if u.provider == "google"}
    app.extensions["google_calendar"] = api

    @app.errorhandler(GoogleApiError)
    def _error(exc: GoogleApiError) -> Response:
        return _json(exc.code, exc.body)

    def body() -> Any:
        if not request.data:
            return {}
        try:
            return json.loads(request.data)
        except ValueError:
            raise invalid("Parse Error", "parseError") from None

    register_batch(app)

    @app.route(f"{PREFIX}/calendars/<calendar_id>/events", methods=["GET", "POST"])
    def events(calendar_id: str) -> Response:
        if request.method == "POST":
            operation("events.insert")
            return api.insert(calendar_id, body())
        operation("events.list")
        return api.list_events(calendar_id)

    @app.get(f"{PREFIX}/calendars/<calendar_id>/events/<event_id>/instances")
    def event_instances(calendar_id: str, event_id: str) -> Response:
        operation("events.instances")
        return api.instances(calendar_id, event_id)

    @app.post(f"{PREFIX}/calendars/<calendar_id>/events/watch")
    def watch(calendar_id: str) -> Response:
        operation("events.watch")
        return api.watch(calendar_id, body())

    @app.route(f"{PREFIX}/calendars/<calendar_id>/events/<event_id>",
               methods=["GET", "PATCH", "PUT", "DELETE"])
    def event(calendar_id: str, event_id: str) -> Response:
        operation({"GET": "events.get", "PATCH": "events.patch", "PUT": "events.update",
                   "DELETE": "events.delete"}[request.method])
        if request.method == "GET":
            return api.get(calendar_id, event_id)
        if request.method == "DELETE":
            return api.delete(calendar_id, event_id)
        return api.write(calendar_id, event_id, body(), replace=request.method == "PUT")

    @app.post(f"{PREFIX}/channels/stop")
    def stop() -> Response:
        operation("channels.stop")
        return api.stop(body())

    # -- sandbox-only: what people do in Google Calendar itself ------------------------
    def act_as(email: str) -> None:
        g.sandbox_owner = email.lower()
        request.environ["HTTP_AUTHORIZATION"] = "Bearer " + state.tokens.issue("google", email)

    @app.post("/sandbox-ui/calendars/<email>/events/<event_id>/respond")
    def respond(email: str, event_id: str) -> Response:
        answer = body()
        with api.store.lock:
            item = api.find(email.lower(), event_id)
            attendees = [dict(a) for a in item.resource.get("attendees") or []]
            hit = [a for a in attendees if a["email"].lower() ==
                   str(answer.get("email", "")).lower()]
            if not hit or answer.get("responseStatus") not in ("accepted", "declined",
                                                                "tentative", "needsAction"):
                raise invalid("email of a guest and a valid responseStatus are required")
            hit[0]["responseStatus"] = answer["responseStatus"]
            updated = api.store.put(email.lower(), event_id,
                                    {**item.resource, "attendees": attendees,
                                     "updated": rfc3339(datetime.now(UTC))})
        api.notify(email.lower())
        return _json(200, api.shape(updated))

    @app.post("/sandbox-ui/calendars/<email>/events/<event_id>/edit")
    def edit(email: str, event_id: str) -> Response:
        """The organizer edits the event in the Google Calendar web UI and chooses to
        notify guests (the UI's "Send" = sendUpdates=all)."""
        act_as(email)
        return api.write(email.lower(), event_id, body(), replace=False, send_updates="all")

    @app.post("/sandbox-ui/calendars/<email>/expire-sync-tokens")
    def expire(email: str) -> Response:
        return _json(200, {"expired": api.store.expire_cursors(email)})

    return app
