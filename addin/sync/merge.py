"""The three-way attendee merge (docs/attendees-and-invitations.md).

Each side is compared with the base, the list both sides last agreed on: an addition or a
removal on one side is applied to the other; the same change on both sides is applied once;
a removal on one side and an unchanged attendee on the other removes. Salesforce can only
hold LINKED attendees (EventRelations), so an unlinked attendee missing there is "unknown",
never "removed"; likewise an attendee HELD out of the calendar (Graph + Classic policy) is
not "removed in the calendar". The organizer is never an attendee.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


def key(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True)
class AgreedAttendee:
    email: str
    name: str = ""
    optional: bool = False
    response: str = "none"
    record: Mapping[str, Any] | None = None  # {"type", "id", "name", "alternatives"?}
    held: bool = False  # in Salesforce, kept out of the calendar item (hold policy)
    # removed in Salesforce, still in the calendar item until the organizer removes them
    # there (hold policy): never linked or re-added to Salesforce
    removed_in_salesforce: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"email": self.email, "name": self.name, "optional": self.optional,
                "response": self.response, "record": dict(self.record) if self.record else None,
                "held": self.held, "removedInSalesforce": self.removed_in_salesforce}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AgreedAttendee:
        return cls(email=str(data["email"]), name=str(data.get("name") or ""),
                   optional=bool(data.get("optional")),
                   response=str(data.get("response") or "none"),
                   record=data.get("record"), held=bool(data.get("held")),
                   removed_in_salesforce=bool(data.get("removedInSalesforce")))


@dataclass
class MergeResult:
    agreed: dict[str, AgreedAttendee]  # key -> attendee, the new base
    added_in_salesforce: set[str] = field(default_factory=set)
    removed_in_salesforce: set[str] = field(default_factory=set)
    added_in_calendar: set[str] = field(default_factory=set)
    removed_in_calendar: set[str] = field(default_factory=set)


def merge(base: Iterable[AgreedAttendee], salesforce: Iterable[str],
          calendar: Mapping[str, AgreedAttendee], organizer: str) -> MergeResult:
    """``salesforce``: emails of the Event's invitees; ``calendar``: the item's attendees by
    key (with names, responses). Returns the new agreed list and what changed where."""
    me = key(organizer)
    before = {key(a.email): a for a in base if key(a.email) != me}
    in_salesforce = {key(e) for e in salesforce} - {me}
    in_calendar = {k: a for k, a in calendar.items() if k != me}
    linked = {k for k, a in before.items() if a.record is not None}
    held = {k for k, a in before.items() if a.held}

    result = MergeResult(agreed={})
    result.added_in_salesforce = in_salesforce - set(before)
    result.removed_in_salesforce = linked - in_salesforce
    result.added_in_calendar = set(in_calendar) - set(before)
    result.removed_in_calendar = (set(before) - held) - set(in_calendar)

    removed = result.removed_in_salesforce | result.removed_in_calendar
    for k, attendee in before.items():
        if k in removed:
            continue
        current = in_calendar.get(k)
        if current is not None:  # the calendar knows the answer and the display name
            attendee = AgreedAttendee(attendee.email, current.name or attendee.name,
                                      current.optional, current.response, attendee.record,
                                      held=False,
                                      removed_in_salesforce=attendee.removed_in_salesforce)
        result.agreed[k] = attendee
    for k in result.added_in_calendar:
        result.agreed[k] = in_calendar[k]
    for k in result.added_in_salesforce - set(result.agreed):
        result.agreed[k] = AgreedAttendee(email=k)
    return result
