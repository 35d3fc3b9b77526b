"""Auto-link: the Salesforce record an attendee email belongs to. Users (active) before
Contacts before Leads (not converted); several Contacts with one email: the most recently
modified, with the others reported as an ambiguity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


class Person(Protocol):
    @property
    def type(self) -> str: ...

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def last_modified(self) -> str: ...


@dataclass
class Link:
    type: str
    id: str
    name: str
    ambiguous_with: list[str] = field(default_factory=list)  # other record ids

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.type, "id": self.id, "name": self.name}
        if self.ambiguous_with:  # several records share the email: reported, not guessed
            data["alternatives"] = list(self.ambiguous_with)
        return data


PREFERENCE = ("User", "Contact", "Lead")


def choose(records: Sequence[Person]) -> Link | None:
    for kind in PREFERENCE:
        candidates = sorted((r for r in records if r.type == kind),
                            key=lambda r: r.last_modified, reverse=True)
        if candidates:
            first = candidates[0]
            return Link(first.type, first.id, first.name, [c.id for c in candidates[1:]])
    return None


def who_id(current: str | None, links: Sequence[Link]) -> str | None:
    """The Event's Name (WhoId): kept if set, else the first linked Contact or Lead."""
    if current:
        return None
    return next((link.id for link in links if link.type in ("Contact", "Lead")), None)
