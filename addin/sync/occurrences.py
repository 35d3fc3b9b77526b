"""The occurrences of one mirrored series, three ways (pure: nothing here does I/O).

Salesforce keeps an Event record per occurrence; the calendar keeps ONE series and
reports its occurrences (instances) inside a window, each known by its original start
(where the rule put it), moved ones (exceptions) where they are now, cancelled ones absent.
An occurrence is matched across the two sides by its original start; the base remembers,
per original start, the Salesforce Event id and the times both sides last agreed on.

Per occurrence, against the base: moved on one side -> moved on the other; cancelled
(deleted) on one side -> cancelled on the other; changed differently on both -> Salesforce
wins (as for the Event's fields); in the one-way direction the calendar's own exceptions
are put back. Only occurrences inside the window are decided (an endless series is never
expanded beyond it); the base keeps those outside untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

CANCELLED = "cancelled"


@dataclass(frozen=True)
class Slot:
    """Where an occurrence is: start/end as the base stores them (UTC ISO instants, or
    dates for all-day series), or cancelled."""

    start: str
    end: str

    def as_json(self) -> dict[str, str]:
        return {"start": self.start, "end": self.end}


@dataclass(frozen=True)
class OccurrenceBase:
    salesforce_event_id: str | None
    slot: Slot | None  # None: cancelled on both sides

    def as_json(self) -> dict[str, Any]:
        return {"salesforceEventId": self.salesforce_event_id,
                **(self.slot.as_json() if self.slot else {"state": CANCELLED})}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OccurrenceBase:
        slot = None if data.get("state") == CANCELLED else Slot(str(data["start"]),
                                                               str(data["end"]))
        return cls(data.get("salesforceEventId"), slot)


@dataclass
class OccurrencePlan:
    base: dict[str, OccurrenceBase]  # original start -> the new agreed occurrence
    move_in_salesforce: dict[str, Slot] = field(default_factory=dict)  # Event id -> slot
    delete_in_salesforce: list[str] = field(default_factory=list)  # Event ids
    move_in_calendar: dict[str, Slot] = field(default_factory=dict)  # instance id -> slot
    cancel_in_calendar: list[str] = field(default_factory=list)  # instance ids

    @property
    def writes(self) -> int:
        return (len(self.move_in_salesforce) + len(self.delete_in_salesforce)
                + len(self.move_in_calendar) + len(self.cancel_in_calendar))


@dataclass(frozen=True)
class SalesforceOccurrence:
    event_id: str
    slot: Slot


@dataclass(frozen=True)
class CalendarOccurrence:
    item_id: str
    slot: Slot


def plan(base: Mapping[str, OccurrenceBase], window: tuple[str, str],
         salesforce: Mapping[str, SalesforceOccurrence],
         calendar: Mapping[str, CalendarOccurrence], direction: str = "both"
         ) -> OccurrencePlan:
    """``salesforce``: the live occurrence Events by original start (an Event the base
    knows, found by its id, under the original start the base has for it; a new one under
    its own start); ``calendar``: the live instances inside ``window`` (original starts
    from..to, ISO) by original start. ``base`` holds every occurrence agreed so far."""
    low, high = window
    result = OccurrencePlan(base=dict(base))
    inside = {k for k in set(base) | set(salesforce) | set(calendar) if low <= k < high}
    for original in sorted(inside):
        known = base.get(original)
        if known is None:  # not agreed yet (a new series, or the window moved on)
            _first_seen(result, original, salesforce.get(original), calendar.get(original))
        else:
            _against_base(result, original, known, (salesforce.get(original),
                                                    calendar.get(original)), direction)
    return result


def _first_seen(result: OccurrencePlan, original: str,
                on_salesforce: SalesforceOccurrence | None,
                on_calendar: CalendarOccurrence | None) -> None:
    """An occurrence the base does not have: agreed as Salesforce has it when both sides
    have it; remembered, not mirrored, when one side only has it (the rule put it on one
    side: the other will report it when its own window reaches it)."""
    if on_salesforce is None or on_calendar is None:
        only = on_salesforce or on_calendar
        if only is not None:
            event_id = on_salesforce.event_id if on_salesforce else None
            result.base[original] = OccurrenceBase(event_id, only.slot)
        return
    result.base[original] = OccurrenceBase(on_salesforce.event_id, on_salesforce.slot)
    if on_calendar.slot != on_salesforce.slot:
        result.move_in_calendar[on_calendar.item_id] = on_salesforce.slot


def _against_base(result: OccurrencePlan, original: str, known: OccurrenceBase,
                  live: tuple[SalesforceOccurrence | None, CalendarOccurrence | None],
                  direction: str) -> None:
    """An agreed occurrence: the side that changed it wins (Salesforce when both did);
    one-way, the calendar's own changes are put back."""
    on_salesforce, on_calendar = live
    s_slot = on_salesforce.slot if on_salesforce else None
    c_slot = on_calendar.slot if on_calendar else None
    s_changed = s_slot != known.slot
    c_changed = c_slot != known.slot and direction != "sf_to_calendar"
    if not s_changed and not c_changed:
        if direction == "sf_to_calendar" and c_slot != known.slot:
            _to_calendar(result, on_calendar, known.slot)
        return
    winner = s_slot if s_changed else c_slot
    event_id = on_salesforce.event_id if on_salesforce else known.salesforce_event_id
    result.base[original] = OccurrenceBase(event_id if winner else None, winner)
    if s_changed:
        if c_slot != winner:
            _to_calendar(result, on_calendar, winner)
    elif s_slot != winner:
        _to_salesforce(result, on_salesforce, winner)


def _to_salesforce(result: OccurrencePlan, on_salesforce: SalesforceOccurrence | None,
                   slot: Slot | None) -> None:
    if on_salesforce is None:
        return  # deleted in Salesforce: nothing to move or delete there
    if slot is None:
        result.delete_in_salesforce.append(on_salesforce.event_id)
    else:
        result.move_in_salesforce[on_salesforce.event_id] = slot


def _to_calendar(result: OccurrencePlan, on_calendar: CalendarOccurrence | None,
                 slot: Slot | None) -> None:
    if on_calendar is None:
        return  # cancelled in the calendar: a cancelled instance cannot be brought back
    if slot is None:
        result.cancel_in_calendar.append(on_calendar.item_id)
    else:
        result.move_in_calendar[on_calendar.item_id] = slot


def originals_by_event(base: Mapping[str, OccurrenceBase]) -> dict[str, str]:
    """Salesforce occurrence Event id -> its original start, from the base."""
    return {b.salesforce_event_id: k for k, b in base.items() if b.salesforce_event_id}
