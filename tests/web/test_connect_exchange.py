"""Connecting an Exchange Server mailbox with its EWS URL, user name and password."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from addin.accounts.clients import open_calendar
from addin.accounts.connections import load_connection
from addin.accounts.identity import load_user
from addin.sandbox import SandboxRuntime
from addin.store.models import Connection, User
from tests.web.conftest import EVE

URL = "/api/v1/connections/ews"


@pytest.fixture
def eve(services: Any) -> tuple[int, dict[str, str]]:
    with services.db.session() as session:
        user_id = session.scalar(select(User.id).where(User.email == EVE))
    return user_id, {"Authorization": f"Bearer {services.api_tokens.mint(user_id)}"}


def test_credentials_are_checked_then_stored_encrypted(
        client: Any, services: Any, clean_sandbox: SandboxRuntime,
        eve: tuple[int, dict[str, str]]) -> None:
    user_id, headers = eve
    password = clean_sandbox.state.tokens.issue("ews", EVE)
    server = clean_sandbox.services["ews"]
    answer = client.post(URL, headers=headers, json={
        "serverUrl": server, "username": EVE, "password": password})
    assert answer.status_code == 201, answer.json
    assert answer.json == {"service": "ews", "connected": True, "account": EVE,
                           "serverUrl": server}
    with services.db.session() as session:
        row = session.scalar(select(Connection).where(Connection.user_id == user_id,
                                                      Connection.service == "ews"))
        assert row is not None and password not in row.access_token_encrypted
    info = load_connection(services, user_id, "ews")
    assert (info.access_token, info.account, info.instance_url) == (password, EVE, server)
    calendar = open_calendar(services, load_user(services, user_id))
    assert calendar.list_changes(None).full_resync  # the stored credentials work

    assert client.delete(URL, headers=headers).status_code == 204
    assert client.delete(URL, headers=headers).status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({"username": EVE}, "password"),
    ({"password": "x"}, "username"),
    ({"username": EVE, "password": "x", "serverUrl": "http://mail.example/EWS/"
      "Exchange.asmx"}, "serverUrl"),
    ({"username": EVE, "password": "wrong"}, "password"),  # rejected by the server
])
def test_bad_credentials_name_the_field(client: Any, clean_sandbox: SandboxRuntime,
                                        eve: tuple[int, dict[str, str]],
                                        body: dict[str, str], field: str) -> None:
    answer = client.post(URL, headers=eve[1], json=body)
    assert answer.status_code == 400
    assert answer.json["error"]["code"] == "validation_failed"
    assert field in answer.json["error"]["fields"]


def test_an_unreachable_server_is_an_upstream_failure(
        client: Any, eve: tuple[int, dict[str, str]]) -> None:
    answer = client.post(URL, headers=eve[1], json={
        "serverUrl": "https://127.0.0.1:9/EWS/Exchange.asmx", "username": EVE,
        "password": "x"})
    assert answer.status_code == 502
    assert "serverUrl" in answer.json["error"]["fields"]


def test_connecting_needs_a_signed_in_user(client: Any) -> None:
    assert client.post(URL, json={"username": EVE, "password": "x"}).status_code == 401
