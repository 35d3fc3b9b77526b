"""What the HTTP calendar providers share: calling with a bearer token (refreshed once on
401) and turning upstream failures into the calendar error classes."""

from __future__ import annotations

from typing import Any

import requests

from addin.providers.calendar.provider import (
    CalendarAuthError,
    CalendarError,
    CalendarRateLimited,
    CalendarUnavailable,
    EtagMismatch,
    ItemNotFound,
    TokenSource,
)


def call(session: requests.Session, tokens: TokenSource, method: str, url: str,
         **kwargs: Any) -> requests.Response:
    """One upstream call; a 401 refreshes the token once and tries again."""
    headers = dict(kwargs.pop("headers", None) or {})
    for attempt in range(2):
        token = tokens.access_token() if attempt == 0 else tokens.refresh()
        headers["Authorization"] = f"Bearer {token}"
        try:
            response = session.request(method, url, headers=headers, **kwargs)
        except requests.RequestException as exc:
            # the transport's text names hosts and ports: kept in the chained exception
            # (for the log), never in the message (which may reach a client)
            raise CalendarUnavailable(f"the calendar could not be reached "
                                      f"({exc.__class__.__name__})", url=url) from exc
        if response.status_code != 401:
            return response
    raise CalendarAuthError("the calendar rejected the token", status=401, url=url,
                            body=_body(response))


def raise_for(response: requests.Response, message_of: Any = None) -> None:
    status = response.status_code
    if status < 400:
        return
    body = _body(response)
    message = message_of(body) if message_of else None
    message = message or f"the calendar answered {status}"
    retry_after = response.headers.get("Retry-After")
    kind: type[CalendarError]
    if status in (404, 410):
        kind = ItemNotFound
    elif status == 412:
        kind = EtagMismatch
    elif status == 429 or (status == 403 and "ateLimit" in str(body)):
        kind = CalendarRateLimited
    elif status in (401, 403):
        kind = CalendarAuthError
    elif status >= 500:
        kind = CalendarUnavailable
    else:
        kind = CalendarError
    raise kind(message, status=status, body=body, url=response.url,
               retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None)


def _body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:500]
