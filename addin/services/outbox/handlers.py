"""Every kind of outbox operation and the function that runs it: one explicit table.

The modules that queue a kind also hold its handler; this table names them all, so the
dispatcher (``queue.handler_for``) finds every kind in any process, whatever that process
imported before (a worker that only runs jobs never imports the web's modules)."""

from __future__ import annotations

from addin.services import calendar_items, event_creation, events
from addin.services.outbox.queue import Handler

HANDLERS: dict[str, Handler] = {
    calendar_items.KIND: calendar_items._save_later,  # a calendar item saved to Salesforce
    event_creation.KIND: event_creation._create_later,  # an Event created from the pane
    "mirror_event": events._mirror_later,  # a Salesforce Event mirrored to the calendar
}
