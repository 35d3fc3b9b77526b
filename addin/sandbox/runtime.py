"""Starts the emulators, each on its own origin (port) over HTTPS, in background threads.

Every emulator factory has the signature ``create_app(state, seed, base_url) -> Flask``.
``EMULATORS`` lists the services that exist; a service appears in the sandbox index once
its emulator is listed here.
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from werkzeug.serving import WSGIRequestHandler

from addin.sandbox import control
from addin.sandbox.durable import Durability
from addin.sandbox.http_server import EmulatorServer
from addin.sandbox.seed import DEFAULT_SEED, SeedData
from addin.sandbox.state import SandboxState
from addin.sandbox.tls import HOSTS, DevCertificates, ensure_dev_certificates

# service name -> ("module:factory", path suffix appended to the origin in the index).
EMULATORS: dict[str, tuple[str, str]] = {
    "salesforce": ("addin.sandbox.salesforce.app:create_app", ""),
    "google": ("addin.sandbox.google.app:create_app", "/calendar/v3"),
    "graph": ("addin.sandbox.graph.app:create_app", "/v1.0"),
    "ews": ("addin.sandbox.ews.app:create_app", "/EWS/Exchange.asmx"),
}

# Blueprints mounted into an emulator's app after it is built, for concerns that several
# emulators share in shape (OAuth endpoints, identity-provider keys):
# service name -> ["module:blueprint_factory", ...]; factory(state, seed, base_url) -> Blueprint.
MOUNTS: dict[str, list[str]] = {
    "salesforce": ["addin.sandbox.oauth:salesforce_oauth"],
    "graph": ["addin.sandbox.entra:entra_identity"],  # Microsoft identity platform
    "google": ["addin.sandbox.oauth:google_oauth",
               "addin.sandbox.google_identity:google_identity",
               "addin.sandbox.gmail:gmail_messages"],
}

CALENDAR_SERVICES = ("graph", "google", "ews")


@dataclass
class SandboxUser:
    """A seeded person as the sandbox index shows them."""

    email: str
    name: str
    provider: str
    salesforce_user_id: str
    experience: str
    is_admin: bool
    mailbox_available: bool = True  # False until the emulator of their mailbox exists
    upstream_tokens: dict[str, str] = field(default_factory=dict)
    upstream_refresh_tokens: dict[str, str] = field(default_factory=dict)
    # a multi-org seed: the Salesforce org of this user (empty: the sandbox's org)
    org_id: str = ""
    org_name: str = ""


class SandboxView(Protocol):
    """What the product needs to know about a sandbox, whether it runs in its process
    (``SandboxRuntime``) or on its own (``addin sandbox``, read from its index)."""

    @property
    def origins(self) -> dict[str, str]: ...
    @property
    def services(self) -> dict[str, str]: ...
    @property
    def ca_path(self) -> str: ...
    @property
    def users(self) -> list[SandboxUser]: ...
    @property
    def world_id(self) -> str: ...
    @property
    def org_id(self) -> str: ...
    @property
    def org_name(self) -> str: ...


class QuietRequestHandler(WSGIRequestHandler):
    """For Werkzeug servers in benchmarks: do not log every request."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class SandboxRuntime:
    """The running sandbox: shared state, one HTTPS server per emulator, and a control
    server (HTTPS too, or plain HTTP for a standalone sandbox's index).

    With ``state_dir`` the sandbox keeps its state there (durable.py) and a restart picks
    up the same world; without it each start is a new world, in memory.
    """

    def __init__(
        self,
        instance_path: str | Path,
        *,
        host: str = "127.0.0.1",
        port_base: int = 0,
        latency_ms: int = 0,
        seed: SeedData = DEFAULT_SEED,
        services: tuple[str, ...] | None = None,
        state_dir: str | Path | None = None,
        ports: dict[str, int] | None = None,
        control_tls: bool = True,
        callback_cas: tuple[Path, ...] = (),
    ):
        self.host = host
        self.port_base = port_base
        self.ports = dict(ports or {})
        self.control_tls = control_tls
        self.seed = seed
        self.state = SandboxState()
        self.state.settings["latencyMs"] = latency_ms
        self.certs: DevCertificates = ensure_dev_certificates(
            Path(instance_path) / "dev-ca", tuple(dict.fromkeys((host, *HOSTS))))
        self.state.callback_trust = self.certs.callback_trust(callback_cas)
        self.wanted = services if services is not None else tuple(EMULATORS)
        self.origins: dict[str, str] = {}
        self.apps: dict[str, Any] = {}
        self._servers: list[EmulatorServer] = []
        self._bound: dict[str, EmulatorServer] = {}
        self._threads: list[threading.Thread] = []
        self._users: list[SandboxUser] = []
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self.durability: Durability | None = None
        self.restored = False  # True when a restart picked up a saved world
        # the seeded users' upstream tokens, kept so that they stay the same across restarts
        self._seed_tokens: dict[str, dict[str, dict[str, str]]] = self.state.keep(
            "seedTokens", {})
        self.pubsub: Any = None  # the Salesforce Pub/Sub API server, once started

    # -- lifecycle ------------------------------------------------------------------
    def start(self) -> SandboxRuntime:
        """Bind, build and serve every emulator; if any step fails, what was already bound
        or started is stopped again (each bound server holds a pool of threads that would
        otherwise keep the process from exiting)."""
        try:
            return self._start()
        except BaseException:
            self._release()
            raise

    def _start(self) -> SandboxRuntime:
        names = [name for name in EMULATORS if name in self.wanted]
        servers: dict[str, EmulatorServer] = {}
        self._bound = servers  # released by stop() / a failed start
        for offset, name in enumerate(["control", *names]):
            port = self.ports.get(name) or (self.port_base + offset if self.port_base else 0)
            tls = name != "control" or self.control_tls
            server = EmulatorServer(self.host, port,
                                    cert_path=str(self.certs.cert_path) if tls else None,
                                    key_path=str(self.certs.key_path) if tls else None)
            servers[name] = server
            scheme = "https" if tls else "http"
            self.origins[name] = f"{scheme}://{self.host}:{server.server_port}"
        for name in names:
            module_name, factory_name = EMULATORS[name][0].split(":")
            factory = getattr(importlib.import_module(module_name), factory_name)
            app = factory(self.state, self.seed, self.origins[name])
            for mount in MOUNTS.get(name, []):
                mount_module, mount_factory = mount.split(":")
                blueprint = getattr(importlib.import_module(mount_module), mount_factory)
                app.register_blueprint(blueprint(self.state, self.seed, self.origins[name]))
            servers[name].app = app
            self.apps[name] = app
        if "salesforce" in self.apps:  # its Pub/Sub API (gRPC): change events
            from addin.sandbox.salesforce.pubsub import start_pubsub

            self.pubsub = start_pubsub(
                self.state, self.apps["salesforce"], str(self.certs.key_path),
                str(self.certs.cert_path), self.host, self.ports.get("salesforce-pubsub", 0),
                self.seed.org_id, self.origins["salesforce"])
        servers["control"].app = control.create_app(self.state, self.services, self.describe)
        if self.state_dir is not None:
            self._make_durable(servers)
        self._seed_users()
        if self.durability is not None:
            self.durability.commit(force=True)  # the world and its tokens, before serving
        for name, server in servers.items():
            thread = threading.Thread(target=server.serve_forever, name=f"sandbox-{name}",
                                      daemon=True)
            thread.start()
            self._servers.append(server)
            self._threads.append(thread)
        return self

    def _make_durable(self, servers: dict[str, EmulatorServer]) -> None:
        assert self.state_dir is not None
        externals: dict[str, Any] = {"state": self.state}
        for name in ("graph", "google"):
            holder = self.state.durable.get(name)
            if holder is not None and hasattr(holder, "sender"):
                externals[f"{name}.sender"] = holder.sender
        self.durability = Durability(self.state_dir, self.state.durable, self.state.counters,
                                     externals, self.meta)
        self.restored = self.durability.load()
        self.state.sleep = self.durability.sleep
        self.state.waiting = self.durability.waiting
        for server in servers.values():
            server.app = self.durability.wrap(server.app)

    def stop(self) -> None:
        self._release()
        if self.durability is not None:
            self.durability.commit(force=True)  # the counters too

    def _release(self) -> None:
        """Stop every server bound so far, serving or not, and the Pub/Sub server."""
        servers = list(dict.fromkeys([*self._servers, *self._bound.values()]))
        # each shutdown waits for its server's next poll (0.5 s): wait for all at once
        stopping = [threading.Thread(target=server.shutdown) for server in servers]
        for thread in stopping:
            thread.start()
        for thread in stopping:
            thread.join()
        for server in servers:
            server.server_close()
        self._servers.clear()
        self._bound = {}
        if self.pubsub is not None:
            self.pubsub.stop()
            self.pubsub = None

    def __enter__(self) -> SandboxRuntime:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what the index shows -------------------------------------------------------
    @property
    def services(self) -> dict[str, str]:
        urls = {name: origin + EMULATORS[name][1] for name, origin in self.origins.items()
                if name in EMULATORS}
        control_origin = self.origins["control"]
        urls.update({
            "mail": f"{control_origin}/mail",
            "stats": f"{control_origin}/stats",
            "faults": f"{control_origin}/faults",
            "settings": f"{control_origin}/settings",
        })
        if self.pubsub is not None:  # a gRPC target (host:port), not a URL
            urls["salesforcePubSub"] = self.pubsub.target
        return urls

    @property
    def ca_path(self) -> str:
        return str(self.certs.ca_path)

    @property
    def world_id(self) -> str:
        return str(self.state.world["id"])

    @property
    def org_id(self) -> str:
        return self.seed.org_id

    @property
    def org_name(self) -> str:
        return self.seed.org_name

    def meta(self) -> dict[str, Any]:
        """What the state folder records about this world besides the emulators' data."""
        return {"world": dict(self.state.world), "origins": dict(self.origins)}

    def describe(self) -> dict[str, Any]:
        """The index of a sandbox, as its control server answers ``GET /sandbox``: all a
        product or a person needs to use it (``addin serve`` adds its own API tokens).
        The seeded users' tokens it lists are valid now: one expired or revoked since
        (``/sandbox-ui/oauth/expire``, a rotated refresh token) is replaced."""
        return {
            "mode": "sandbox",
            "sandboxId": self.world_id,
            "createdAt": self.state.world["createdAt"],
            "origins": dict(self.origins),
            "services": self.services,
            "caCertificate": self.ca_path,
            "caPem": self.certs.ca_path.read_text(),
            "org": {"id": self.org_id, "name": self.org_name},
            "users": [{
                "email": user.email, "name": user.name, "provider": user.provider,
                "salesforceUserId": user.salesforce_user_id, "experience": user.experience,
                "isAdmin": user.is_admin, "mailboxAvailable": user.mailbox_available,
                "upstreamTokens": dict(user.upstream_tokens),
                "upstreamRefreshTokens": dict(user.upstream_refresh_tokens),
                **({"orgId": user.org_id, "orgName": user.org_name} if user.org_id else {}),
            } for user in self.users],
        }

    @property
    def users(self) -> list[SandboxUser]:
        """The seeded users, their tokens valid now: one expired or revoked since it was
        listed (``/sandbox-ui/oauth/expire``, a refresh token rotated away) is replaced."""
        for user in self._users:
            for tokens, kind in ((user.upstream_tokens, "access"),
                                 (user.upstream_refresh_tokens, "refresh")):
                for service in tokens:
                    tokens[service] = self._token(user.email, service, kind)
        return self._users

    def _token(self, email: str, service: str, kind: str) -> str:
        """The seeded token of that user, the same one as long as the world lives."""
        kept = self._seed_tokens.setdefault(email, {}).setdefault(kind, {})
        token = kept.get(service)
        if token is None or self.state.tokens.lookup(service, token, kind) is None:
            token = kept[service] = self.state.tokens.issue(service, email, kind=kind)
        return token

    def _seed_users(self) -> None:
        available = set(self.origins)
        self._users = []
        for seed_user in self.seed.users:
            user = SandboxUser(
                email=seed_user.email,
                name=seed_user.name,
                provider=seed_user.provider,
                salesforce_user_id=seed_user.id,
                experience=seed_user.experience,
                is_admin=seed_user.is_admin,
                mailbox_available=seed_user.provider in available,
            )
            if self.seed.organizations:
                org = self.seed.org_of(seed_user.email)
                user.org_id, user.org_name = org.org_id, org.org_name
            for service in ("salesforce", seed_user.provider):
                if service not in available:
                    continue
                user.upstream_tokens[service] = self._token(seed_user.email, service, "access")
                user.upstream_refresh_tokens[service] = self._token(seed_user.email, service,
                                                                    "refresh")
            self._users.append(user)

    def user(self, email: str) -> SandboxUser:
        for user in self.users:
            if user.email == email:
                return user
        raise KeyError(email)
