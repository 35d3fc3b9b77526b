"""A Salesforce client's view of the shared keep-alive session: its answers also go to a
hook with the organization the client acts for (the org's API budget counts them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

# (organization id, a Salesforce answer) -> None
AnswerHook = Callable[[int, requests.Response], None]


class AnsweredSession:
    """The shared keep-alive session as one client uses it: every answer to this client's
    requests also goes to its ``on_answer`` hook, with the client's organization."""

    def __init__(self, session: requests.Session, organization_id: int,
                 on_answer: AnswerHook):
        self._shared = session
        self._organization_id = organization_id
        self._on_answer = on_answer

    def _answered(self, response: requests.Response, *_args: Any, **_kwargs: Any
                  ) -> requests.Response:
        self._on_answer(self._organization_id, response)
        return response

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        hooks = dict(kwargs.pop("hooks", None) or {})
        given = hooks.get("response") or []
        hooks["response"] = [*(given if isinstance(given, list) else [given]), self._answered]
        return self._shared.request(method, url, hooks=hooks, **kwargs)

    def __getattr__(self, name: str) -> Any:  # headers, proxies, ...: the shared session's
        return getattr(self._shared, name)
