"""The edit-Contact card: prefilled from a draft, errors in the labels, strict JSON; and the
record body built from what the rep sent."""

from __future__ import annotations

from typing import Any

from addin.web.gmail import record_cards as record_cards
from tests.web.card_check import strict_card

DRAFT = {"type": "Contact", "email": "raj.patel@acme.example", "firstName": "Raj",
         "lastName": "Patel", "company": "", "domain": "acme.example",
         "account": {"id": "001000000000001AAA", "name": "Acme", "matchedBy": "website"},
         "accounts": [{"id": "001000000000001AAA", "name": "Acme", "matchedBy": "website"}],
         "newAccountName": None}


def _inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {next(iter(w.values()))["name"]: next(iter(w.values()))
            for s in card["sections"] for w in s["widgets"]
            if next(iter(w.values())).get("name")}


def test_prefilled_from_the_draft() -> None:
    card = record_cards.record_form_card(DRAFT, event_id="00U000000000001AAA",
                                         save_url="https://x/save", back_url="https://x/back")
    strict_card(card)
    inputs = _inputs(card)
    assert inputs["firstName"]["value"] == "Raj" and inputs["lastName"]["value"] == "Patel"
    assert [(i["value"], i["selected"]) for i in inputs["accountChoice"]["items"]] == [
        ("001000000000001AAA", True), ("", False)]  # no new Account offered: one matched
    footer = card["fixedFooter"]
    assert footer["primaryButton"]["onClick"]["action"]["parameters"] == [
        {"key": "eventId", "value": "00U000000000001AAA"},
        {"key": "email", "value": "raj.patel@acme.example"}]
    assert footer["secondaryButton"]["text"] == "Cancel"


def test_errors_are_shown_at_their_fields() -> None:
    form = {**DRAFT, "type": "Lead", "lastName": "", "accountChoice": ""}
    card = record_cards.record_form_card(
        form, event_id="00U000000000001AAA", save_url="https://x/save",
        back_url="https://x/back",
        errors={"lastName": "Enter a last name.", "company": "A Lead needs a company.",
                "_salesforce": "Salesforce is not available right now; try again."})
    strict_card(card)
    inputs = _inputs(card)
    assert inputs["lastName"]["label"] == "Last name: Enter a last name."
    assert inputs["company"]["label"] == "Company (a Lead's): A Lead needs a company."
    assert card["header"]["title"] == "New Lead"
    assert "Salesforce is not available" in str(card["sections"][0])
    assert [i["selected"] for i in inputs["type"]["items"]] == [False, True]


def test_record_body() -> None:
    body = record_cards.record_body({"type": "Contact", "firstName": " Raj ",
                                     "lastName": "Patel", "accountChoice": "new",
                                     "newAccountName": " Acme Labs "}, "00U1", "r@a.example")
    assert body == {"eventId": "00U1", "email": "r@a.example", "type": "Contact",
                    "firstName": "Raj", "lastName": "Patel", "newAccountName": "Acme Labs"}
    lead = record_cards.record_body({"type": "Lead", "lastName": "P", "company": "Co",
                                     "accountChoice": "001000000000001AAA"}, "00U1", "r@a.x")
    assert lead == {"eventId": "00U1", "email": "r@a.x", "type": "Lead", "firstName": "",
                    "lastName": "P", "company": "Co"}
    chosen = record_cards.record_body({"lastName": "P", "accountChoice": "001000000000001AAA"},
                                      "00U1", "r@a.x")
    assert chosen["accountId"] == "001000000000001AAA" and chosen["type"] == "Contact"
