"""The Gmail add-on's sync status card: reachable from the home card, strict card JSON,
Retry buttons that retry."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import requests
from google.apps import card_v1

from addin.sandbox import SandboxRuntime
from tests.clock import at, day, z

CLEO = "cleo.nguyen@acme-sales.example"  # a Google mailbox user
PUBLIC = "http://127.0.0.1:5000"
START = at(day(9), "10:00")  # Wednesday of the week after the test week
BODY = {"subject": "Card check", "start": z(START),
        "end": z(START + timedelta(minutes=30))}


def strict(card: dict[str, Any]) -> None:
    """The card parses with google-apps-card's Card type, unknown fields refused."""
    card_v1.Card.from_json(json.dumps(card), ignore_unknown_fields=False)


def only_card(answer: dict[str, Any]) -> dict[str, Any]:
    action = answer.get("action") or answer["renderActions"]["action"]
    (navigation,) = action["navigations"]
    card: dict[str, Any] = navigation.get("pushCard") or navigation["updateCard"]
    strict(card)
    return card


@pytest.fixture
def gmail(client: Any, clean_sandbox: SandboxRuntime, upstream: requests.Session
          ) -> Callable[..., Any]:
    def mint(kind: str, audience: str) -> str:
        answer = upstream.post(f"{clean_sandbox.origins['google']}/sandbox-ui/id-token",
                               json={"kind": kind, "audience": audience, "email": CLEO})
        return str(answer.json()["idToken"])

    def call(path: str, parameters: dict[str, str] | None = None) -> Any:
        event = {"commonEventObject": {"hostApp": "GMAIL", "platform": "WEB",
                                       "timeZone": {"id": "Europe/Berlin",
                                                    "offset": 3600000},
                                       "parameters": parameters or {}},
                 "authorizationEventObject": {"userIdToken": mint("user", "addin-sandbox")}}
        return client.post(path, json=event,
                           headers={"Authorization": f"Bearer {mint('system', PUBLIC + path)}"})
    return call


def _texts(card: dict[str, Any]) -> str:
    return json.dumps(card)


def test_the_home_card_leads_to_the_status_card(gmail: Callable[..., Any]) -> None:
    home = only_card(gmail("/gmail/homepage").json)
    buttons = [b for s in home["sections"] for w in s["widgets"]
               for b in (w.get("buttonList") or {}).get("buttons", [])]
    status = next(b for b in buttons if b["text"] == "Sync status")
    assert status["onClick"]["action"]["function"] == f"{PUBLIC}/gmail/status"
    card = only_card(gmail("/gmail/status").json)
    assert card["header"] == {"title": "Sync status", "subtitle": CLEO}
    assert "No sync pass yet." in _texts(card) and "No errors." in _texts(card)


def test_an_error_is_retried_from_the_card(
        gmail: Callable[..., Any], client: Any, bearer: Callable[[str], dict[str, str]],
        clean_sandbox: SandboxRuntime, upstream: requests.Session) -> None:
    upstream.post(clean_sandbox.services["faults"],
                  json={"service": "google", "status": 400, "times": 1})
    created = client.post("/api/v1/events", json=BODY, headers=bearer(CLEO)).json
    assert created["sync"]["state"] == "failed"
    card = only_card(gmail("/gmail/status").json)
    errors = next(s for s in card["sections"] if s["header"].startswith("Errors"))
    assert errors["header"] == "Errors (1)"
    row = errors["widgets"][0]["decoratedText"]
    assert row["text"] == "Card check"
    parameters = {p["key"]: p["value"]
                  for p in row["button"]["onClick"]["action"]["parameters"]}
    assert parameters == {"retry": "mirror", "id": created["event"]["id"]}
    answer = gmail("/gmail/status", parameters).json
    after = only_card(answer)
    assert answer["renderActions"]["action"]["notification"]["text"] == \
        "Added to your calendar."
    assert "Errors (0)" in _texts(after)
    synced = gmail("/gmail/status", {"retry": "pass"}).json
    only_card(synced)
    assert synced["renderActions"]["action"]["notification"]["text"].startswith("Synced:")
    assert "Last sync" in _texts(only_card(synced)) and "retry" in _texts(only_card(synced))
    unknown = gmail("/gmail/status", {"retry": "everything"})
    assert unknown.status_code == 200
    assert unknown.json["renderActions"]["action"]["notification"]["text"] == "Unknown retry."


def test_the_deployment_offers_the_status_card_everywhere() -> None:
    from addin.web.manifest_render import render

    deployment = json.loads(render("gmail", "https://addin.example.com",
                                   google_service_account="addon@example.iam.gserviceaccount.com",
                                   microsoft_client_id="x"))
    actions = deployment["addOns"]["common"]["universalActions"]
    assert {"label": "Sync status", "runFunction": "https://addin.example.com/gmail/status"} \
        in actions
