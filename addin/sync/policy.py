"""Who emails whom, per the rulebook: every added attendee gets exactly ONE invitation and
every removed one exactly one cancellation, whichever side the change was made on."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from addin.sync.capabilities import CalendarCapabilities, NotifyMode


class Origin(enum.Enum):
    SIDEBAR = "sidebar"  # the product's API: the REST API never emails
    SALESFORCE = "salesforce"  # a person in the Salesforce UI
    CALENDAR = "calendar"  # the organizer in Outlook / Google Calendar (already emailed)


@dataclass(frozen=True)
class CalendarWrite:
    """How a change that did not start in the calendar reaches it."""

    push: bool  # put the attendees into the calendar item at all
    notify: NotifyMode  # CHANGED: the mail server invites/cancels; SILENT: nobody


def calendar_write(origin: Origin, experience: str, capabilities: CalendarCapabilities,
                   graph_classic_policy: str) -> CalendarWrite:
    if origin is Origin.CALENDAR:
        return CalendarWrite(push=False, notify=NotifyMode.SILENT)  # nothing to do there
    if origin is Origin.SIDEBAR or experience == "lightning":
        return CalendarWrite(push=True, notify=NotifyMode.CHANGED)  # mail server is sender
    # Salesforce Classic already emailed the invitation / cancellation.
    if capabilities.silent_attendee_update:
        return CalendarWrite(push=True, notify=NotifyMode.SILENT)
    if graph_classic_policy == "mirror":  # documented: the mail server emails a second time
        return CalendarWrite(push=True, notify=NotifyMode.CHANGED)
    return CalendarWrite(push=False, notify=NotifyMode.SILENT)  # hold
