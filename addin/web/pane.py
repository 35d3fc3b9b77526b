"""The Outlook task pane: the Create dialog (HTML from Jinja2, plain ES modules), and the
two pages its sign-in needs: MSAL's redirect bridge (the popup's landing page) and the
Office-dialog sign-in for Outlook hosts without Nested App Authentication."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, jsonify, render_template, request

from addin.accounts.oauth import GRAPH_OBO_SCOPE, endpoints
from addin.container import Container, current_container
from addin.services.time_zones import iana_zone, zone_choices, zone_label
from addin.web.security import policy

blueprint = Blueprint("pane", __name__)
OFFICE_JS = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js"
MICROSOFT_AUTHORITY_HOSTS = ("login.microsoftonline.com", "login.microsoft.com",
                             "login.windows.net")


def auth_config(container: Container) -> dict[str, Any]:
    """What MSAL.js needs: the Entra app, its authority (the sandbox's emulator is not a
    Microsoft host, so it is listed in knownAuthorities), the API scope and the Graph
    scopes the person consents to up front (the backend uses them on their behalf)."""
    settings = container.settings
    login = settings.upstream_urls["microsoft_login"].rstrip("/")
    client_id = endpoints(container, "graph").client_id
    host = urlsplit(settings.public_url).netloc
    login_host = urlsplit(login).netloc
    return {
        "clientId": client_id,
        "authority": f"{login}/{settings.microsoft_tenant}",
        "knownAuthorities": [] if login_host in MICROSOFT_AUTHORITY_HOSTS else [login_host],
        "apiScope": f"api://{host}/{client_id}/access_as_user",
        "graphScopes": [s for s in GRAPH_OBO_SCOPE.split() if s != "offline_access"],
        "sandbox": settings.mode == "sandbox",
    }


def _page(template: str, **context: Any) -> Response:
    container = current_container()
    config = auth_config(container)
    login = container.settings.upstream_urls["microsoft_login"].rstrip("/")
    html = render_template(template, office_js=OFFICE_JS, auth_config=config,
                           sandbox=config["sandbox"], **context)
    response = Response(html, mimetype="text/html")
    # MSAL talks to the identity platform from the page (discovery, token endpoint) and
    # may renew in a hidden frame.
    response.headers["Content-Security-Policy"] = policy(connect=(login,), frame=(login,))
    return response


@blueprint.get("/outlook/pane")
def pane() -> Any:
    return _page("outlook/pane.html")


@blueprint.get("/outlook/auth-redirect")
def auth_redirect() -> Any:
    """MSAL's redirect bridge: hands the authorization response back to the pane. Served
    without Cross-Origin-Opener-Policy, as MSAL requires."""
    return _page("outlook/auth-redirect.html")


@blueprint.get("/outlook/auth-dialog")
def auth_dialog() -> Any:
    """Sign-in inside an Office dialog (hosts without Nested App Authentication, where
    the pane cannot open a popup): MSAL's redirect flow, the token sent to the pane."""
    return _page("outlook/auth-dialog.html")


@blueprint.get("/outlook/time-zones")
def time_zones() -> Any:
    """The pane's zone picker: the mailbox's zone (``name``, a Windows or IANA name as
    Office.js gives it) as an IANA zone with its label, and every zone to pick from."""
    now = datetime.now(UTC)
    name = request.args.get("name") or "UTC"
    iana = iana_zone(name)
    return jsonify({"zone": {"id": iana, "label": zone_label(iana, now)},
                    "zones": zone_choices(now)})
