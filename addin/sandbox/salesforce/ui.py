"""What a person does in the Salesforce UI that the REST API cannot show: changing an
Event's invitees, deleting an Event. Salesforce Classic emails each added invitee an
invitation (each removed one, and every invitee of a deleted Event, a cancellation: the
latter is the setting salesforce.classicDeleteNotifiesInvitees); Lightning emails nobody;
the REST API never emails."""

from __future__ import annotations

from typing import Any

from addin.sandbox.salesforce.org import Org
from addin.sandbox.salesforce.schema import sobject_of_id
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

    def change(self, event_id: str, add: list[str], remove: list[str]) -> dict[str, Any]:
        with self.org.lock:
            event = self.org.get("Event", event_id)
            organizer = self.org.records["User"][event["OwnerId"]]
            lightning = bool(organizer.get("UserPreferencesLightningExperiencePreferred"))
            added, removed, unmatched = [], [], []
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
                                    organizer["Id"])
                else:
                    self.org.create("EventRelation", {"EventId": event["Id"],
                                                      "RelationId": record["Id"],
                                                      "IsInvitee": True}, organizer["Id"])
                added.append(record)
            for email in remove:
                record = self.match(email)
                row = next((r for r in self.org.relations_of(event["Id"])
                            if record is not None and r["RelationId"] == record["Id"]
                            and r["IsInvitee"]), None)
                if row is None or record is None:
                    unmatched.append(email)
                    continue
                if row["IsParent"] or row["IsWhat"]:
                    self.org.update("EventRelation", row["Id"], {"IsInvitee": False},
                                    organizer["Id"])
                else:
                    self.org.delete("EventRelation", row["Id"])
                removed.append(record)
            if not lightning:
                for kind, records in (("invitation", added), ("cancellation", removed)):
                    for record in records:
                        self.state.mail.record(
                            sender="salesforce", from_=organizer["Email"], to=record["Email"],
                            kind=kind, subject=event.get("Subject") or "", eventId=event["Id"])
            return {
                "experience": "lightning" if lightning else "classic",
                "added": [_summary(r) for r in added],
                "removed": [_summary(r) for r in removed],
                "unmatched": unmatched,
            }

    def delete_event(self, event_id: str) -> dict[str, Any]:
        """The organizer deletes the Event (with its invitees and child events)."""
        with self.org.lock:
            event = self.org.get("Event", event_id)
            organizer = self.org.records["User"][event["OwnerId"]]
            lightning = bool(organizer.get("UserPreferencesLightningExperiencePreferred"))
            invitees = [self._person(r["RelationId"]) for r in self.org.relations_of(event["Id"])
                        if r["IsInvitee"]]
            self.org.delete("Event", event["Id"])
            notified: list[str] = []
            if not lightning and self.state.setting("salesforce.classicDeleteNotifiesInvitees"):
                for person in invitees:
                    if person is not None and person.get("Email"):
                        self.state.mail.record(
                            sender="salesforce", from_=organizer["Email"], to=person["Email"],
                            kind="cancellation", subject=event.get("Subject") or "",
                            eventId=event["Id"])
                        notified.append(person["Email"])
            return {"experience": "lightning" if lightning else "classic", "deleted": event["Id"],
                    "notified": notified}

    def _person(self, record_id: str) -> dict[str, Any] | None:
        sobject = sobject_of_id(record_id)
        return self.org.records[sobject].get(record_id) if sobject else None


def _summary(record: dict[str, Any]) -> dict[str, Any]:
    return {"id": record["Id"], "type": sobject_of_id(record["Id"]), "email": record["Email"],
            "name": record.get("Name")}
