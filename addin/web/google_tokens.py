"""Verification of Google-signed ID tokens (Gmail add-on requests).

Every request Google sends a Workspace add-on carries the add-on's system ID token in
``Authorization: Bearer``; its audience is the endpoint URL and its email the add-on's
service account. The event object carries the user's ID token, whose audience is the
add-on's OAuth client. Signatures are checked against Google's published keys (cached,
fetched again when a token names a key we do not have)."""

from __future__ import annotations

import threading
import time
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from addin.container import Container
from addin.errors import Unauthorized

ISSUERS = ["accounts.google.com", "https://accounts.google.com"]
MAX_AGE = 3600.0
MIN_REFETCH = 30.0


class GoogleKeys:
    """Google's JWKS, cached; a token naming an unknown key triggers one refetch."""

    def __init__(self, url: str, services: Container):
        self.url = url
        self._services = services
        self._lock = threading.Lock()
        self._keys: KeySet | None = None
        self._fetched = 0.0

    def _fetch(self) -> None:
        response = self._services.session_for("google").get(self.url)
        response.raise_for_status()
        self._keys = KeySet.import_key_set(response.json())
        self._fetched = time.monotonic()

    def keyset(self, kid: str | None) -> KeySet:
        with self._lock:
            age = time.monotonic() - self._fetched
            known = self._keys is not None and any(k.kid == kid for k in self._keys.keys)
            if self._keys is None or age > MAX_AGE or (not known and age > MIN_REFETCH):
                self._fetch()
            assert self._keys is not None
            return self._keys


def _keys(services: Container) -> GoogleKeys:
    cache = services.caches.get("google_keys")
    if cache is None:
        cache = services.caches["google_keys"] = GoogleKeys(
            services.settings.upstream_urls["google_certs"], services)
    return cache


def verify_google_id_token(services: Container, token: str, *, audience: str,
                           email: str | None = None) -> dict[str, Any]:
    """The token's claims, or Unauthorized."""
    try:
        header = jws.extract_compact(token.encode()).protected
        keyset = _keys(services).keyset(header.get("kid"))
        decoded = jwt.decode(token, keyset, algorithms=["RS256"])
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "values": ISSUERS},
            aud={"essential": True, "value": audience},
            exp={"essential": True}, email={"essential": True},
        ).validate(decoded.claims)
    except (JoseError, ValueError, KeyError) as exc:
        raise Unauthorized(f"The Google ID token is not valid ({exc.__class__.__name__}).",
                           code="invalid_token") from None
    except Exception as exc:  # the keys could not be fetched
        raise Unauthorized(f"Google's keys are not available ({exc}).",
                           code="invalid_token") from None
    claims = dict(decoded.claims)
    if claims.get("email_verified") is not True:
        raise Unauthorized("The Google account's email is not verified.", code="invalid_token")
    if email is not None and str(claims.get("email", "")).lower() != email.lower():
        raise Unauthorized("The request was not signed for this add-on.", code="invalid_token")
    return claims
