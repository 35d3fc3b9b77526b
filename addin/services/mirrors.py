"""Finding a user's mirrored event: the one query every use case starts from."""

from __future__ import annotations

from sqlalchemy import select

from addin.container import Container
from addin.errors import NotFound
from addin.store.models import MirroredEvent


def find_mirror(services: Container, user_id: int, event_id: str) -> MirroredEvent:
    """The user's mirrored event for this Salesforce Event id (detached), or 404."""
    with services.db.session() as session:
        row = session.scalar(select(MirroredEvent).where(
            MirroredEvent.salesforce_event_id == event_id, MirroredEvent.user_id == user_id))
    if row is None:
        raise NotFound("No such event.")
    return row
