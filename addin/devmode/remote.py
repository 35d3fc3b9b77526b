"""A standalone sandbox (`addin sandbox`), seen from the product: ADDIN_SANDBOX_URL names
its index, which lists the emulators' URLs, the seeded users with their upstream tokens,
and the development CA the emulators' TLS certificates come from. Every process of the
product (`addin serve`, `addin worker`, `addin sync`, each gunicorn worker) reads it at
start, so they all work against the same emulators, which outlive them."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from addin.config import Settings
from addin.sandbox.runtime import SandboxUser

WAIT_SECONDS = 15.0  # a sandbox started at the same time gets this long to answer


class SandboxUnavailable(RuntimeError):
    """ADDIN_SANDBOX_URL does not answer with a sandbox index."""


@dataclass
class RemoteSandbox:
    url: str
    world_id: str
    origins: dict[str, str]
    services: dict[str, str]
    ca_path: str
    users: list[SandboxUser]
    org_id: str
    org_name: str


def fetch_index(settings: Settings, wait_seconds: float | None = None) -> dict[str, Any]:
    """``GET {ADDIN_SANDBOX_URL}/sandbox``, waiting a little for a sandbox still starting.
    Over https the sandbox's certificate is checked against ADDIN_CA_BUNDLE (for instance
    the dev CA in the sandbox's state folder) or the system's CAs."""
    url = f"{settings.sandbox_url}/sandbox"
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE must not override ADDIN_CA_BUNDLE
    session.verify = settings.ca_bundle or True
    deadline = time.monotonic() + (WAIT_SECONDS if wait_seconds is None else wait_seconds)
    while True:
        try:
            answer = session.get(url, timeout=min(settings.http_timeout_seconds, 5.0))
            if answer.status_code == 200:
                body = answer.json()
                if isinstance(body, dict) and body.get("mode") == "sandbox":
                    return body
            problem = f"answered {answer.status_code}"
        except (requests.RequestException, ValueError) as exc:
            problem = f"does not answer ({exc.__class__.__name__}: {exc})"
        if time.monotonic() >= deadline:
            raise SandboxUnavailable(
                f"ADDIN_SANDBOX_URL: {url} {problem}; start it with `addin sandbox`")
        time.sleep(0.2)


def _write_ca(settings: Settings, world_id: str, pem: str) -> str:
    """The sandbox's CA, as a file the product's HTTP sessions trust (written atomically:
    several processes may start at once)."""
    folder = Path(settings.instance_path) / "sandbox-ca"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{world_id}.pem"
    if not path.exists() or path.read_text() != pem:
        temporary = folder / f".{world_id}.{os.getpid()}.tmp"
        temporary.write_text(pem)
        os.replace(temporary, path)
    return str(path)


def connect_remote_sandbox(settings: Settings) -> RemoteSandbox:
    index = fetch_index(settings)
    try:
        world_id = str(index["sandboxId"])
        if not world_id.isalnum():
            raise KeyError("sandboxId")
        users = [SandboxUser(
            email=u["email"], name=u["name"], provider=u["provider"],
            salesforce_user_id=u["salesforceUserId"], experience=u["experience"],
            is_admin=bool(u["isAdmin"]), mailbox_available=bool(u["mailboxAvailable"]),
            upstream_tokens=dict(u["upstreamTokens"]),
            upstream_refresh_tokens=dict(u["upstreamRefreshTokens"]),
            org_id=str(u.get("orgId") or ""), org_name=str(u.get("orgName") or ""),
        ) for u in index["users"]]
        return RemoteSandbox(
            url=settings.sandbox_url, world_id=world_id, origins=dict(index["origins"]),
            services=dict(index["services"]),
            ca_path=_write_ca(settings, world_id, str(index["caPem"])), users=users,
            org_id=str(index["org"]["id"]), org_name=str(index["org"]["name"]))
    except (KeyError, TypeError) as exc:
        raise SandboxUnavailable(f"ADDIN_SANDBOX_URL: {settings.sandbox_url}/sandbox is not "
                                 f"a sandbox index (missing {exc})") from None
