"""Invitees' own copies of a meeting, as Exchange keeps them: an attendee whose mailbox is
in the same tenant (a seeded user whose calendar is Microsoft 365) holds a copy of the
meeting with ``isOrganizer: false``, their own ``responseStatus`` and the organizer's
``iCalUId``. The copy follows the organizer's changes; it is cancelled (``isCancelled``)
when the invitee is removed or the meeting deleted. ``accept`` / ``decline`` /
``tentativelyAccept`` on the copy set the invitee's status on the organizer's meeting;
a declined meeting leaves the invitee's calendar (Outlook moves it to Deleted Items).

A copy's stored resource is the organizer's, plus ``organizer_email`` (who organizes it)
and ``response`` (the invitee's own answer)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from addin.sandbox.calendar_core import StoredItem
from addin.sandbox.graph import series
from addin.sandbox.graph.resources import GraphError, bad

if TYPE_CHECKING:
    from addin.sandbox.graph.app import Graph

SHARED = ("subject", "body", "location", "showAs", "isAllDay", "start_utc", "start_zone",
          "end_utc", "end_zone", "sensitivity", "attendees", "iCalUId", "createdDateTime",
          "importance", "isOnlineMeeting", "onlineMeetingProvider", "onlineMeeting",
          "locations", "recurrence", "exceptions", "cancelled", "touched", "series_seq",
          "history")
ACTIONS = {"accept": "accepted", "decline": "declined",
           "tentativelyAccept": "tentativelyAccepted"}
NO_ANSWER = {"response": "notResponded", "time": "0001-01-01T00:00:00Z"}

Change = tuple[str, StoredItem, str]  # mailbox, item, created|updated|deleted


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Invitees:
    def __init__(self, graph: Graph):
        self.graph = graph

    def tenant(self) -> set[str]:
        """The mailboxes of this tenant: the seeded users whose calendar is Microsoft 365."""
        return {email for email, user in self.graph.people.items()
                if getattr(user, "provider", "graph") == "graph"}

    def copy_of(self, mailbox: str, uid: str) -> StoredItem | None:
        for item in self.graph.store.live(mailbox):
            if item.resource.get("organizer_email") and item.resource.get("iCalUId") == uid:
                return item
        return None

    def fan_out(self, owner: str, item: StoredItem) -> list[Change]:
        """After the organizer wrote ``item``: every invited mailbox of the tenant holds an
        up-to-date copy; one no longer invited (or of a deleted meeting) is cancelled."""
        if item.resource.get("organizer_email"):
            return []  # an invitee's copy does not spread further
        invited = set() if item.deleted else {
            a["emailAddress"]["address"].lower() for a in item.resource.get("attendees") or []}
        invited = (invited & self.tenant()) - {owner}
        uid = str(item.resource.get("iCalUId"))
        changes: list[Change] = []
        for mailbox in sorted(self.tenant() - {owner}):
            copy = self.copy_of(mailbox, uid)
            if mailbox in invited:
                resource = {key: item.resource[key] for key in SHARED if key in item.resource}
                resource.update({
                    "organizer_email": owner, "lastModified": _now(),
                    "changeKey": secrets.token_urlsafe(21),
                    "response": copy.resource["response"] if copy else dict(NO_ANSWER),
                    "own": copy.resource.get("own") or {} if copy else {}})
                if copy is None:
                    resource["createdDateTime"] = _now()
                item_id = copy.id if copy else "AAMkA" + secrets.token_urlsafe(60)
                changes.append((mailbox, self.graph.store.put(mailbox, item_id, resource),
                                "updated" if copy else "created"))
            elif copy is not None and not copy.resource.get("isCancelled"):
                resource = {**copy.resource, "isCancelled": True, "lastModified": _now(),
                            "changeKey": secrets.token_urlsafe(21),
                            "subject": "Canceled: " + str(copy.resource.get("subject") or "")}
                changes.append((mailbox, self.graph.store.put(mailbox, copy.id, resource),
                                "updated"))
        return changes

    def respond_occurrence(self, mailbox: str, copy: StoredItem, action: str, send: bool
                           ) -> list[Change]:
        """The invitee answers for one occurrence: the organizer's occurrence records it
        (an exception); a declined occurrence leaves the invitee's calendar."""
        store = self.graph.store
        copy_master = self.graph.find(mailbox, str(copy.resource["_seriesMasterId"]))
        organizer = copy_master.resource.get("organizer_email")
        if not organizer:
            raise GraphError(400, "ErrorInvalidRequest",
                             "Your request can't be completed. You can't respond to a meeting "
                             "you organized.")
        key = copy.id.rsplit("_", 1)[1]
        answer = {"response": ACTIONS[action], "time": _now()}
        changes: list[Change] = []
        meeting = next((i for i in store.live(organizer)
                        if i.resource.get("iCalUId") == copy_master.resource.get("iCalUId")
                        and not i.resource.get("organizer_email")), None)
        if meeting is not None:
            attendees = [dict(a) for a in series.instance_at(meeting, key).resource.get(
                "attendees") or []]
            for attendee in attendees:
                if attendee["emailAddress"]["address"].lower() == mailbox:
                    attendee["status"] = answer
            changes.append((organizer, series.set_exception_fields(
                self.graph, organizer, meeting, key, {"attendees": attendees}), "updated"))
        mine = {"declined": True} if action == "decline" else {"response": answer}
        changes.append((mailbox, store.put(mailbox, copy_master.id, {
            **copy_master.resource, "own": {**(copy_master.resource.get("own") or {}),
                                            key: mine},
            "touched": {**(copy_master.resource.get("touched") or {}),
                        key: store.current_seq()},
            "lastModified": _now(), "changeKey": secrets.token_urlsafe(21)}), "updated"))
        if send and meeting is not None:
            self.graph.state.mail.record(
                sender="graph", from_=mailbox, to=organizer, kind="response",
                subject=f"{ACTIONS[action].capitalize()}: {copy.resource.get('subject') or ''}",
                scope="occurrence", occurrence=copy.resource.get("_originalStart"))
        return changes

    def respond(self, mailbox: str, item_id: str, action: str, body: Any) -> list[Change]:
        """The invitee answers on their copy; the organizer's meeting records it."""
        if body is not None and not isinstance(body, dict):
            raise bad("Empty Payload. JSON content expected.", "BadRequest")
        send = (body or {}).get("sendResponse", True)
        if not isinstance(send, bool):
            raise bad("sendResponse must be a boolean.")
        copy = self.graph.find(mailbox, item_id)
        if copy.resource.get("_seriesMasterId"):
            return self.respond_occurrence(mailbox, copy, action, send)
        organizer = copy.resource.get("organizer_email")
        if not organizer:
            raise GraphError(400, "ErrorInvalidRequest",
                             "Your request can't be completed. You can't respond to a meeting "
                             "you organized.")
        if copy.resource.get("isCancelled"):
            raise GraphError(400, "ErrorInvalidRequest",
                             "Your request can't be completed. The meeting was cancelled.")
        answer = {"response": ACTIONS[action], "time": _now()}
        changes: list[Change] = []
        meeting = next((i for i in self.graph.store.live(organizer)
                        if i.resource.get("iCalUId") == copy.resource.get("iCalUId")
                        and not i.resource.get("organizer_email")), None)
        if meeting is not None:
            attendees = [dict(a) for a in meeting.resource.get("attendees") or []]
            for attendee in attendees:
                if attendee["emailAddress"]["address"].lower() == mailbox:
                    attendee["status"] = answer
            changes.append((organizer, self.graph.store.put(organizer, meeting.id, {
                **meeting.resource, "attendees": attendees, "lastModified": _now(),
                "changeKey": secrets.token_urlsafe(21),
                "series_seq": self.graph.store.current_seq()}), "updated"))
        if action == "decline":
            deleted = self.graph.store.delete(mailbox, copy.id)
            if deleted is not None:
                changes.append((mailbox, deleted, "deleted"))
        else:
            changes.append((mailbox, self.graph.store.put(mailbox, copy.id, {
                **copy.resource, "response": answer, "lastModified": _now(),
                "changeKey": secrets.token_urlsafe(21)}), "updated"))
        if send and meeting is not None:
            self.graph.state.mail.record(
                sender="graph", from_=mailbox, to=organizer, kind="response",
                subject=f"{ACTIONS[action].capitalize()}: {copy.resource.get('subject') or ''}")
        return changes
