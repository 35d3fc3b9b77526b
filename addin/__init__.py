"""addin: the backend of an Outlook / Gmail sidebar for Salesforce."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from flask import Flask

from addin.config import Settings
from addin.container import Container

if TYPE_CHECKING:
    from addin.sandbox.runtime import SandboxView

__all__ = ["create_app"]


def create_app(
    settings: Settings | None = None,
    *,
    sandbox: SandboxView | None = None,
    migrate: bool = True,
) -> Flask:
    """The application factory. Wiring only.

    In sandbox mode with ADDIN_SANDBOX_URL (`addin serve`, `addin worker`, `addin sync`,
    gunicorn) the emulators are those of that standalone sandbox; `addin serve` without it
    passes the sandbox it started in its own process."""
    from addin.devmode.accounts import connect_sandbox_users
    from addin.jobs import job_queue
    from addin.store import upgrade_to_head
    from addin.web import register_web

    settings = (settings or Settings.from_env()).resolve()
    if sandbox is None and settings.mode == "sandbox" and settings.sandbox_url:
        from addin.devmode.remote import connect_remote_sandbox

        sandbox = connect_remote_sandbox(settings)
    if sandbox is not None:
        settings = with_sandbox_urls(settings, sandbox)
    app = Flask(__name__, template_folder="templates", static_folder=None)
    app.config.update(SECRET_KEY=settings.secret_key, TESTING=settings.testing)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    container = Container.build(settings, sandbox, job_queue=job_queue)
    app.extensions["addin"] = container
    if migrate:
        upgrade_to_head(container.db.engine)
    if sandbox is not None:
        connect_sandbox_users(container, sandbox)
    register_web(app)
    return app


def with_sandbox_urls(settings: Settings, sandbox: SandboxView) -> Settings:
    """The settings with every upstream base URL pointed at the sandbox's emulators, and
    its CA trusted."""
    origins = sandbox.origins
    mapping = {
        "salesforce_login": origins.get("salesforce"),
        "graph": origins.get("graph"),
        "microsoft_login": origins.get("graph"),
        "google_calendar": origins.get("google"),
        "google_oauth": origins.get("google"),
        "google_accounts": origins.get("google"),
        "google_certs": f"{origins['google']}/oauth2/v3/certs" if "google" in origins else None,
        "gmail": origins.get("google"),
        "ews": sandbox.services.get("ews"),
        "salesforce_pubsub": sandbox.services.get("salesforcePubSub"),
    }
    upstream_urls = {**settings.upstream_urls, **{k: url for k, url in mapping.items() if url}}
    service_account = settings.google_addon_service_account
    if not service_account:
        from addin.sandbox.google_identity import ADDON_SERVICE_ACCOUNT

        service_account = ADDON_SERVICE_ACCOUNT
    return replace(settings, upstream_urls=upstream_urls, ca_bundle=sandbox.ca_path,
                   google_addon_service_account=service_account)
