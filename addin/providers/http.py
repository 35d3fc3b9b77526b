"""The single HTTP path to every upstream service.

Every call the product makes to Salesforce, Graph, Google or EWS goes through a session
built here: a default timeout, retries only where they are safe, and a count of calls per
service that benchmarks and logs read.

Retry policy: a 429 or 503 means the upstream did not process the request, so it is
retried for every method, honouring ``Retry-After`` (capped). Connection failures before
anything was sent are retried. Read timeouts and other 5xx are NOT retried here, because a
POST may have been applied; callers that made their request idempotent (Graph
``transactionId``, Google client-chosen ids) retry at their own level.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

RETRY_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class HttpSettings:
    timeout_seconds: float = 10.0
    retries: int = 3
    backoff_factor: float = 0.2
    max_retry_after_seconds: float = 30.0
    ca_bundle: str = ""


class CappedRetry(Retry):
    """urllib3 Retry whose Retry-After sleeps are capped, so a hostile upstream cannot
    park a request thread for an hour."""

    max_retry_after: float = 30.0

    def new(self, **kw: Any) -> CappedRetry:
        retry = super().new(**kw)
        retry.max_retry_after = self.max_retry_after
        return retry

    def get_retry_after(self, response: Any) -> float | None:
        value = super().get_retry_after(response)
        return None if value is None else min(value, self.max_retry_after)


class CallLedger:
    """Counts upstream calls per service, process-wide and inside ``measure()`` blocks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.total: Counter[str] = Counter()
        self._local = threading.local()

    def record(self, service: str) -> None:
        with self._lock:
            self.total[service] += 1
        scopes: list[Counter[str]] = getattr(self._local, "scopes", [])
        for scope in scopes:
            scope[service] += 1

    @contextmanager
    def measure(self) -> Iterator[Counter[str]]:
        """Count the calls this thread makes inside the block."""
        scope: Counter[str] = Counter()
        scopes = getattr(self._local, "scopes", None)
        if scopes is None:
            scopes = self._local.scopes = []
        scopes.append(scope)
        try:
            yield scope
        finally:
            scopes.remove(scope)


LEDGER = CallLedger()


class UpstreamSession(requests.Session):
    """A requests session bound to one upstream service."""

    def __init__(self, service: str, settings: HttpSettings, ledger: CallLedger = LEDGER):
        super().__init__()
        self.service = service
        self.timeout = settings.timeout_seconds
        self.ledger = ledger
        retry = CappedRetry(
            total=settings.retries,
            connect=settings.retries,
            read=0,
            status=settings.retries,
            other=0,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=None,  # status retries only for 429/503: never processed
            backoff_factor=settings.backoff_factor,
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        retry.max_retry_after = settings.max_retry_after_seconds
        adapter = HTTPAdapter(max_retries=retry, pool_connections=4, pool_maxsize=16)
        self.mount("https://", adapter)
        self.mount("http://", adapter)
        if settings.ca_bundle:
            self.verify = settings.ca_bundle
        self.headers["User-Agent"] = "addin/0.1 (+https://github.com/)"

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any,
                                   cert: Any) -> Any:
        # requests lets REQUESTS_CA_BUNDLE override a session's own CA bundle; the bundle
        # configured for this upstream (the sandbox's dev CA) must win.
        if verify is None and self.verify is not True:
            verify = self.verify
        return super().merge_environment_settings(url, proxies, stream, verify, cert)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self.timeout)
        self.ledger.record(self.service)
        return super().request(method, url, *args, **kwargs)


def build_session(service: str, settings: HttpSettings) -> UpstreamSession:
    return UpstreamSession(service, settings)
