"""Connecting accounts with OAuth 2.0 against the sandbox's authorization servers."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select, text

from addin.accounts.connections import ConnectionTokens, load_connection
from addin.providers.calendar.google import GoogleCalendar
from addin.providers.calendar.graph import GraphCalendar
from addin.providers.http import build_session
from addin.providers.salesforce.client import SalesforceClient
from addin.sandbox import SandboxRuntime
from addin.store.models import Connection, User

AVA = "ava.martin@acme-sales.example"


@pytest.fixture
def ava(services: Any) -> tuple[int, dict[str, str]]:
    with services.db.session() as session:
        user_id = session.scalar(select(User.id).where(User.email == AVA))
    return user_id, {"Authorization": f"Bearer {services.api_tokens.mint(user_id)}"}


def _consent(upstream: requests.Session, authorize_url: str, decision: str = "allow",
             login: str = AVA) -> str:
    """Play the person on the vendor's consent page; returns the redirect back to us."""
    page = upstream.get(authorize_url)
    assert page.status_code == 200 and "sandbox" in page.text
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    answer = upstream.post(authorize_url.split("?")[0], data={**query, "login": login,
                                                              "decision": decision},
                           allow_redirects=False)
    assert answer.status_code == 302
    return str(answer.headers["Location"])


def _connect(client: Any, upstream: requests.Session, headers: dict[str, str],
             service: str, decision: str = "allow") -> Any:
    ticket = client.post(f"/api/v1/connections/{service}/ticket", headers=headers)
    assert ticket.status_code == 201
    start_url = urlsplit(ticket.json["url"])
    start = client.get(f"{start_url.path}?{start_url.query}")
    assert start.status_code == 302
    authorize_url = start.headers["Location"]
    assert "code_challenge=" in authorize_url and "code_challenge_method=S256" in authorize_url
    back = urlsplit(_consent(upstream, authorize_url, decision))
    assert back.path == f"/auth/{service}/callback"
    return client.get(f"{back.path}?{back.query}")


def _use_api(services: Any, sandbox: SandboxRuntime, user_id: int, service: str) -> None:
    """Call the service's API with the stored tokens (a 401 refreshes once)."""
    tokens = ConnectionTokens(services, user_id, service)
    session = build_session(service, services.http_settings)
    if service == "salesforce":
        info = load_connection(services, user_id, service)
        adapter = SalesforceClient(instance_url=str(info.instance_url),
                                   access_token=tokens.access_token(), session=session,
                                   on_refresh=tokens.refresh)
        assert adapter.user_experience(sandbox.seed.users[0].id) == "lightning"
    elif service == "graph":
        GraphCalendar(session, sandbox.origins["graph"], tokens).list_changes(None)
    else:
        GoogleCalendar(session, sandbox.origins["google"], tokens).list_changes(None)


@pytest.mark.parametrize("service", ["salesforce", "graph", "google"])
def test_connect_refresh_and_disconnect(client: Any, services: Any, upstream: requests.Session,
                                        clean_sandbox: SandboxRuntime,
                                        ava: tuple[int, dict[str, str]], service: str) -> None:
    user_id, headers = ava
    origin = clean_sandbox.origins[service]
    done = _connect(client, upstream, headers, service)
    assert done.status_code == 200 and "Connected" in done.get_data(as_text=True)
    info = load_connection(services, user_id, service)
    if service == "salesforce":
        assert info.instance_url == origin and info.account == AVA
    with services.db.engine.connect() as connection:
        raw = connection.execute(text(
            "SELECT access_token_encrypted, refresh_token_encrypted FROM connections "
            "WHERE user_id = :uid AND service = :service"),
            {"uid": user_id, "service": service}).one()
    assert info.access_token not in raw[0] and ".r." not in raw[1]  # unreadable at rest

    # The access token expires upstream: the first 401 triggers one refresh.
    upstream.post(f"{origin}/sandbox-ui/oauth/expire", json={"email": AVA})
    _use_api(services, clean_sandbox, user_id, service)
    refreshed = load_connection(services, user_id, service).access_token
    assert refreshed != info.access_token

    listing = client.get("/api/v1/connections", headers=headers).json["connections"]
    assert {c["service"]: c["connected"] for c in listing}[service] is True
    with services.db.session() as session:
        refresh_token = services.cipher.decrypt(session.scalar(
            select(Connection.refresh_token_encrypted).where(
                Connection.user_id == user_id, Connection.service == service)))
    assert client.delete(f"/api/v1/connections/{service}", headers=headers).status_code == 204
    revoked = clean_sandbox.state.tokens.lookup(service, refresh_token, "refresh") is None
    assert revoked == (service != "graph")  # Microsoft has no revocation endpoint
    assert client.delete(f"/api/v1/connections/{service}", headers=headers).status_code == 404


def test_denied_consent_and_tampering(client: Any, upstream: requests.Session,
                                      ava: tuple[int, dict[str, str]]) -> None:
    _, headers = ava
    denied = _connect(client, upstream, headers, "salesforce", decision="deny")
    assert denied.status_code == 400 and "denied" in denied.get_data(as_text=True)
    forged = client.get("/auth/salesforce/callback?code=x&state=forged")
    assert forged.status_code == 400
    assert client.get("/auth/salesforce/start?ticket=forged").status_code == 400
    assert client.post("/api/v1/connections/salesforce/ticket").status_code == 401
    unknown = client.post("/api/v1/connections/myspace/ticket", headers=headers)
    assert unknown.status_code == 400 and "service" in unknown.json["error"]["fields"]


def test_pkce_is_enforced_by_the_sandbox(clean_sandbox: SandboxRuntime,
                                         upstream: requests.Session) -> None:
    base = clean_sandbox.origins["salesforce"]
    authorize = (f"{base}/services/oauth2/authorize?response_type=code&client_id=c&"
                 "redirect_uri=https://app.example/cb&state=s&code_challenge="
                 "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256")
    location = _consent(upstream, authorize)
    code = parse_qs(urlsplit(location).query)["code"][0]
    wrong = upstream.post(f"{base}/services/oauth2/token", data={
        "grant_type": "authorization_code", "code": code, "client_id": "c",
        "redirect_uri": "https://app.example/cb", "code_verifier": "wrong"})
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
