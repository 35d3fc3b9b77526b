"""What a person does in the Salesforce UI that the REST API cannot show: changing an
Event's invitees, deleting an Event. Salesforce Classic emails each added invitee an
invitation (each removed one, and every invitee of a deleted Event, a cancellation: the
latter is the setting salesforce.classicDeleteNotifiesInvitees); Lightning emails nobody;
the REST API never emails."""

from __future__ import annotations

from typing import Any

from addin.sandbox.salesforce.org import Org
from addin.sandbox.salesforce.schema import sobject_of_id
from addin.sandbox.salesforce.series import PATTERN_FIELDS
from addin.sandbox.salesforce.values import bad_request
from addin.sandbox.state import SandboxState


class InviteeChanges:
    def __init__(self, org: Org, state: SandboxState):
        self.org = org
        self.state = state

    def match(self, email: str) -> dict[str, Any] | None:
        """The record the UI's lookup picks: an active User, else a Contact (the most
        recently modified), else an unconverted Lead."""
        key = email.strip().lower()
        users = [u for u in self.org.records["User"].values()
                 if (u.get("Email") or "").lower() == key and u.get("IsActive")]
        if users:
            return users[0]
        contacts = sorted((c for c in self.org.records["Contact"].values()
                           if (c.get("Email") or "").lower() == key),
                          key=lambda c: c["LastModifiedDate"], reverse=True)
        if contacts:
            return contacts[0]
        leads = [lead for lead in self.org.records["Lead"].values()
                 if (lead.get("Email") or "").lower() == key and not lead.get("IsConverted")]
        return leads[0] if leads else None

    def targets(self, event: dict[str, Any], scope: str) -> list[dict[str, Any]]:
        """The Events a UI action on ``event`` changes: itself, or for an event series
        and ``scope`` "series" itself and every later occurrence ("following": the same)."""
        if scope not in ("occurrence", "series", "following"):
            raise bad_request("INVALID_API_INPUT", "scope is occurrence, following or series",
                              ["scope"])
        series_id = event.get("_seriesId")
        if scope == "occurrence" or not series_id:
            return [event]
        return [e for e in self.org.series_book.occurrences(series_id)
                if e["_originalStart"] >= event["_originalStart"]]

    def change(self, event_id: str, add: list[str], remove: list[str],
               scope: str = "series") -> dict[str, Any]:
        """Invitees added or removed in the UI; on an event series, for the whole series
        from this occurrence on (``scope`` "series", the UI's "All events") or this
        occurrence only. Classic emails each person once, whatever the number of
        occurrences."""
        with self.org.lock:
            event = self.org.get("Event", event_id)
            organizer = self.org.records["User"][event["OwnerId"]]
            lightning = bool(organizer.get("UserPreferencesLightningExperiencePreferred"))
            added: dict[str, dict[str, Any]] = {}
            removed: dict[str, dict[str, Any]] = {}
            unmatched: list[str] = []
            targets = self.targets(event, scope)
            for target in targets:
                self._apply(target, organizer["Id"], add, remove, added, removed, unmatched)
            if not lightning:
                extra: dict[str, Any] = {"eventId": event["Id"]}
                if event.get("_seriesId"):
                    extra.update(series=scope != "occurrence", occurrences=len(targets))
                for kind, records in (("invitation", added), ("cancellation", removed)):
                    for record in records.values():
                        self.state.mail.record(
                            sender="salesforce", from_=organizer["Email"], to=record["Email"],
                            kind=kind, subject=event.get("Subject") or "", **extra)
            return {
                "experience": "lightning" if lightning else "classic",
                "added": [_summary(r) for r in added.values()],
                "removed": [_summary(r) for r in removed.values()],
                "unmatched": sorted(set(unmatched)),
                "events": [t["Id"] for t in targets],
            }

    def _apply(self, event: dict[str, Any], organizer_id: str, add: list[str],
               remove: list[str], added: dict[str, dict[str, Any]],
               removed: dict[str, dict[str, Any]], unmatched: list[str]) -> None:
        for email in add:
            record = self.match(email)
            if record is None:
                unmatched.append(email)
                continue
            existing = next((r for r in self.org.relations_of(event["Id"])
                             if r["RelationId"] == record["Id"]), None)
            if existing is not None and existing["IsInvitee"]:
                continue
            if existing is not None:
                self.org.update("EventRelation", existing["Id"], {"IsInvitee": True},
                                organizer_id)
            else:
                self.org.create("EventRelation", {"EventId": event["Id"],
                                                  "RelationId": record["Id"],
                                                  "IsInvitee": True}, organizer_id)
            added[record["Id"]] = record
        for email in remove:
            record = self.match(email)
            row = next((r for r in self.org.relations_of(event["Id"])
                        if record is not None and r["RelationId"] == record["Id"]
                        and r["IsInvitee"]), None)
            if row is None or record is None:
                unmatched.append(email)
                continue
            if row["IsParent"] or row["IsWhat"]:
                self.org.update("EventRelation", row["Id"], {"IsInvitee": False}, organizer_id)
            else:
                self.org.delete("EventRelation", row["Id"])
            removed[record["Id"]] = record

    def edit(self, event_id: str, fields: dict[str, Any], scope: str = "occurrence"
             ) -> dict[str, Any]:
        """The organizer edits the Event in the UI. On an event series, "occurrence" edits
        this one (an exception); "series" edits it and every later occurrence, overriding
        the same field in exceptions (as Salesforce documents for Classic), without
        making exceptions; a new pattern recreates the series (as through the API)."""
        with self.org.lock:
            event = self.org.get("Event", event_id)
            owner = event["OwnerId"]
            targets = self.targets(event, scope)
            pattern = any(k in fields for k in PATTERN_FIELDS)
            if len(targets) == 1 or pattern:
                self.org.update("Event", event["Id"], fields, owner)
                return {"events": [event["Id"]]}
            for target in targets:
                keep = target.get("IsRecurrence2Exception")
                moved = dict(fields)
                if "StartDateTime" in moved and target is not event:
                    moved.pop("StartDateTime")  # the time of day moves only with a pattern
                self.org.update("Event", target["Id"], moved, owner)
                target["IsRecurrence2Exception"] = bool(keep)
            return {"events": [t["Id"] for t in targets]}

    def delete_event(self, event_id: str, scope: str = "occurrence") -> dict[str, Any]:
        """The organizer deletes the Event (with its invitees and child events); on an
        event series this occurrence, it and the following ones ("following"), or the
        whole series ("series"). Classic tells each invitee once."""
        with self.org.lock:
            event = self.org.get("Event", event_id)
            organizer = self.org.records["User"][event["OwnerId"]]
            lightning = bool(organizer.get("UserPreferencesLightningExperiencePreferred"))
            if scope == "series" and event.get("_seriesId"):
                event = self.org.series_book.occurrences(event["_seriesId"])[0]
            targets = self.targets(event, scope)
            invitees: dict[str, dict[str, Any]] = {}
            for target in targets:
                for relation in self.org.relations_of(target["Id"]):
                    person = self._person(relation["RelationId"]) if relation["IsInvitee"] \
                        else None
                    if person is not None and person.get("Email"):
                        invitees[person["Id"]] = person
            if len(targets) > 1:
                self.org.delete_onwards(event["Id"])
            else:
                self.org.delete("Event", event["Id"])
            notified: list[str] = []
            if not lightning and self.state.setting("salesforce.classicDeleteNotifiesInvitees"):
                for person in invitees.values():
                    self.state.mail.record(
                        sender="salesforce", from_=organizer["Email"], to=person["Email"],
                        kind="cancellation", subject=event.get("Subject") or "",
                        eventId=event["Id"])
                    notified.append(person["Email"])
            return {"experience": "lightning" if lightning else "classic",
                    "deleted": event["Id"], "deletedEvents": [t["Id"] for t in targets],
                    "notified": notified}

    def _person(self, record_id: str) -> dict[str, Any] | None:
        sobject = sobject_of_id(record_id)
        return self.org.records[sobject].get(record_id) if sobject else None


def _summary(record: dict[str, Any]) -> dict[str, Any]:
    return {"id": record["Id"], "type": sobject_of_id(record["Id"]), "email": record["Email"],
            "name": record.get("Name")}
