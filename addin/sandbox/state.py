"""State shared by all emulators of one sandbox: the mail log, request statistics, faults
to inject, issued access tokens and behaviour settings."""

from __future__ import annotations

import itertools
import secrets
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MAIL_KINDS = ("invitation", "update", "cancellation", "response")

# Behaviours the vendors' docs leave open; tests and people can flip them at run time.
DEFAULT_SETTINGS: dict[str, Any] = {
    # Google: when only the guest list changes with sendUpdates=all, are existing guests
    # re-notified? Google's docs do not say (docs/upstream-facts.md).
    "google.renotifyExistingGuestsOnGuestChange": False,
    # Google: an edit of a recurring event also reaches its exceptions (instances changed
    # on their own) in the fields they did not override. Undocumented; False leaves
    # exceptions exactly as they were written.
    "google.seriesEditReachesExceptions": True,
    # Salesforce daily API request limit.
    "salesforce.dailyApiLimit": 15000,
    # Change Data Capture (salesforce/change_events.py): GAP_* events instead of full ones;
    # one GAP_OVERFLOW per entity for a transaction over this many records (Salesforce:
    # 100,000); events kept for replay (Salesforce keeps 72 hours' worth).
    "salesforce.changeEvents.gap": False,
    "salesforce.changeEvents.overflowAt": 100000,
    "salesforce.changeEvents.retention": 10000,
    # Pub/Sub API: seconds between keep-alive responses on an idle Subscribe (Salesforce:
    # within 270 s).
    "salesforce.pubsub.keepAliveSeconds": 270,
    # Salesforce: multi-day events enabled (duration up to 14 days instead of 24 hours).
    "salesforce.multiDayEvents": False,
    # Salesforce Classic: deleting an Event with invitees in the UI emails each invitee a
    # cancellation (as adding/removing invitees there does). Not confirmed by Salesforce's
    # documentation; Lightning never emails.
    "salesforce.classicDeleteNotifiesInvitees": True,
    # Salesforce event series: the most occurrences made per frequency (the figures
    # Salesforce gives for recurring events synced by Salesforce for Outlook; Lightning's
    # own caps are undocumented), and what happens to a pattern with more: "truncate"
    # (only the first ones exist) or "reject" (400 FIELD_INTEGRITY_EXCEPTION).
    "salesforce.seriesOccurrenceLimits": {"DAILY": 100, "WEEKLY": 53, "MONTHLY": 59,
                                          "YEARLY": 9},
    "salesforce.seriesBeyondLimit": "truncate",
    # Salesforce event series: does a plain DELETE of the series' first occurrence delete
    # the whole series? The REST guide says a plain DELETE removes one occurrence and
    # fromThisEventOnwards from the first occurrence removes the series; older versions
    # of the guide can be read either way.
    "salesforce.deleteFirstOccurrenceDeletesSeries": False,
    # Graph: a wall time (dateTime without offset) that occurs twice in its timeZone, when
    # clocks go back: "standard" (the later instant, as .NET's TimeZoneInfo takes it) or
    # "daylight" (the earlier one). Microsoft does not document what Exchange does.
    "graph.ambiguousLocalTime": "standard",
    # Graph: a wall time skipped when clocks go forward: "shiftForward" (read with the
    # offset before the gap: 02:30 becomes 03:30 daylight time) or "reject" (400).
    # Undocumented as well.
    "graph.nonexistentLocalTime": "shiftForward",
    # Exchange (Graph and EWS): an update of a whole series that has edited occurrences also
    # sends each attendee one update per such occurrence (reported by a Microsoft engineer,
    # not documented).
    "exchange.seriesUpdateMailsEachException": True,
    # Graph: what calendarView/delta says of a changed series. "asReported": the series
    # master and every remaining instance in the window, with no trace of a deleted
    # occurrence (what developers report Graph doing); "precise": only the edited
    # occurrences, "@removed" for deleted ones. Microsoft does not document it.
    "graph.seriesDelta": "asReported",
    # Entra ID: lifetime of the access tokens it issues (Microsoft assigns 60-90 minutes at
    # random); shorter makes clients renew with their refresh token sooner.
    "entra.accessTokenLifetimeSeconds": 3599,
    # Latency added to every emulated request, in milliseconds (benchmarks).
    "latencyMs": 0,
}


def utcnow_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class MailLog:
    """Every email an emulated service would have sent."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    def record(
        self, *, sender: str, from_: str, to: str, kind: str, subject: str, **extra: Any
    ) -> dict[str, Any]:
        if kind not in MAIL_KINDS:
            raise ValueError(f"unknown mail kind {kind!r}")
        with self._lock:
            message = {
                "id": f"m{next(self._ids)}",
                "sender": sender,
                "from": from_,
                "to": to,
                "kind": kind,
                "subject": subject,
                "sentAt": utcnow_iso(),
                **extra,
            }
            self._messages.append(message)
            return message

    def messages(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for m in self._messages]

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()


class Stats:
    """Requests received, per service and per operation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_service: dict[str, Counter[str]] = defaultdict(Counter)

    def count(self, service: str, operation: str) -> None:
        with self._lock:
            self._by_service[service][operation] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                service: {"requests": sum(ops.values()), "byOperation": dict(ops)}
                for service, ops in self._by_service.items()
            }

    def reset(self) -> None:
        with self._lock:
            self._by_service.clear()


@dataclass
class Fault:
    service: str
    status: int
    times: int
    retry_after: int | None = None
    delay_ms: int = 0
    # True: the request is carried out, then its answer is replaced by the fault (an
    # answer lost on the way back: the service did the work, the client hears an error)
    applied: bool = False
    # True: the fault hits the steps of a batch (a Graph $batch step, a Google batch
    # part: throttling per call, as the vendors do), never a whole request
    batch_step: bool = False


class Faults:
    """Failures to inject into the next requests of a service."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._pending.append(fault)

    def take(self, service: str, batch_step: bool = False) -> Fault | None:
        """Consume one occurrence of the oldest fault for this service (for a request,
        or for one step of a batch)."""
        with self._lock:
            for fault in self._pending:
                if fault.service == service and fault.times > 0 and \
                        getattr(fault, "batch_step", False) == batch_step:
                    fault.times -= 1
                    if fault.times == 0:
                        self._pending.remove(fault)
                    return Fault(fault.service, fault.status, 1, fault.retry_after, fault.delay_ms,
                                 fault.applied, batch_step)
            return None

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {"service": f.service, "status": f.status, "times": f.times,
                 "retryAfter": f.retry_after, "delayMs": f.delay_ms, "applied": f.applied,
                 "batchStep": getattr(f, "batch_step", False)}
                for f in self._pending
            ]

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()


@dataclass
class IssuedToken:
    service: str
    subject: str  # the user's email (or a Salesforce user id) the token stands for
    kind: str = "access"  # access | refresh
    scopes: str = ""
    expires_at: float | None = None
    parent: str | None = None  # the refresh token this access token was issued from


class TokenRegistry:
    """Access and refresh tokens the emulated services accept."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, IssuedToken] = {}

    def issue(self, service: str, subject: str, kind: str = "access", **extra: Any) -> str:
        token = f"{service[:2]}.{kind[0]}.{secrets.token_urlsafe(24)}"
        with self._lock:
            self._tokens[token] = IssuedToken(service, subject, kind, **extra)
        return token

    def lookup(self, service: str, token: str, kind: str = "access") -> IssuedToken | None:
        with self._lock:
            issued = self._tokens.get(token)
        if issued is None or issued.service != service or issued.kind != kind:
            return None
        if issued.expires_at is not None and time.time() >= issued.expires_at:
            return None
        return issued

    def revoke(self, token: str) -> bool:
        """Revoke a token; revoking a refresh token also revokes the access tokens issued
        from it."""
        with self._lock:
            issued = self._tokens.pop(token, None)
            if issued is None:
                return False
            for other, entry in list(self._tokens.items()):
                if entry.parent == token:
                    del self._tokens[other]
            return True

    def expire_access_tokens(self, service: str, subject: str) -> int:
        """Make every access token of that user for that service expired (sandbox action)."""
        with self._lock:
            hits = [t for t in self._tokens.values() if t.service == service
                    and t.subject == subject and t.kind == "access"]
            for issued in hits:
                issued.expires_at = time.time() - 1
            return len(hits)


def new_world() -> dict[str, Any]:
    """The identity of one sandbox world (one run, or one --state-dir): an id the product
    remembers, and the base of the numbers its record ids are made from, so that two
    worlds never hand out the same id (a product database that outlives a sandbox must
    never match a new world's record to an old row)."""
    return {"id": uuid.uuid4().hex, "createdAt": utcnow_iso(),
            "idBase": secrets.randbits(40) << 30}


@dataclass
class SandboxState:
    mail: MailLog = field(default_factory=MailLog)
    stats: Stats = field(default_factory=Stats)
    faults: Faults = field(default_factory=Faults)
    tokens: TokenRegistry = field(default_factory=TokenRegistry)
    settings: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_SETTINGS))
    settings_lock: threading.Lock = field(default_factory=threading.Lock)
    world: dict[str, Any] = field(default_factory=new_world)
    # Everything an emulator must remember across a restart (see durable.py): name ->
    # holder (a dict, or an object whose attributes are its data). ``counters`` names the
    # holders that change on every request (statistics) and are saved along with the next
    # real change rather than on their own.
    durable: dict[str, Any] = field(default_factory=dict)
    counters: set[str] = field(default_factory=set)
    # how emulators wait (latency, injected delays, a call out before they change
    # anything): a durable sandbox lets other requests and its snapshots go on meanwhile
    sleep: Callable[[float], None] = time.sleep
    # what emulators verify the product's callback URLs against (webhooks over HTTPS):
    # a CA bundle path (runtime.py: the public CAs plus the development CA), or True
    callback_trust: str | bool = True
    waiting: Callable[[], AbstractContextManager[None]] = nullcontext

    def __post_init__(self) -> None:
        for name in ("world", "mail", "faults", "tokens", "settings"):
            self.keep(name, getattr(self, name))
        self.keep("stats", self.stats, counter=True)

    def keep(self, name: str, holder: Any, *, counter: bool = False) -> Any:
        """Register what must survive a restart of a sandbox that has a state folder."""
        if name in self.durable:
            raise ValueError(f"{name} is already kept")
        self.durable[name] = holder
        if counter:
            self.counters.add(name)
        return holder

    def setting(self, name: str) -> Any:
        with self.settings_lock:
            return self.settings[name]

    def update_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(changes) - set(DEFAULT_SETTINGS))
        if unknown:
            raise KeyError(", ".join(unknown))
        with self.settings_lock:
            self.settings.update(changes)
            return dict(self.settings)
