"""A Salesforce client for one sync pass whose writes wait and go out together: each
Event's invitee changes and field updates are queued as composite subrequests and sent,
several Events a request, in composites of at most 25 subrequests. Reads pass through."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from addin.providers.salesforce.client import (
    EventRelationRecord,
    SalesforceClient,
    SalesforceError,
)


class BatchingSalesforce:
    def __init__(self, real: SalesforceClient):
        self.real = real
        self._groups: dict[str, list[dict[str, Any]]] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    @property
    def queued_events(self) -> list[str]:
        return [event_id for event_id, subs in self._groups.items() if subs]

    def update_event(self, event_id: str, fields: dict[str, Any]) -> None:
        self._groups.setdefault(event_id, []).append({
            "method": "PATCH", "referenceId": f"fields_{event_id}", "body": fields,
            "url": f"{self.real.base_path}/sobjects/Event/{event_id}"})

    def change_invitees(self, event_id: str, *, add: Sequence[str] = (),
                        remove: Sequence[str] = (), who_id: str | None = None,
                        statuses: Mapping[str, str] | None = None,
                        existing: Sequence[EventRelationRecord] | None = None) -> None:
        self._groups.setdefault(event_id, []).extend(self.real.invitee_subrequests(
            event_id, add=add, remove=remove, who_id=who_id, statuses=statuses,
            existing=existing))

    def flush(self) -> dict[str, SalesforceError | None]:
        """Send what is queued; per Event id None (written) or the error it met."""
        groups = [(event_id, subs) for event_id, subs in self._groups.items() if subs]
        self._groups = {}
        if not groups:
            return {}
        outcome = self.real.send_composites([subs for _, subs in groups])
        return {event_id: outcome.get(index) for index, (event_id, _) in enumerate(groups)}
