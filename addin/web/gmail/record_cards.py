"""The Gmail card in which the rep edits an unlinked attendee's Contact or Lead before it
is saved (prefilled from the server's draft: names, Account from the email domain).
google.apps.card.v1 JSON; no Flask, no I/O."""

from __future__ import annotations

from typing import Any

NEW_ACCOUNT, NO_ACCOUNT = "new", ""
FIELD_LABELS = {"type": "Save as", "firstName": "First name", "lastName": "Last name",
                "accountId": "Account", "newAccountName": "New Account name",
                "company": "Company (a Lead's)"}


def _label(field: str, errors: dict[str, str]) -> str:
    label = FIELD_LABELS[field]
    return f"{label}: {errors[field]}" if field in errors else label


def _text_input(field: str, value: str, errors: dict[str, str], hint: str = ""
                ) -> dict[str, Any]:
    widget: dict[str, Any] = {"name": field, "label": _label(field, errors), "value": value,
                              "type": "SINGLE_LINE"}
    if hint:
        widget["hintText"] = hint
    return {"textInput": widget}


def record_form_card(form: dict[str, Any], *, event_id: str, save_url: str, back_url: str,
                     errors: dict[str, str] | None = None) -> dict[str, Any]:
    """The edit-Contact card. ``form``: the draft (GET /api/v1/records/draft's shape) or,
    after a refusal, what the rep sent with the draft's Account choices; ``errors`` by
    API field name, each shown in its field's label (and the rest above the form)."""
    errors = errors or {}
    parameters = [{"key": "eventId", "value": event_id}, {"key": "email", "value": form["email"]}]
    kind = form.get("type") or "Contact"
    account_items = [(a["id"], a["name"]) for a in form.get("accounts", [])]
    if form.get("newAccountName") is not None or not account_items:
        account_items.append((NEW_ACCOUNT, "New Account (named below)"))
    account_items.append((NO_ACCOUNT, "No Account"))
    chosen = form.get("accountChoice")
    if chosen is None:
        chosen = (form["account"]["id"] if form.get("account") else
                  NEW_ACCOUNT if form.get("newAccountName") else NO_ACCOUNT)
    person = [
        {"selectionInput": {"name": "type", "label": _label("type", errors), "type": "RADIO_BUTTON",
                            "items": [{"text": t, "value": t, "selected": t == kind}
                                      for t in ("Contact", "Lead")]}},
        _text_input("firstName", form.get("firstName", ""), errors),
        _text_input("lastName", form.get("lastName", ""), errors),
    ]
    account = [
        {"selectionInput": {"name": "accountChoice", "label": _label("accountId", errors),
                            "type": "DROPDOWN",
                            "items": [{"text": text, "value": value, "selected": value == chosen}
                                      for value, text in account_items]}},
        _text_input("newAccountName", form.get("newAccountName") or "", errors,
                    "Used when New Account is chosen"),
        _text_input("company", form.get("company") or "", errors, "Needed for a Lead"),
    ]
    sections: list[dict[str, Any]] = []
    unplaced = [text for field, text in errors.items() if field not in FIELD_LABELS]
    if unplaced:
        sections.append({"widgets": [{"decoratedText": {
            "startIcon": {"knownIcon": "DESCRIPTION"}, "wrapText": True,
            "text": "<font color=\"#a4262c\">" + " ".join(unplaced) + "</font>"}}]})
    sections += [{"header": "Person", "widgets": person},
                 {"header": "Account", "widgets": account}]
    return {
        "header": {"title": f"New {kind}", "subtitle": form["email"]},
        "sections": sections,
        "fixedFooter": {
            "primaryButton": {"text": "Save", "onClick": {"action": {
                "function": save_url, "parameters": parameters}}},
            "secondaryButton": {"text": "Cancel", "onClick": {"action": {
                "function": back_url, "parameters": parameters[:1]}}}},
    }


def record_body(inputs: dict[str, Any], event_id: str, email: str) -> dict[str, Any]:
    """The POST /api/v1/records body from the card's form inputs."""
    kind = inputs.get("type") or "Contact"
    body: dict[str, Any] = {"eventId": event_id, "email": email, "type": kind,
                            "firstName": str(inputs.get("firstName", "")).strip(),
                            "lastName": str(inputs.get("lastName", "")).strip()}
    if kind == "Lead":
        body["company"] = str(inputs.get("company", "")).strip()
        return body
    choice = str(inputs.get("accountChoice", NO_ACCOUNT))
    if choice == NEW_ACCOUNT:
        body["newAccountName"] = str(inputs.get("newAccountName", "")).strip()
    elif choice:
        body["accountId"] = choice
    return body
