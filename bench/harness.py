"""What every bench script starts from: an in-process sandbox over real HTTP, the product
against it, and the seeded organizers (one per calendar service),
and the sandbox UI action by which an organizer adds an attendee in their calendar."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from addin import create_app
from addin.config import settings_for_tests
from addin.sandbox import SandboxRuntime
from addin.store.models import User

USERS = {"graph": "ava.martin@acme-sales.example", "google": "cleo.nguyen@acme-sales.example",
         "ews": "eve.rossi@acme-sales.example"}


def calendar_edit(origins: dict[str, str], provider: str, email: str, item_id: str,
                  guest: str) -> tuple[str, dict[str, object]]:
    """The organizer adds ``guest`` in Outlook / Google Calendar (a sandbox UI action)."""
    if provider == "graph":
        return (f"{origins['graph']}/sandbox-ui/mailboxes/{email}/events/{item_id}/edit",
                {"attendees": [{"emailAddress": {"address": guest}}]})
    if provider == "ews":
        return (f"{origins['ews']}/sandbox-ui/mailboxes/{email}/items/{item_id}/edit",
                {"attendees": [guest]})
    return (f"{origins['google']}/sandbox-ui/calendars/{email}/events/{item_id}/edit",
            {"attendees": [{"email": guest}]})


@dataclass
class Bench:
    sandbox: SandboxRuntime
    services: Any
    client: Any  # Flask test client: server-side time without a socket in between

    def organizer(self, email: str) -> tuple[int, dict[str, str]]:
        """The user's id and the bearer headers of the sidebar API."""
        with self.services.db.session() as session:
            user_id = int(session.scalar(select(User.id).where(User.email == email)))
        return user_id, {"Authorization": f"Bearer {self.services.api_tokens.mint(user_id)}"}


def start(latency_ms: int = 0) -> Bench:
    folder = tempfile.mkdtemp()
    sandbox = SandboxRuntime(folder, latency_ms=latency_ms).start()
    app = create_app(settings_for_tests(folder + "/instance"), sandbox=sandbox)
    return Bench(sandbox, app.extensions["addin"], app.test_client())
