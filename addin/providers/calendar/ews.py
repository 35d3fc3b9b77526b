"""Exchange Server calendars over EWS, through exchangelib (no autodiscover: the server's
EWS URL and the user's credentials come from the connect flow or the sandbox).

EWS can be silent: every write says whom Exchange emails (SendToNone, the Changed modes
that reach only the added and removed attendees, or everyone). Creates are retry-safe
through an extended property holding the request key (and the Salesforce Event id, by
which items are found again). Incremental changes come from SyncFolderItems; push from a
push subscription whose notifications (SendNotification) reach ``/webhooks/ews``.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, TypedDict, TypeVar, Unpack
from urllib.parse import urlencode, urlsplit

from exchangelib import (
    BASIC,
    DELEGATE,
    OAUTH2,
    Account,
    Body,
    Build,
    Configuration,
    Credentials,
    EWSDate,
    EWSDateTime,
    EWSTimeZone,
    Mailbox,
    OAuth2AuthorizationCodeCredentials,
    Version,
)
from exchangelib import (
    Attendee as EwsAttendee,
)
from exchangelib import (
    CalendarItem as EwsItem,
)
from exchangelib import errors as ews_errors
from exchangelib.extended_properties import ExtendedProperty
from exchangelib.fields import FieldPath
from exchangelib.folders.collections import FolderCollection, SyncCompleted
from exchangelib.protocol import BaseProtocol, FailFast
from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter

from addin.domain import Attendee, CalendarItem, ItemDraft
from addin.providers.calendar.provider import (
    BatchResult,
    CalendarAuthError,
    CalendarCapabilities,
    CalendarError,
    CalendarRateLimited,
    CalendarUnavailable,
    ChangePage,
    EtagMismatch,
    ItemNotFound,
    ItemWrite,
    NotifyMode,
    PushSubscription,
)
from addin.providers.calendar.timezones import to_iana
from addin.sync.recurrence.exchangelib_models import exchangelib_to_rrule, rrule_to_exchangelib

PROPERTY_SET = "5c1f7a3e-8d2b-4a55-9e8e-7f0a3b1d2c4e"  # the same set as on Graph
SHOW_AS_TO_EWS = {"busy": "Busy", "free": "Free", "tentative": "Tentative",
                  "outOfOffice": "OOF"}
SHOW_AS_FROM_EWS = {"Busy": "busy", "Free": "free", "Tentative": "tentative",
                    "OOF": "outOfOffice", "WorkingElsewhere": "busy", "NoData": "busy"}
RESPONSES = {"Accept": "accepted", "Decline": "declined", "Tentative": "tentative"}
# The oldest server the provider speaks to: Exchange 2013 (newer servers accept it).
SERVER_BUILD = Build(15, 0, 847, 32)
SYNC_PAGE = 200
# What the provider reads of an item (exchangelib asks for every field otherwise).
SYNTHETIC_BUSY = ("Reraised from", "Caused by closed connection")
READ_FIELDS = ("subject", "body", "start", "end", "is_all_day", "location",
               "legacy_free_busy_status", "sensitivity", "reminder_is_set",
               "reminder_minutes_before_start", "required_attendees", "optional_attendees",
               "organizer", "my_response_type", "uid", "_start_timezone", "_end_timezone",
               "addin_salesforce_event_id", "recurrence")
T = TypeVar("T")


class SalesforceEventId(ExtendedProperty):
    property_set_id = PROPERTY_SET
    property_name = "SalesforceEventId"
    property_type = "String"


class CreateRequestKey(ExtendedProperty):
    property_set_id = PROPERTY_SET
    property_name = "AddinCreateRequestKey"
    property_type = "String"


for _name, _cls in (("addin_salesforce_event_id", SalesforceEventId),
                    ("addin_request_key", CreateRequestKey)):
    if _name not in {f.name for f in EwsItem.FIELDS}:
        EwsItem.register(_name, _cls)


class _TrustedServers(HTTPAdapter):
    """exchangelib's HTTP adapter (its hook, ``BaseProtocol.HTTP_ADAPTER_CLS``) verifying
    each EWS origin against the CA bundle configured for it (the sandbox CA), and the
    system CAs elsewhere."""

    bundles: dict[str, str] = {}
    lock = threading.Lock()

    def send(self, request: PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: bool | str = True, cert: Any = None, proxies: Any = None) -> Response:
        parts = urlsplit(str(request.url))
        bundle = self.bundles.get(f"{parts.scheme}://{parts.netloc}")
        return super().send(request, stream=stream, timeout=timeout,
                            verify=bundle or verify, cert=cert, proxies=proxies)


_ACCOUNTS: OrderedDict[tuple[str, ...], Account] = OrderedDict()
_ACCOUNTS_LOCK = threading.Lock()
KEPT_ACCOUNTS = 256


def _account(endpoint: str, mailbox: str, username: str, password: str, bearer: bool
             ) -> Account:
    """One exchangelib Account per mailbox and credentials, kept (least recently used
    first out): it remembers the calendar folder, so each request does not look it up."""
    key = (endpoint, mailbox.lower(), username, hashlib.sha256(password.encode()).hexdigest(),
           str(bearer))
    with _ACCOUNTS_LOCK:
        found = _ACCOUNTS.get(key)
        if found is not None:
            _ACCOUNTS.move_to_end(key)
            return found
    credentials: Any = (OAuth2AuthorizationCodeCredentials(access_token={
        "access_token": password, "token_type": "Bearer"}) if bearer
        else Credentials(username, password))
    config = Configuration(service_endpoint=endpoint, credentials=credentials,
                           auth_type=OAUTH2 if bearer else BASIC,
                           version=Version(build=SERVER_BUILD), retry_policy=FailFast())
    account = Account(mailbox, config=config, autodiscover=False, access_type=DELEGATE,
                      default_timezone=EWSTimeZone("UTC"))
    with _ACCOUNTS_LOCK:
        account = _ACCOUNTS.setdefault(key, account)
        while len(_ACCOUNTS) > KEPT_ACCOUNTS:
            _ACCOUNTS.popitem(last=False)
    return account


def trust(endpoint: str, ca_bundle: str | bool | None) -> None:
    if isinstance(ca_bundle, str) and ca_bundle:
        parts = urlsplit(endpoint)
        with _TrustedServers.lock:
            _TrustedServers.bundles[f"{parts.scheme}://{parts.netloc}"] = ca_bundle
    if not issubclass(BaseProtocol.HTTP_ADAPTER_CLS, _TrustedServers):
        BaseProtocol.HTTP_ADAPTER_CLS = _TrustedServers


class EwsOptions(TypedDict, total=False):
    """How to reach a mailbox: the server's CA bundle (or False: not verified), a bearer
    token instead of a password, the mailbox's time zone ("UTC"), how many times a busy
    server is asked again (3), the longest back-off it may ask for (30.0 seconds)."""

    ca_bundle: str | bool | None
    bearer: bool
    time_zone: str
    retries: int
    max_back_off_seconds: float


class EwsCalendar:
    name = "ews"
    capabilities = CalendarCapabilities(
        silent_attendee_update=True, idempotent_create=True, incremental_changes=True,
        push_notifications=True, field_update_notifies_attendees=False)

    def __init__(self, endpoint: str, mailbox: str, username: str, password: str,
                 **options: Unpack[EwsOptions]):
        trust(endpoint, options.get("ca_bundle"))
        self.endpoint = endpoint
        self.mailbox = mailbox
        self.time_zone = options.get("time_zone", "UTC")
        self.retries = options.get("retries", 3)
        self.max_back_off = options.get("max_back_off_seconds", 30.0)
        self.account = _account(endpoint, mailbox, username, password,
                                options.get("bearer", False))

    def _retry(self, action: Callable[[], T]) -> T:
        """ErrorServerBusy is retried after the back-off the server asks for (when it is
        not too long), like a 429's Retry-After on the HTTP calendars; other failures go
        to the caller at once (the outbox retries them later)."""
        for attempt in range(self.retries + 1):
            try:
                return action()
            except CalendarRateLimited as exc:
                wait = exc.retry_after if exc.retry_after is not None else 1.0
                if attempt == self.retries or wait > self.max_back_off:
                    raise
                time.sleep(wait)
        raise AssertionError("unreachable")

    @property
    def _read_fields(self) -> list[Any]:
        return [FieldPath(field=EwsItem.get_field_by_fieldname(name)) for name in READ_FIELDS]

    @property
    def calendar(self) -> Any:
        return _call(lambda: self.account.calendar)

    # -- items --------------------------------------------------------------------------
    def create_item(self, draft: ItemDraft, *, idempotency_key: str) -> CalendarItem:
        return self._retry(lambda: self._create(draft, idempotency_key))

    def _create(self, draft: ItemDraft, idempotency_key: str) -> CalendarItem:
        key = str(uuid.uuid5(uuid.NAMESPACE_URL, idempotency_key))
        found = self._find(addin_request_key=key)
        if found is not None:
            return found
        item = EwsItem(account=self.account, folder=self.calendar, addin_request_key=key,
                       **self._fields(draft))
        _call(lambda: item.save(send_meeting_invitations="SendToNone"))
        return self.get_item(item.id)

    def get_item(self, item_id: str) -> CalendarItem:
        items = self._retry(lambda: _call(lambda: list(self.account.fetch(
            ids=[(item_id, None)], only_fields=self._read_fields))))
        return self._item(_raise(items[0]))

    def link_item(self, item_id: str, salesforce_event_id: str) -> CalendarItem:
        item = EwsItem(account=self.account, id=item_id, changekey=None,
                       addin_salesforce_event_id=salesforce_event_id)
        self._update(item, ["addin_salesforce_event_id"], "SendToNone", strict=False)
        return self.get_item(item_id)

    def update_fields(self, item_id: str, draft: ItemDraft, *, etag: str | None = None,
                      notify_attendees: bool = False) -> CalendarItem:
        fields = self._fields(draft)
        item = EwsItem(account=self.account, id=item_id, changekey=etag, **fields)
        names = [n for n in fields if n != "addin_salesforce_event_id"
                 or draft.salesforce_event_id]
        self._update(item, names, "SendToAllAndSaveCopy" if notify_attendees
                     else "SendToNone", strict=etag is not None)
        return self.get_item(item_id)

    def rename_item(self, item_id: str, subject: str, location: str, *,
                    etag: str | None = None, notify_attendees: bool = False) -> CalendarItem:
        item = EwsItem(account=self.account, id=item_id, changekey=etag, subject=subject,
                       location=location)
        self._update(item, ["subject", "location"], "SendToAllAndSaveCopy"
                     if notify_attendees else "SendToNone", strict=etag is not None)
        return self.get_item(item_id)

    def replace_attendees(self, item_id: str, attendees: list[Attendee], *,
                          notify: NotifyMode, etag: str | None = None) -> CalendarItem:
        item = EwsItem(account=self.account, id=item_id, changekey=etag,
                       required_attendees=[_attendee(a) for a in attendees if not a.optional]
                       or None,
                       optional_attendees=[_attendee(a) for a in attendees if a.optional]
                       or None)
        mode = "SendToChangedAndSaveCopy" if notify is NotifyMode.CHANGED else "SendToNone"
        self._update(item, ["required_attendees", "optional_attendees"], mode,
                     strict=etag is not None)
        return self.get_item(item_id)

    # -- several items in one operation (GetItem / UpdateItem take many Items) ----------
    def get_items(self, item_ids: list[str]) -> BatchResult:
        """ONE GetItem for every id (exchangelib pages it only past its chunk size)."""
        ids = list(dict.fromkeys(item_ids))
        if not ids:
            return {}
        found = self._retry(lambda: _call(lambda: list(self.account.fetch(
            ids=[(i, None) for i in ids], only_fields=self._read_fields))))
        return {i: (_translate(raw) if isinstance(raw, Exception) else self._item(raw))
                for i, raw in zip(ids, found, strict=True)}

    def write_items(self, chains: list[list[ItemWrite]]) -> BatchResult:
        """Round by round (an item's writes in order): each round's writes with the same
        send mode in ONE UpdateItem, then ONE GetItem reads the written items back."""
        results: BatchResult = {}
        pending = [list(chain) for chain in chains if chain]
        while pending:
            groups: dict[tuple[str, bool], list[tuple[Any, list[str]]]] = {}
            for chain in pending:
                write = chain.pop(0)
                fields, names, mode = self._write_of(write)
                item = EwsItem(account=self.account, id=write.item_id, changekey=write.etag,
                               **fields)
                groups.setdefault((mode, write.etag is not None), []).append((item, names))
            written: list[str] = []
            for (mode, strict), items in groups.items():
                written += self._write_group(items, mode, strict, results)
            results.update(self.get_items(written))
            pending = [chain for chain in pending if chain
                       and isinstance(results.get(chain[0].item_id), CalendarItem)]
        return results

    def _write_of(self, write: ItemWrite) -> tuple[dict[str, Any], list[str], str]:
        """An item write as exchangelib's fields, the names of those it sets, and its
        send mode."""
        if write.draft is not None:
            fields = self._fields(write.draft)
            names = [n for n in fields if n != "addin_salesforce_event_id"
                     or write.draft.salesforce_event_id]
            return fields, names, ("SendToAllAndSaveCopy" if write.notify_attendees
                                   else "SendToNone")
        people = write.attendees or []
        fields = {"required_attendees": [_attendee(a) for a in people
                                         if not a.optional] or None,
                  "optional_attendees": [_attendee(a) for a in people if a.optional] or None}
        return fields, list(fields), ("SendToChangedAndSaveCopy"
                                      if write.notify is NotifyMode.CHANGED else "SendToNone")

    def _write_group(self, items: list[tuple[Any, list[str]]], mode: str, strict: bool,
                     results: BatchResult) -> list[str]:
        """ONE UpdateItem for a round's writes of one send mode; the ids written (the
        failures go into ``results``)."""
        try:
            outcome: list[Any] = self._bulk_update(items, mode, strict)
        except CalendarError as exc:  # exchangelib raises a lone item's error
            outcome = [exc] * len(items)
        written: list[str] = []
        for (item, _), result in zip(items, outcome, strict=True):
            if isinstance(result, CalendarError):
                results[item.id] = result
            elif isinstance(result, Exception):
                results[item.id] = _translate(result)
            else:
                written.append(item.id)
        return written

    def _bulk_update(self, items: list[tuple[Any, list[str]]], mode: str, strict: bool
                     ) -> list[Any]:
        """ONE UpdateItem for every item (each with the fields it sets)."""
        def run() -> list[Any]:
            return list(self.account.bulk_update(
                items, conflict_resolution="NeverOverwrite" if strict else "AutoResolve",
                send_meeting_invitations_or_cancellations=mode))
        return self._retry(lambda: _call(run))

    def _update(self, item: Any, names: list[str], mode: str, *, strict: bool) -> None:
        results = self._retry(lambda: _call(lambda: self.account.bulk_update(
            [(item, names)], conflict_resolution="NeverOverwrite" if strict
            else "AutoResolve", send_meeting_invitations_or_cancellations=mode)))
        _raise(results[0])

    def delete_item(self, item_id: str, *, notify: NotifyMode) -> None:
        """CHANGED: every attendee gets a cancellation; SILENT: nobody."""
        mode = "SendToAllAndSaveCopy" if notify is NotifyMode.CHANGED else "SendToNone"
        results = self._retry(lambda: _call(lambda: self.account.bulk_delete(
            [(item_id, None)], send_meeting_cancellations=mode)))
        _raise(results[0])

    def find_by_salesforce_event(self, salesforce_event_id: str) -> CalendarItem | None:
        return self._find(addin_salesforce_event_id=salesforce_event_id)

    def _find(self, **where: str) -> CalendarItem | None:
        found = self._retry(lambda: _call(lambda: list(
            self.calendar.filter(**where).only(*READ_FIELDS)[:1])))
        return self._item(found[0]) if found else None

    def list_instances(self, item_id: str, window_start: datetime, window_end: datetime
                       ) -> list[CalendarItem]:
        """A CalendarView of the window (Exchange expands the series there), keeping the
        occurrences and exceptions of this series (its UID)."""
        master = self.get_item(item_id)
        uid = master.raw.get("uid")
        start, end = (EWSDateTime.from_datetime(m.astimezone(UTC)).astimezone(
            EWSTimeZone("UTC")) for m in (window_start, window_end))
        found = self._retry(lambda: _call(lambda: list(
            self.calendar.view(start=start, end=end).only(*READ_FIELDS, "type",
                                                             "original_start"))))
        return [self._item(raw, series_id=item_id) for raw in found
                if raw.uid == uid and getattr(raw, "type", None) in ("Occurrence",
                                                                      "Exception")]

    # -- changes and push ---------------------------------------------------------------
    def list_changes(self, cursor: str | None) -> ChangePage:
        full = cursor is None
        try:
            changed, removed, state = self._sync(cursor)
        except ItemNotFound:
            raise
        except CalendarError as exc:
            if full or not isinstance(exc.__cause__, ews_errors.ErrorInvalidSyncStateData):
                raise
            full = True
            changed, removed, state = self._sync(None)
        return ChangePage(changed, removed, state, full)

    def _sync(self, cursor: str | None) -> tuple[list[CalendarItem], list[str], str]:
        folder = self.calendar
        changed: dict[str, CalendarItem] = {}
        removed: list[str] = []

        def run() -> str:
            # the folder collection, not the (shared) folder object, so that the state is
            # not kept on an object other requests use too
            changes = FolderCollection(account=self.account, folders=[folder]).sync_items(
                sync_state=cursor, max_changes_returned=SYNC_PAGE,
                only_fields=self._read_fields)
            try:
                for kind, value in changes:
                    if kind in ("create", "update"):
                        changed[value.id] = self._item(value)
                    elif kind == "delete":
                        changed.pop(value.id, None)
                        removed.append(value.id)
            except SyncCompleted as done:
                return str(done.sync_state)
            raise CalendarError("SyncFolderItems ended without a sync state")

        state = self._retry(lambda: _call(run))
        return list(changed.values()), removed, state

    def subscribe(self, notification_url: str, client_state: str,
                  expires_at: datetime) -> PushSubscription:
        """A push subscription; the secret travels in the callback URL (EWS has no client
        state), and the subscription lives as long as its notifications are answered."""
        separator = "&" if "?" in notification_url else "?"
        url = f"{notification_url}{separator}{urlencode({'clientState': client_state})}"
        subscription_id, _watermark = _call(lambda: self.calendar.subscribe_to_push(
            url, event_types=("CreatedEvent", "ModifiedEvent", "DeletedEvent")))
        return PushSubscription(id=subscription_id, resource=self.mailbox,
                                notification_url=notification_url, client_state=client_state,
                                expires_at=expires_at)

    def renew(self, subscription: PushSubscription, expires_at: datetime) -> PushSubscription:
        """A push subscription does not expire while its notifications are answered: only
        the product's own deadline moves."""
        subscription.expires_at = expires_at
        return subscription

    def unsubscribe(self, subscription: PushSubscription) -> None:
        """EWS ends a push subscription when its next notification is answered with
        Unsubscribe: /webhooks/ews does that for subscriptions the product no longer
        holds. Nothing to send now."""

    # -- mapping ------------------------------------------------------------------------
    def _fields(self, draft: ItemDraft) -> dict[str, Any]:
        tz = EWSTimeZone(to_iana(draft.time_zone))
        if any(_ambiguous(moment, tz) for moment in (draft.start, draft.end)):
            tz = EWSTimeZone("UTC")  # the user's zone names two instants here: send UTC
        fields: dict[str, Any] = {
            "subject": draft.subject, "body": Body(draft.body),
            "start": _when(draft.start, tz, draft.is_all_day),
            "end": _when(draft.end, tz, draft.is_all_day),
            "is_all_day": draft.is_all_day, "location": draft.location,
            "legacy_free_busy_status": SHOW_AS_TO_EWS.get(draft.show_as, "Busy"),
            "sensitivity": "Private" if draft.is_private else "Normal",
            "reminder_is_set": draft.reminder_minutes is not None,
            "reminder_minutes_before_start": draft.reminder_minutes or 0,
        }
        if draft.salesforce_event_id:
            fields["addin_salesforce_event_id"] = draft.salesforce_event_id
        if draft.recurrence and isinstance(draft.start, datetime | date):
            start = draft.start if isinstance(draft.start, datetime) else datetime.combine(
                draft.start, datetime.min.time(), tzinfo=tz)
            fields["recurrence"] = rrule_to_exchangelib(draft.recurrence, start, str(tz.key),
                                                        all_day=draft.is_all_day)
        return fields

    def _item(self, raw: Any, series_id: str | None = None) -> CalendarItem:
        all_day = bool(raw.is_all_day)
        start, end = raw.start, raw.end
        if all_day:
            start, end = _day(start, raw), _day(end, raw)
        else:
            start, end = _aware(start), _aware(end)
        people = [(a, False) for a in raw.required_attendees or []] + [
            (a, True) for a in raw.optional_attendees or []]
        organizer = raw.organizer.email_address if raw.organizer else self.mailbox
        return CalendarItem(
            item_id=raw.id, etag=raw.changekey, subject=raw.subject or "", start=start,
            end=end, is_all_day=all_day, location=raw.location or "",
            body=str(raw.body or ""),
            show_as=SHOW_AS_FROM_EWS.get(raw.legacy_free_busy_status or "Busy", "busy"),
            is_private=raw.sensitivity in ("Private", "Confidential"),
            reminder_minutes=raw.reminder_minutes_before_start if raw.reminder_is_set
            else None,
            attendees=[Attendee(email=a.mailbox.email_address, name=a.mailbox.name or "",
                                optional=optional,
                                response=RESPONSES.get(a.response_type or "", "none"))
                       for a, optional in people],
            organizer_email=organizer, salesforce_event_id=raw.addin_salesforce_event_id,
            web_link=None, is_organizer=(raw.my_response_type in (None, "Organizer")),
            series_id=series_id,
            recurrence=exchangelib_to_rrule(raw.recurrence, str(getattr(
                raw._start_timezone, "key", None) or self.time_zone), all_day=all_day)
            if getattr(raw, "recurrence", None) else None,
            original_start=_aware(raw.original_start)
            if getattr(raw, "original_start", None) else None,
            raw={"id": raw.id, "changekey": raw.changekey, "uid": raw.uid})


def _attendee(person: Attendee) -> EwsAttendee:
    return EwsAttendee(mailbox=Mailbox(email_address=person.email,
                                       name=person.name or person.email),
                       response_type="Unknown")


def _when(value: datetime | date, tz: EWSTimeZone, all_day: bool) -> Any:
    if all_day or not isinstance(value, datetime):
        day = value.date() if isinstance(value, datetime) else value
        return EWSDate(day.year, day.month, day.day)
    local = value.astimezone(tz)
    # fold tells the two 02:30s of the night clocks go back apart: without it both the
    # start and the end of a meeting ending in the repeated hour are the first 02:30
    return EWSDateTime(local.year, local.month, local.day, local.hour, local.minute,
                       local.second, local.microsecond, tzinfo=tz, fold=local.fold)


def _ambiguous(value: datetime | date, tz: EWSTimeZone) -> bool:
    """The wall time of ``value`` in ``tz`` happens twice (clocks going back): Exchange
    would be free to read it as either instant."""
    if not isinstance(value, datetime):
        return False
    local = value.astimezone(tz)
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def _aware(value: Any) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=EWSTimeZone("UTC"))
    return datetime.fromtimestamp(value.timestamp(), tz=UTC)


def _day(value: Any, raw: Any) -> date:
    if isinstance(value, datetime):
        zone = getattr(raw, "_start_timezone", None) or EWSTimeZone("UTC")
        value = value.astimezone(zone)
        return date(value.year, value.month, value.day)
    return date(value.year, value.month, value.day)


def _raise(result: T) -> T:
    if isinstance(result, Exception):
        raise _translate(result) from result
    return result


def _call(action: Callable[[], T]) -> T:
    try:
        return action()
    except (ews_errors.EWSError, ews_errors.TransportError) as exc:
        raise _translate(exc) from exc


def _translate(exc: Exception) -> CalendarError:
    message = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, (ews_errors.ErrorItemNotFound, ews_errors.ErrorInvalidIdMalformed)):
        return ItemNotFound(message, status=404, body=message)
    if isinstance(exc, ews_errors.ErrorIrresolvableConflict):
        return EtagMismatch(message, status=412, body=message)
    if isinstance(exc, ews_errors.ErrorServerBusy) and str(exc).startswith(
            SYNTHETIC_BUSY):
        # exchangelib's own name for a dropped connection or a transient server error,
        # not the server asking to back off
        return CalendarUnavailable(message, status=503, body=message)
    if isinstance(exc, ews_errors.ErrorServerBusy):
        return CalendarRateLimited(message, status=503, body=message,
                                   retry_after=exc.back_off)
    if isinstance(exc, (ews_errors.UnauthorizedError, ews_errors.ErrorAccessDenied)):
        return CalendarAuthError(message, status=401, body=message)
    transport = isinstance(exc, ews_errors.TransportError) and not isinstance(
        exc, ews_errors.ResponseMessageError)
    if transport or isinstance(exc, (ews_errors.ErrorInternalServerError,
                                     ews_errors.ErrorInternalServerTransientError,
                                     ews_errors.ErrorTimeoutExpired)):
        return CalendarUnavailable(message, status=503, body=message)
    return CalendarError(message, body=message)
