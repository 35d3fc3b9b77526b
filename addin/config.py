"""Settings, read from ``ADDIN_*`` environment variables and an optional TOML file.

The product runs in SANDBOX mode unless real credentials for Salesforce and at least one
mailbox service are configured (or ``ADDIN_MODE=live`` is set explicitly).  Sandbox mode
points every upstream base URL at the local emulators; nothing else changes.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

REAL_UPSTREAM_URLS: dict[str, str] = {
    "salesforce_login": "https://login.salesforce.com",
    "graph": "https://graph.microsoft.com",
    "microsoft_login": "https://login.microsoftonline.com",
    "google_calendar": "https://www.googleapis.com",
    "google_oauth": "https://oauth2.googleapis.com",
    "google_accounts": "https://accounts.google.com",
    "google_certs": "https://www.googleapis.com/oauth2/v3/certs",
    "gmail": "https://gmail.googleapis.com",
    "ews": "",
    # Salesforce's Pub/Sub API (gRPC: host:port, not a URL): change events
    "salesforce_pubsub": "api.pubsub.salesforce.com:7443",
}


def _env_bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Every setting of the product. Field names map to ``ADDIN_<NAME>`` variables.

    Frozen: what differs (the instance folder's defaults, a sandbox's URLs) is built up front
    with ``dataclasses.replace``, never changed on a running app's settings."""

    mode: str = ""  # "sandbox" | "live"; empty = decide from credentials
    public_url: str = "http://127.0.0.1:5000"
    instance_path: str = "instance"
    database_url: str = ""
    secret_key: str = ""
    token_keys: str = ""  # comma-separated Fernet keys, newest first; default: from secret_key
    salesforce_client_id: str = ""
    salesforce_client_secret: str = ""
    salesforce_api_version: str = "62.0"
    # listen to Salesforce change events (Pub/Sub API) for Event and EventRelation; the
    # org must have Change Data Capture selected for both (Setup > Change Data Capture)
    salesforce_change_events: bool = True
    # while an organization's change events flow, a scheduled poll reads Salesforce at most
    # this often per user (the other polls read only the calendar): the safety net
    salesforce_poll_with_change_events_seconds: int = 3600
    salesforce_multi_day_events: bool = False  # the org allows events longer than a day
    microsoft_client_id: str = ""
    microsoft_client_secret: str = ""
    microsoft_tenant: str = "common"
    # any Microsoft 365 tenant may start an organization (multi-tenant service); otherwise
    # only ADDIN_MICROSOFT_TENANT and tenants an organization allows get in
    microsoft_open_signup: bool = False
    google_client_id: str = ""
    google_client_secret: str = ""
    google_addon_service_account: str = ""
    ews_url: str = ""
    ca_bundle: str = ""  # extra CA bundle for upstream TLS (the sandbox's dev CA)
    http_timeout_seconds: float = 10.0
    http_retries: int = 3
    http_max_retry_after_seconds: float = 30.0
    cors_origins: str = (
        "https://outlook.office.com,https://outlook.office365.com,https://outlook.live.com,"
        "https://mail.google.com"
    )
    run_worker: bool = True
    # how long a process holds an outbox operation (a create's intent) before the worker
    # may take it over: longer than any request can take (timeouts x retries x Retry-After)
    outbox_lease_seconds: int = 300
    poll_interval_seconds: int = 60
    # the job engine: "auto" = Procrastinate on PostgreSQL, the in-process runner on SQLite
    job_engine: str = "auto"
    worker_concurrency: int = 4  # jobs one `addin worker` process runs at once
    # Procrastinate: how often a worker proves it is alive, and after how long without a
    # sign of life its running jobs are taken for stalled and retried (kill -9, lost host)
    worker_heartbeat_seconds: float = 10.0
    worker_stalled_seconds: float = 60.0
    # Salesforce API budget per organization (Sforce-Limit-Info api-usage=N/M): above
    # slow_percent polls are spaced out by poll_slowdown and backfills wait; above
    # stop_percent only passes a person or a notification asked for still run
    salesforce_budget_slow_percent: float = 80.0
    salesforce_budget_stop_percent: float = 95.0
    salesforce_budget_poll_slowdown: int = 4
    # defaults of the per-organization sync settings (admins change them through the API)
    sync_direction: str = "two_way"
    graph_classic_policy: str = "hold"
    delete_propagation: str = "both_ways"
    ignored_domains: str = ""  # comma-separated; empty: the common free-mail domains
    sandbox_latency_ms: int = 0
    sandbox_port_base: int = 0  # 0: free ports
    sandbox_url: str = ""  # a standalone sandbox (`addin sandbox`) instead of an in-process one
    # read-only (a frozen Settings stays frozen): change it with dataclasses.replace
    upstream_urls: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType(dict(REAL_UPSTREAM_URLS)))
    testing: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "upstream_urls", MappingProxyType(dict(self.upstream_urls)))

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        values: dict[str, Any] = {}
        config_file = env.get("ADDIN_CONFIG_FILE")
        if config_file:
            with open(config_file, "rb") as handle:
                values.update({k.lower(): v for k, v in tomllib.load(handle).items()})
        for spec in fields(cls):
            raw = env.get(f"ADDIN_{spec.name.upper()}")
            if raw is None or spec.name == "upstream_urls":
                continue
            values[spec.name] = raw
        upstream_urls = dict(values.get("upstream_urls", REAL_UPSTREAM_URLS))
        for key in REAL_UPSTREAM_URLS:
            override = env.get(f"ADDIN_UPSTREAM_{key.upper()}")
            if override:
                upstream_urls[key] = override.rstrip("/")
        values["upstream_urls"] = upstream_urls
        return cls(**{k: v for k, v in values.items() if k in _FIELD_NAMES})._coerced()

    def _coerced(self) -> Settings:
        changes: dict[str, Any] = {}
        for spec in fields(self):
            value = getattr(self, spec.name)
            if not isinstance(value, str):
                continue
            if spec.type == "bool":
                changes[spec.name] = _env_bool(value)
            elif spec.type == "int":
                changes[spec.name] = int(value)
            elif spec.type == "float":
                changes[spec.name] = float(value)
        changes["sandbox_url"] = self.sandbox_url.strip().rstrip("/")
        coerced = replace(self, **changes)
        if coerced.sandbox_url and not coerced.sandbox_url.startswith(("http://", "https://")):
            raise ValueError("ADDIN_SANDBOX_URL must be an http:// or https:// URL, "
                             f"not {coerced.sandbox_url!r}")
        if coerced.sandbox_url and coerced.mode == "live":
            raise ValueError("ADDIN_SANDBOX_URL names a sandbox, but ADDIN_MODE is live")
        for name, allowed in SETTING_CHOICES.items():
            if getattr(coerced, name) not in allowed:
                raise ValueError(f"ADDIN_{name.upper()} must be one of {', '.join(allowed)}, "
                                 f"not {getattr(coerced, name)!r}")
        return coerced

    # -- derived values -------------------------------------------------------------
    @property
    def has_real_credentials(self) -> bool:
        mailbox = bool(self.microsoft_client_id or self.google_client_id or self.ews_url)
        return bool(self.salesforce_client_id) and mailbox

    @property
    def is_sandbox(self) -> bool:
        if self.mode:
            return self.mode == "sandbox"
        return bool(self.sandbox_url) or not self.has_real_credentials

    @property
    def sandbox_in_process(self) -> bool:
        """Sandbox mode with the emulators inside this process (no ADDIN_SANDBOX_URL)."""
        return self.mode == "sandbox" and not self.sandbox_url

    @property
    def uses_procrastinate(self) -> bool:
        """Jobs go to Procrastinate (PostgreSQL) rather than the in-process runner."""
        if self.job_engine == "auto":
            return self.database_url.startswith(("postgresql", "postgres://"))
        return self.job_engine == "procrastinate"

    def resolve(self) -> Settings:
        """These settings with the defaults that depend on the instance folder filled in;
        creates that folder."""
        instance = Path(self.instance_path).resolve()
        instance.mkdir(parents=True, exist_ok=True)
        resolved = replace(self, instance_path=str(instance),
                           mode=self.mode or ("sandbox" if self.is_sandbox else "live"))
        if not resolved.database_url:
            resolved = replace(resolved, database_url=(
                f"sqlite:///{instance / default_database_name(resolved)}"))
        if not resolved.secret_key:
            key_file = instance / "secret_key"
            if not key_file.exists():
                key_file.write_text(secrets.token_urlsafe(48))
                key_file.chmod(0o600)
            resolved = replace(resolved, secret_key=key_file.read_text().strip())
        return resolved

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]


def default_database_name(settings: Settings) -> str:
    """The SQLite file used when ADDIN_DATABASE_URL is not set: live mode's, the one a
    standalone sandbox's product keeps (it lives as long as that sandbox's world), and
    the in-process sandbox's own, which `addin serve` recreates at every start (cli.py)."""
    if settings.mode != "sandbox":
        return "addin.sqlite3"
    return "addin-sandbox.sqlite3" if settings.sandbox_url else IN_PROCESS_SANDBOX_DATABASE


IN_PROCESS_SANDBOX_DATABASE = "sandbox.sqlite3"
SYNC_DIRECTIONS = ("two_way", "sf_to_calendar")
GRAPH_CLASSIC_POLICIES = ("hold", "mirror")
DELETE_PROPAGATION = ("both_ways", "sf_to_calendar", "none")
JOB_ENGINES = ("auto", "procrastinate", "in_process")
SETTING_CHOICES = {"job_engine": JOB_ENGINES, "sync_direction": SYNC_DIRECTIONS,
                   "graph_classic_policy": GRAPH_CLASSIC_POLICIES,
                   "delete_propagation": DELETE_PROPAGATION}
_FIELD_NAMES = {spec.name for spec in fields(Settings)}


def settings_for_tests(instance_path: str, **overrides: Any) -> Settings:
    """Settings for the test suite: sandbox mode, a throwaway instance folder, fast HTTP."""
    settings = Settings(
        mode="sandbox",
        instance_path=instance_path,
        secret_key="test-secret-key-not-for-production",
        http_timeout_seconds=5.0,
        testing=True,
        run_worker=False,
    )
    return replace(settings, **overrides).resolve()
