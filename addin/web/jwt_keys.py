"""Verifying JWTs from identity providers: their published keys (JWKS) fetched through
the single HTTP path, cached, fetched again when a token names a key we do not have."""

from __future__ import annotations

import threading
import time
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from addin.container import Container
from addin.errors import Unauthorized

MAX_AGE = 3600.0
MIN_REFETCH = 30.0


class JwksCache:
    def __init__(self, url: str, container: Container, service: str):
        self.url = url
        self._services = container
        self._service = service
        self._lock = threading.Lock()
        self._keys: KeySet | None = None
        self._fetched = 0.0

    def keyset(self, kid: str | None) -> KeySet:
        with self._lock:
            age = time.monotonic() - self._fetched
            known = self._keys is not None and any(k.kid == kid for k in self._keys.keys)
            if self._keys is None or age > MAX_AGE or (not known and age > MIN_REFETCH):
                response = self._services.session_for(self._service).get(self.url)
                response.raise_for_status()
                self._keys = KeySet.import_key_set(response.json())
                self._fetched = time.monotonic()
            return self._keys


def jwks(container: Container, url: str, service: str) -> JwksCache:
    key = f"jwks:{url}"
    cache = container.caches.get(key)
    if cache is None:
        cache = container.caches[key] = JwksCache(url, container, service)
    return cache


def unverified_header(token: str) -> dict[str, Any]:
    """The JOSE header, or {} when the token is not a JWS at all."""
    try:
        return dict(jws.extract_compact(token.encode()).protected)
    except (JoseError, ValueError, UnicodeError):
        return {}


def verify(container: Container, token: str, *, jwks_url: str, service: str,
           claims: dict[str, Any], what: str) -> dict[str, Any]:
    """Signature (RS256, keys from ``jwks_url``) and claims, or Unauthorized."""
    try:
        header = jws.extract_compact(token.encode()).protected
        keyset = jwks(container, jwks_url, service).keyset(header.get("kid"))
        decoded = jwt.decode(token, keyset, algorithms=["RS256"])
        jwt.JWTClaimsRegistry(**claims).validate(decoded.claims)
    except (JoseError, ValueError, KeyError) as exc:
        raise Unauthorized(f"The {what} is not valid ({exc.__class__.__name__}).",
                           code="invalid_token") from None
    except Exception as exc:  # the keys could not be fetched
        raise Unauthorized(f"The {what} cannot be checked now ({exc}).",
                           code="invalid_token") from None
    return dict(decoded.claims)
