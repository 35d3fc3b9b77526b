"""What every Gmail add-on request carries, read once: the verified caller (Google-signed
system and user ID tokens; the person is the user token's ``sub``), their zone, the widget
action's parameters and the card's form inputs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import request

from addin.accounts.identity import CurrentUser, GoogleIdentity, user_for_google
from addin.accounts.oauth import endpoints
from addin.container import Container, current_container
from addin.errors import ApiError, Unauthorized
from addin.services.schemas import EARLIEST, LATEST
from addin.web.auth import bearer_token
from addin.web.google_tokens import verify_google_id_token


class Caller:
    def __init__(self, event: dict[str, Any], user: CurrentUser, email: str):
        self.event = event
        self.user = user
        self.email = email
        common = event.get("commonEventObject") or {}
        zone = (common.get("timeZone") or {})
        try:
            self.zone = ZoneInfo(str(zone.get("id") or "UTC"))
        except (ZoneInfoNotFoundError, ValueError):
            self.zone = ZoneInfo("UTC")
        self.zone_id = self.zone.key
        self.offset_minutes = int(zone.get("offset") or 0) // 60000

    @property
    def parameters(self) -> dict[str, Any]:
        """The widget action's parameters."""
        return dict((self.event.get("commonEventObject") or {}).get("parameters") or {})


def read_caller(container: Container) -> Caller:
    event = request.get_json(silent=True)
    if not isinstance(event, dict):
        raise ApiError("A Google Workspace add-on event object is required.")
    token = bearer_token()
    if token is None:
        raise Unauthorized("The add-on's system ID token is missing.")
    audience = container.settings.public_url.rstrip("/") + request.path
    verify_google_id_token(container, token, audience=audience,
                           email=container.settings.google_addon_service_account)
    user_token = (event.get("authorizationEventObject") or {}).get("userIdToken")
    if not user_token:
        raise Unauthorized("The user's ID token is missing from the event.")
    claims = verify_google_id_token(container, str(user_token),
                                    audience=endpoints(container, "google").client_id)
    email = str(claims["email"])
    if not claims.get("sub"):
        raise Unauthorized("The user's ID token has no subject.", code="invalid_token")
    user = user_for_google(container, GoogleIdentity(
        sub=str(claims["sub"]), name=str(claims.get("name") or ""), email=email,
        hosted_domain=str(claims["hd"]) if claims.get("hd") else None))
    return Caller(event, user, email)


def action_url(name: str) -> str:
    return f"{current_container().settings.public_url.rstrip('/')}/gmail/{name}"


def form_inputs(caller: Caller) -> dict[str, Any]:
    raw = (caller.event.get("commonEventObject") or {}).get("formInputs") or {}
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if not isinstance(value, dict):
            continue
        if "stringInputs" in value:
            strings = (value["stringInputs"] or {}).get("value") or []
            values[name] = strings[0] if strings else ""
        elif "dateTimeInput" in value or "dateInput" in value:
            picked = value.get("dateTimeInput") or value.get("dateInput") or {}
            values[name] = integer(picked.get("msSinceEpoch") if isinstance(picked, dict)
                                   else None)
    return values


def integer(value: Any) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def moment(ms: Any) -> datetime | None:
    """A date picker's value; None when it is no instant (the form then names the field)."""
    if not isinstance(ms, int):
        return None
    try:
        at = datetime.fromtimestamp(ms / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return at if EARLIEST <= at <= LATEST else None
