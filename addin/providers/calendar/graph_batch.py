"""Microsoft Graph JSON batching (``POST /v1.0/$batch``): up to 20 requests in one, each
answered with its own status. Graph counts a batch as one HTTP request but throttles each
step on its own: a step answered 429 is sent again (alone, in the next batch) after its
``Retry-After``; steps that depend on a failed one are answered 424 and fail with it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import requests

from addin.providers.calendar.http import call, raise_for
from addin.providers.calendar.provider import (
    BatchResult,
    CalendarError,
    CalendarRateLimited,
    TokenSource,
)

BATCH_LIMIT = 20
THROTTLE_RETRIES = 3
MAX_WAIT_SECONDS = 30.0


class Step:
    """One request of a batch; ``key`` is the item it answers for."""

    def __init__(self, key: str, method: str, url: str, body: Any = None,
                 headers: dict[str, str] | None = None, depends_on: Step | None = None):
        self.key, self.method, self.url, self.body = key, method, url, body
        self.headers = headers or {}
        self.depends_on = depends_on
        self.id = ""


def run_batches(session: requests.Session, tokens: TokenSource, root: str,
                chains: list[list[Step]], parse: Callable[[dict[str, Any]], Any],
                message: Callable[[Any], str | None], sleep: Callable[[float], None]
                = time.sleep) -> BatchResult:
    """Send the chains (a chain's steps in order, kept in one batch through dependsOn);
    the answer per key is ``parse`` of the last step's body, or the error it met."""
    results: BatchResult = {}
    pending = [chain for chain in chains if chain]
    for attempt in range(THROTTLE_RETRIES + 1):
        throttled: list[list[Step]] = []
        wait = 0.0
        for batch in _pack(pending):
            for chain, answer in _send(session, tokens, root, batch, message):
                if isinstance(answer, CalendarRateLimited) and attempt < THROTTLE_RETRIES:
                    throttled.append(chain)
                    wait = max(wait, answer.retry_after or 1.0)
                else:
                    results[chain[-1].key] = answer if isinstance(answer, CalendarError) \
                        else parse(answer)
        if not throttled:
            break
        sleep(min(wait, MAX_WAIT_SECONDS))
        pending = throttled
    return results


def _pack(chains: list[list[Step]]) -> list[list[list[Step]]]:
    """Chains into batches of at most 20 steps, never splitting a chain."""
    batches: list[list[list[Step]]] = []
    size = BATCH_LIMIT + 1
    for chain in chains:
        if size + len(chain) > BATCH_LIMIT:
            batches.append([])
            size = 0
        batches[-1].append(chain)
        size += len(chain)
    return batches


def _send(session: requests.Session, tokens: TokenSource, root: str,
          batch: list[list[Step]], message: Callable[[Any], str | None]
          ) -> list[tuple[list[Step], Any]]:
    requests_: list[dict[str, Any]] = []
    for chain in batch:
        previous: Step | None = None
        for step in chain:
            step.id = str(len(requests_) + 1)
            entry: dict[str, Any] = {"id": step.id, "method": step.method, "url": step.url}
            headers = {"Prefer": 'outlook.timezone="UTC"', **step.headers}
            if step.body is not None:
                entry["body"] = step.body
                headers["Content-Type"] = "application/json"
            if headers:
                entry["headers"] = headers
            if previous is not None:
                entry["dependsOn"] = [previous.id]
            requests_.append(entry)
            previous = step
    response = call(session, tokens, "POST", f"{root}/$batch",
                    json={"requests": requests_},
                    headers={"Prefer": 'outlook.timezone="UTC"'})
    raise_for(response, message)
    answers = {str(a.get("id")): a for a in response.json().get("responses", [])}
    out: list[tuple[list[Step], Any]] = []
    for chain in batch:
        outcome: Any = None
        for step in chain:
            answer = answers.get(step.id) or {"status": 500, "body": None}
            error = _error(answer, step, message)
            if error is not None:
                outcome = error
                break
            outcome = answer.get("body") or {}
        out.append((chain, outcome))
    return out


def _error(answer: dict[str, Any], step: Step, message: Callable[[Any], str | None]
           ) -> CalendarError | None:
    """The step's answer as the error the single call would have raised, if it failed."""
    status = int(answer.get("status") or 500)
    if status < 400:
        return None
    fake = requests.Response()
    fake.status_code = status
    fake.url = step.url
    fake._content = json.dumps(answer.get("body")).encode()
    retry_after = (answer.get("headers") or {}).get("Retry-After")
    if retry_after is not None:
        fake.headers["Retry-After"] = str(retry_after)
    try:
        raise_for(fake, message)
    except CalendarError as exc:
        return exc
    return None
