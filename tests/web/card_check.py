"""Strict checks of every answer the Gmail add-on gives: each card parses with
google-apps-card's ``google.apps.card.v1`` types (``ignore_unknown_fields=False``: unknown
fields, bad enums and two widget kinds in one widget are refused), and the envelopes
around them (push/update navigations, notifications, suggestions, Google's authorization
prompt) hold nothing else."""

from __future__ import annotations

import json
from typing import Any

from google.apps import card_v1

NAVIGATIONS = {"pushCard", "updateCard", "popCard", "popToRoot", "popToCard"}


def strict_card(card: dict[str, Any]) -> None:
    card_v1.Card.from_json(json.dumps(card), ignore_unknown_fields=False)


def _only(mapping: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(mapping) - allowed
    assert not unknown, f"unknown fields in {where}: {sorted(unknown)}"


def cards_of(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """Every card in an answer, each checked strictly; the answer's envelope checked."""
    _only(answer, {"action", "renderActions", "basic_authorization_prompt"}, "the answer")
    assert len(answer) == 1, f"one kind of answer, not {sorted(answer)}"
    if "basic_authorization_prompt" in answer:
        prompt = answer["basic_authorization_prompt"]
        _only(prompt, {"authorization_url", "resource"}, "basic_authorization_prompt")
        assert prompt["authorization_url"].startswith("http") and prompt["resource"]
        return []
    render = answer.get("renderActions") or answer
    if "renderActions" in answer:
        _only(render, {"action"}, "renderActions")
    action = render["action"]
    _only(action, {"navigations", "notification", "link", "suggestions"}, "action")
    if "notification" in action:
        _only(action["notification"], {"text"}, "notification")
        assert action["notification"]["text"]
    if "suggestions" in action:
        card_v1.Suggestions.from_json(json.dumps(action["suggestions"]),
                                      ignore_unknown_fields=False)
    found = []
    for navigation in action.get("navigations", []):
        _only(navigation, NAVIGATIONS, "a navigation")
        assert len(navigation) == 1
        for kind in ("pushCard", "updateCard"):
            if kind in navigation:
                strict_card(navigation[kind])
                found.append(navigation[kind])
    return found
