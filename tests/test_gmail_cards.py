"""The Gmail card builders on their own: every card they build parses strictly with
google-apps-card, facts are shown as a person reads them (dates and times in the user's
zone), and the card's primary action is in its fixed footer."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from addin.web.gmail import cards as cards
from tests.web.card_check import cards_of, strict_card

ACTIONS = cards.ResultActions(another="https://x.example/gmail/actions/new",
                              attendees="https://x.example/gmail/actions/attendees",
                              create_contact="https://x.example/gmail/actions/create-contact",
                              cancel="https://x.example/gmail/actions/cancel")
URLS = cards.LookupUrls("https://x.example/gmail/actions/search",
                        "https://x.example/gmail/actions/suggest")
# The card builders only format the dates they are given and never ask for the time, so
# these are fixed (far from today on purpose):
NIGHT = "2031-03-30"  # fixed date: Berlin/Paris spring forward (formatting only)
MONDAY = "2031-03-31"  # fixed date: the day after NIGHT (formatting only)
FRIDAY, SATURDAY = "2031-12-12", "2031-12-13"  # fixed date: all-day formatting only


def _view(**event: Any) -> dict[str, Any]:
    return {"event": {"id": "00U000000000001AAA", "subject": "Demo", "isAllDay": False,
                      "start": f"{NIGHT}T00:30:00Z", "end": f"{NIGHT}T01:30:00Z",
                      "location": "", "whoId": None, "whatId": None,
                      "url": "https://sf.example/00U000000000001AAA", **event},
            "mirror": {"provider": "google", "kind": "meeting"},
            "sync": {"state": "mirrored"},
            "attendees": [
                {"email": "o@acme.example", "name": "Olivia", "response": "accepted",
                 "record": {"type": "Contact", "id": "003000000000001AAA", "name": "Olivia",
                            "alternatives": ["003000000000002AAA"]}},
                {"email": "walk@in.example", "name": "", "response": "none", "record": None,
                 "held": True}]}


@pytest.mark.parametrize(("event", "zone", "when", "label"), [
    # the night Europe/Berlin moves to summer time: 01:30 and 02:30 wall times
    ({}, "Europe/Berlin", "Sun 30 Mar 2031, 01:30 \N{EN DASH} 03:30", "Berlin (UTC+01:00)"),
    ({}, "America/New_York", "Sat 29 Mar 2031, 20:30 \N{EN DASH} 21:30",
     "New York (UTC-04:00)"),
    ({"end": f"{MONDAY}T01:30:00Z"}, "UTC",
     "Sun 30 Mar 2031, 00:30 \N{EN DASH} Mon 31 Mar 2031, 01:30", "UTC (UTC+00:00)"),
    ({"isAllDay": True, "start": FRIDAY, "end": FRIDAY}, "Asia/Tokyo",
     "Fri 12 Dec 2031, all day", ""),
    ({"isAllDay": True, "start": FRIDAY, "end": SATURDAY}, "UTC",
     "Fri 12 Dec 2031 \N{EN DASH} Sat 13 Dec 2031, all day", ""),
])
def test_when_text_is_in_the_users_zone(event: dict[str, Any], zone: str, when: str,
                                        label: str) -> None:
    view = _view(**event)
    assert cards.when_text(view["event"], ZoneInfo(zone)) == (when, label)


def test_result_card_shows_what_was_saved_and_parses_strictly() -> None:
    view = _view(location="Room 1", whoId="003000000000001AAA", whatId="006000000000001AAA")
    card = cards.result_card(view, ACTIONS, zone=ZoneInfo("Europe/Paris"),
                             names={"003000000000001AAA": "Olivia (Contact)"},
                             error="not a valid email address")
    strict_card(card)
    facts = {w["decoratedText"]["topLabel"]: w["decoratedText"]["text"]
             for w in card["sections"][0]["widgets"] if "decoratedText" in w}
    assert facts == {"When": "Sun 30 Mar 2031, 01:30 \N{EN DASH} 03:30",
                     "Location": "Room 1", "Name": "Olivia (Contact)",
                     "Related To": "006000000000001AAA"}  # a name not found: its id
    attendees = card["sections"][1]
    assert attendees["header"] == "Attendees"
    text = str(attendees)
    assert "another Contact has this email" in text
    assert "invited in Salesforce, not yet in the calendar" in text
    assert "Add attendee (email): not a valid email address" in text
    assert text.count("Create Contact") == 1  # only the unlinked attendee
    assert card["fixedFooter"]["primaryButton"]["onClick"] == {
        "openLink": {"url": "https://sf.example/00U000000000001AAA"}}


def test_result_card_without_the_attendee_editor() -> None:
    card = cards.result_card(_view(), cards.ResultActions(another=ACTIONS.another),
                             zone=ZoneInfo("UTC"))
    strict_card(card)
    assert len(card["sections"]) == 1


def test_create_card_lookups_and_errors_parse_strictly() -> None:
    start = datetime.fromisoformat(f"{FRIDAY}T09:00:00+00:00")
    values = {"subject": "S", "start": start, "end": None,
              "whoSearch": "Kim", "whatSearch": "Acme", "whatId": "001000000000001AAA"}
    card = cards.create_card(
        values=values, action_url="https://x.example/gmail/actions/create",
        offset_minutes=60, who_options=[("003000000000004AAA", "Pat Kim (Contact)"),
                                        ("003000000000005AAA", "Patricia Kim (Contact)")],
        what_options=[("001000000000001AAA", "Acme Corporation (Account)")],
        lookup_urls=URLS, errors={"whoId": "Several match: pick one.",
                                  "_schema": "Something else"})
    strict_card(card)
    assert card["sections"][0]["widgets"][0]["textParagraph"]["text"].endswith(
        "Something else</font>")
    widgets = {next(iter(w.values())).get("name"): next(iter(w.values()))
               for w in card["sections"][1]["widgets"]}
    assert widgets["whoSearch"]["label"] == "Name: Several match: pick one."
    assert [i["text"] for i in widgets["whoId"]["items"] if i["selected"]] == ["None"]
    assert [i["selected"] for i in widgets["whatId"]["items"]] == [True, False]
    assert card["fixedFooter"]["primaryButton"]["text"] == "Create"


def test_other_cards_and_envelopes() -> None:
    connect = cards.message_card("Connect", "Connect Salesforce first.",
                                 ("Connect", "https://x.example/connect"))
    assert connect["fixedFooter"]["primaryButton"]["onClick"]["openLink"]["onClose"] == \
        "RELOAD"
    confirm = cards.cancel_confirm_card(_view(), "https://x.example/gmail/actions/cancel")
    assert confirm["fixedFooter"]["primaryButton"]["text"] == "Yes, cancel it"
    assert "o@acme.example, walk@in.example" in str(confirm)
    for card in (connect, confirm, cards.message_card("Done", "Nothing to say.")):
        assert cards_of(cards.push(card)) == [card]
        assert cards_of(cards.update(card, "Noted")) == [card]
    assert cards_of(cards.suggestions(["Olivia O'Brien", "Oliver"])) == []
    assert cards_of(cards.authorization_prompt("https://x.example/start", "Salesforce")) == []
