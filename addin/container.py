"""The objects a running app is made of, built once per app from its settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from flask import current_app

from addin.accounts.crypto import TokenCipher
from addin.accounts.tokens import ApiTokens
from addin.config import Settings
from addin.providers.http import HttpSettings, UpstreamSession, build_session
from addin.store import Database

if TYPE_CHECKING:
    from addin.sandbox.runtime import SandboxView


class JobQueue(Protocol):
    def sync_requested(self) -> None:
        """Push notifications wrote sync requests (``sync_requests``): run them soon."""

    def outbox_queued(self, op_id: int, user_id: int, when: datetime) -> None:
        """An outbox operation is due at ``when`` (committed before this call)."""


@dataclass
class Container:
    settings: Settings
    db: Database
    cipher: TokenCipher
    api_tokens: ApiTokens
    sandbox: SandboxView | None = None
    caches: dict[str, Any] = field(default_factory=dict)  # e.g. identity providers' keys
    # how this process hands work to the job engine: wired by whoever builds the container
    # (the app factory passes addin.jobs.job_queue), so the services never import the jobs
    open_job_queue: Callable[[Container], JobQueue] | None = None

    @classmethod
    def build(cls, settings: Settings, sandbox: SandboxView | None = None, *,
              job_queue: Callable[[Container], JobQueue] | None = None) -> Container:
        return cls(
            settings=settings,
            db=Database(settings.database_url),
            cipher=TokenCipher.from_settings(settings.token_keys, settings.secret_key),
            api_tokens=ApiTokens(settings.secret_key),
            sandbox=sandbox,
            open_job_queue=job_queue,
        )

    def job_queue(self) -> JobQueue:
        """This process's way to hand work to the job engine."""
        if self.open_job_queue is None:
            raise RuntimeError("no job engine is wired into this container")
        return self.open_job_queue(self)

    def session_for(self, service: str) -> UpstreamSession:
        """One keep-alive session per upstream service, shared by all requests (callers
        pass credentials per request, never on the session)."""
        key = f"http:{service}"
        session = self.caches.get(key)
        if session is None:
            session = self.caches[key] = build_session(service, self.http_settings)
        return session

    @property
    def http_settings(self) -> HttpSettings:
        s = self.settings
        return HttpSettings(
            timeout_seconds=s.http_timeout_seconds,
            retries=s.http_retries,
            max_retry_after_seconds=s.http_max_retry_after_seconds,
            ca_bundle=s.ca_bundle,
        )


def current_container() -> Container:
    """The container of the app handling the current request (for views only)."""
    container: Container = current_app.extensions["addin"]
    return container
