"""The Gmail add-on endpoints: verified requests, strict card JSON, the create flow."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import delete, select

from addin.sandbox import SandboxRuntime
from addin.sandbox.google_identity import GoogleSigner, subject
from addin.store.models import Organization, User
from tests.clock import at, day, weekday_name, ymd, z
from tests.web.card_check import cards_of, strict_card

CLEO = "cleo.nguyen@acme-sales.example"  # a Google mailbox user
PUBLIC = "http://127.0.0.1:5000"
NEW_YORK = {"id": "America/New_York", "offset": -18000000}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def ms(when: date, hhmm: str = "15:00", tz: str = "UTC") -> int:
    """A date picker's value: milliseconds since the epoch of ``hhmm`` on ``when``."""
    return int(at(when, hhmm, tz).timestamp() * 1000)


def strict(card: dict[str, Any]) -> None:
    """Every card must parse with google-apps-card's Card type, unknown fields refused."""
    strict_card(card)


def cards_in(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return cards_of(answer)


@pytest.fixture
def mint(clean_sandbox: SandboxRuntime, upstream: requests.Session) -> Callable[..., str]:
    def token(kind: str, audience: str, email: str = CLEO, **extra: Any) -> str:
        answer = upstream.post(f"{clean_sandbox.origins['google']}/sandbox-ui/id-token",
                               json={"kind": kind, "audience": audience, "email": email,
                                     **extra})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["idToken"])
    return token


@pytest.fixture
def gmail(client: Any, mint: Callable[..., str], clean_sandbox: SandboxRuntime
          ) -> Callable[..., Any]:
    def call(path: str, event: dict[str, Any] | None = None, *, system: str | None = None,
             user: str | None = None, email: str = CLEO) -> Any:
        event = dict(event or {})
        event.setdefault("commonEventObject", {"hostApp": "GMAIL", "platform": "WEB",
                                               "timeZone": {"id": "America/New_York",
                                                            "offset": -18000000},
                                               "userLocale": "en"})
        event["authorizationEventObject"] = {
            "userIdToken": user or mint("user", "addin-sandbox", email),
            "userOAuthToken": clean_sandbox.state.tokens.issue("google", email),
            "systemIdToken": "unused"}
        token = system if system is not None else mint("system", PUBLIC + path)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        answer = client.post(path, json=event, headers=headers)
        if answer.status_code == 200:  # every card the product returns, parsed strictly
            cards_of(answer.json)
        return answer
    return call


def test_homepage_card(gmail: Callable[..., Any]) -> None:
    answer = gmail("/gmail/homepage")
    assert answer.status_code == 200, answer.json
    (card,) = cards_in(answer.json)
    strict(card)
    names = [next(iter(w.values())).get("name") for w in card["sections"][0]["widgets"]]
    assert names[:4] == ["subject", "isAllDay", "start", "end"]
    start = card["sections"][0]["widgets"][2]["dateTimePicker"]
    assert start["timezoneOffsetDate"] == -300


def test_open_message_prefills_and_create_mirrors(gmail: Callable[..., Any],
                                                  clean_sandbox: SandboxRuntime,
                                                  upstream: requests.Session) -> None:
    put = upstream.post(f"{clean_sandbox.origins['google']}/sandbox-ui/gmail/{CLEO}/messages",
                        json={"subject": "Renewal terms", "to": CLEO,
                              "from": "Olivia O'Brien <o'brien@acme.example>"})
    message = put.json()
    answer = gmail("/gmail/message", {"gmail": {"messageId": message["id"],
                                                "threadId": message["threadId"],
                                                "accessToken": "gmail-access"}})
    (card,) = cards_in(answer.json)
    strict(card)
    widgets = {next(iter(w.values())).get("name"): w for w in card["sections"][0]["widgets"]}
    assert widgets["subject"]["textInput"]["value"] == "Renewal terms"
    who = widgets["whoId"]["selectionInput"]["items"]
    assert {"text": "Olivia O'Brien (Contact)", "value": "003000000000001AAA",
            "selected": True} in who
    what = widgets["whatId"]["selectionInput"]["items"]
    assert any(i["text"] == "Acme Corporation (Account)" for i in what)

    start = ms(day(3))
    form = {"subject": {"stringInputs": {"value": ["Renewal terms"]}},
            "start": {"dateTimeInput": {"msSinceEpoch": start, "hasDate": True,
                                        "hasTime": True}},
            "end": {"dateTimeInput": {"msSinceEpoch": str(start + 30 * 60000),
                                      "hasDate": True, "hasTime": True}},
            "whoId": {"stringInputs": {"value": ["003000000000001AAA"]}},
            "showAs": {"stringInputs": {"value": ["busy"]}},
            "reminderMinutes": {"stringInputs": {"value": ["15"]}}}
    created = gmail("/gmail/actions/create", {"commonEventObject": {
        "hostApp": "GMAIL", "timeZone": {"id": "America/New_York", "offset": -18000000},
        "formInputs": form, "parameters": {"action": "create"}}})
    (result,) = cards_in(created.json)
    strict(result)
    assert created.json["renderActions"]["action"]["notification"]["text"] == "Event created"
    texts = json.dumps(result)
    assert "Added to your calendar as an appointment." in texts
    calendar = clean_sandbox.apps["google"].extensions["google_calendar"]
    items = [i for i in calendar.store.live(CLEO) if i.resource["summary"] == "Renewal terms"]
    assert len(items) == 1 and "attendees" not in items[0].resource
    assert clean_sandbox.state.mail.messages() == []


def test_validation_errors_come_back_as_notification_and_hints(gmail: Callable[..., Any]
                                                               ) -> None:
    start = ms(day(3))
    form = {"subject": {"stringInputs": {"value": ["Backwards"]}},
            "start": {"dateTimeInput": {"msSinceEpoch": str(start)}},
            "end": {"dateTimeInput": {"msSinceEpoch": start - 60000}}}
    answer = gmail("/gmail/actions/create", {"commonEventObject": {"formInputs": form}})
    action = answer.json["renderActions"]["action"]
    assert action["notification"]["text"] == "Please check: End"
    (card,) = cards_in(answer.json)
    strict(card)
    widgets = {next(iter(w.values())).get("name"): w for w in card["sections"][0]["widgets"]}
    assert widgets["end"]["dateTimePicker"]["label"].startswith("End: ")
    assert widgets["subject"]["textInput"]["value"] == "Backwards"  # nothing typed is lost


@pytest.mark.parametrize("case", ["forged", "audience", "issuer", "expired", "service_account",
                                  "missing", "user_audience"])
def test_unverified_requests_are_refused(gmail: Callable[..., Any], mint: Callable[..., str],
                                         case: str) -> None:
    path = "/gmail/homepage"
    kwargs: dict[str, Any] = {}
    if case == "forged":
        kwargs["system"] = GoogleSigner().mint(
            "service-000000000000@gcp-sa-gsuiteaddons.iam.gserviceaccount.com", PUBLIC + path)
    elif case == "audience":
        kwargs["system"] = mint("system", PUBLIC + "/gmail/message")
    elif case == "issuer":
        kwargs["system"] = mint("system", PUBLIC + path, issuer="https://evil.example")
    elif case == "expired":
        kwargs["system"] = mint("system", PUBLIC + path, lifetime=-60)
    elif case == "service_account":
        kwargs["system"] = mint("user", PUBLIC + path, CLEO)
    elif case == "missing":
        kwargs["system"] = ""
    else:
        kwargs["user"] = mint("user", "someone-elses-client", CLEO)
    answer = gmail(path, **kwargs)
    assert answer.status_code == 401
    assert answer.json["error"]["code"] in ("invalid_token", "unauthorized")


def _authorize(client: Any, upstream: requests.Session, prompt: dict[str, Any],
               login: str, status: int = 200) -> str:
    """The person follows Google's authorization prompt: our start link, the vendor's
    consent page, back to our callback. Returns the resource the prompt named."""
    (body,) = prompt.values()
    start = urlsplit(body["authorization_url"])
    authorize_url = client.get(f"{start.path}?{start.query}").headers["Location"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    answer = upstream.post(authorize_url.split("?")[0], allow_redirects=False,
                           data={**query, "login": login, "decision": "allow"})
    back = urlsplit(answer.headers["Location"])
    done = client.get(f"{back.path}?{back.query}")
    assert done.status_code == status, done.get_data(as_text=True)
    return str(body["resource"])


def test_first_run_from_an_unconnected_person_to_a_created_event(
        gmail: Callable[..., Any], client: Any, services: Any, upstream: requests.Session,
        clean_sandbox: SandboxRuntime) -> None:
    """Someone the product has never seen opens the add-on: Google's authorization prompt
    for Salesforce, then for Google Calendar, then the Create card; the Event is made."""
    with services.db.session() as session:
        session.execute(delete(User).where(User.google_sub == subject(CLEO)))
    first = gmail("/gmail/homepage")
    assert list(first.json) == ["basic_authorization_prompt"]
    assert _authorize(client, upstream, first.json, CLEO) == "Salesforce"
    second = gmail("/gmail/homepage")
    # Someone else's Google account (its ID token's sub is not Cleo's) is refused.
    _authorize(client, upstream, second.json, "dan.okafor@acme-sales.example", status=400)
    second = gmail("/gmail/homepage")
    assert _authorize(client, upstream, second.json, CLEO) == "Google Calendar"
    (card,) = cards_in(gmail("/gmail/homepage").json)
    strict(card)
    assert card["header"]["title"] == "Create Event"
    with services.db.session() as session:
        user = session.scalar(select(User).where(User.google_sub == subject(CLEO)))
        assert user is not None and user.salesforce_user_id == clean_sandbox.seed.users[2].id
        org = session.get(Organization, user.organization_id)
        assert org is not None and org.salesforce_org_id == clean_sandbox.seed.org_id
    start = ms(day(8))
    created = gmail("/gmail/actions/create", {"commonEventObject": {"formInputs": {
        "subject": {"stringInputs": {"value": ["First run"]}},
        "start": {"dateTimeInput": {"msSinceEpoch": start}},
        "end": {"dateTimeInput": {"msSinceEpoch": start + 1800000}}}}})
    assert created.json["renderActions"]["action"]["notification"]["text"] == "Event created"
    calendar = clean_sandbox.apps["google"].extensions["google_calendar"]
    assert [i.resource["summary"] for i in calendar.store.live(CLEO)
            if i.resource["summary"] == "First run"] == ["First run"]


def test_the_person_is_the_sub_not_the_email(gmail: Callable[..., Any],
                                             mint: Callable[..., str]) -> None:
    """A Google account with Cleo's address but another subject is not Cleo: it is a new
    person, asked to connect their own Salesforce."""
    impostor = mint("user", "addin-sandbox", CLEO, sub="999999999999999999999")
    answer = gmail("/gmail/homepage", user=impostor)
    assert answer.status_code == 200
    assert answer.json["basic_authorization_prompt"]["resource"] == "Salesforce"
    assert "pushCard" not in json.dumps(answer.json)
    assert cards_in(gmail("/gmail/homepage").json)[0]["header"]["title"] == "Create Event"


def test_attendee_editor_in_the_card(gmail: Callable[..., Any],
                                     clean_sandbox: SandboxRuntime) -> None:
    start = ms(day(4))
    form = {"subject": {"stringInputs": {"value": ["Card attendees"]}},
            "start": {"dateTimeInput": {"msSinceEpoch": start}},
            "end": {"dateTimeInput": {"msSinceEpoch": start + 1800000}}}
    created = gmail("/gmail/actions/create", {"commonEventObject": {"formInputs": form}})
    (card,) = cards_in(created.json)
    strict(card)
    add_button = card["sections"][1]["widgets"][-1]["buttonList"]["buttons"][0]
    event_id = add_button["onClick"]["action"]["parameters"][0]["value"]
    added = gmail("/gmail/actions/attendees", {"commonEventObject": {
        "parameters": {"eventId": event_id},
        "formInputs": {"attendeeEmail": {"stringInputs": {"value": ["o'brien@acme.example"]}}}}})
    (with_guest,) = cards_in(added.json)
    strict(with_guest)
    text = json.dumps(with_guest)
    assert "Contact: Olivia O'Brien" in text and "as a meeting" in text
    assert [(m["to"], m["kind"]) for m in clean_sandbox.state.mail.messages()] == [
        ("o'brien@acme.example", "invitation")]
    duplicate = gmail("/gmail/actions/attendees", {"commonEventObject": {
        "parameters": {"eventId": event_id},
        "formInputs": {"attendeeEmail": {"stringInputs": {"value": ["pat.kim@globex.example"]}}}}})
    assert "(another Contact has this email)" in json.dumps(cards_in(duplicate.json)[0])
    gmail("/gmail/actions/attendees", {"commonEventObject": {
        "parameters": {"eventId": event_id, "remove": "pat.kim@globex.example"}}})
    clean_sandbox.state.mail.clear()  # Pat's invitation and cancellation
    bad = gmail("/gmail/actions/attendees", {"commonEventObject": {
        "parameters": {"eventId": event_id},
        "formInputs": {"attendeeEmail": {"stringInputs": {"value": ["nope"]}}}}})
    assert bad.json["renderActions"]["action"]["notification"]["text"].startswith("Not added")
    strict(cards_in(bad.json)[0])
    removed = gmail("/gmail/actions/attendees", {"commonEventObject": {
        "parameters": {"eventId": event_id, "remove": "o'brien@acme.example"}}})
    strict(cards_in(removed.json)[0])
    assert [m["kind"] for m in clean_sandbox.state.mail.messages()] == ["cancellation"]


def _created(gmail: Callable[..., Any], subject: str, offset: int = 6, hhmm: str = "15:00",
             tz: str = "UTC", **form: Any) -> tuple[dict[str, Any], str]:
    """Create an Event from the card, starting at ``hhmm`` in ``tz`` on ``day(offset)`` of
    the test week; its result card and the Event's id."""
    start = ms(day(offset), hhmm, tz)
    inputs = {"subject": {"stringInputs": {"value": [subject]}},
              "start": {"dateTimeInput": {"msSinceEpoch": start}},
              "end": {"dateTimeInput": {"msSinceEpoch": start + 1800000}}, **form}
    (card,) = cards_in(gmail("/gmail/actions/create", {"commonEventObject": {
        "formInputs": inputs, "timeZone": NEW_YORK}}).json)
    add = card["sections"][1]["widgets"][-1]["buttonList"]["buttons"][0]
    return card, add["onClick"]["action"]["parameters"][0]["value"]


def _widgets(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A card's input widgets by name."""
    found = {}
    for section in card["sections"]:
        for widget in section["widgets"]:
            body = next(iter(widget.values()))
            if isinstance(body, dict) and body.get("name"):
                found[body["name"]] = body
    return found


def _strings(**values: str) -> dict[str, Any]:
    return {k: {"stringInputs": {"value": [v]}} for k, v in values.items()}


def test_create_contact_opens_an_edit_card_prefilled_then_saves_what_was_edited(
        gmail: Callable[..., Any], clean_sandbox: SandboxRuntime, services: Any) -> None:
    """The defect: one click made LastName "ada.walk-in", no first name, no Account."""
    _, event_id = _created(gmail, "Card contact")
    guest = "ada.walk-in@newco.example"
    (listed,) = cards_in(gmail("/gmail/actions/attendees", {"commonEventObject": {
        "parameters": {"eventId": event_id},
        "formInputs": _strings(attendeeEmail=guest)}}).json)
    create = next(w["buttonList"]["buttons"][0] for w in listed["sections"][1]["widgets"]
                  if "buttonList" in w and w["buttonList"]["buttons"][0]["text"]
                  == "Create Contact")
    parameters = {p["key"]: p["value"] for p in create["onClick"]["action"]["parameters"]}
    (form,) = cards_in(gmail("/gmail/actions/create-contact",
                             {"commonEventObject": {"parameters": parameters}}).json)
    assert form["header"] == {"title": "New Contact", "subtitle": guest}
    inputs = _widgets(form)
    assert inputs["firstName"]["value"] == "Ada" and inputs["lastName"]["value"] == "Walk-In"
    accounts = {i["value"]: i for i in inputs["accountChoice"]["items"]}
    assert accounts["new"]["selected"] and inputs["newAccountName"]["value"] == "Newco"
    assert form["fixedFooter"]["primaryButton"]["text"] == "Save"
    save = form["fixedFooter"]["primaryButton"]["onClick"]["action"]
    assert "Not in Salesforce" in json.dumps(listed)
    assert _people(services, guest) == []  # nothing made by the click itself

    refused = gmail(save["function"].removeprefix(PUBLIC), {"commonEventObject": {
        "parameters": {p["key"]: p["value"] for p in save["parameters"]},
        "formInputs": _strings(type="Contact", firstName="Ada", lastName=" ",
                               accountChoice="new", newAccountName="Newco Labs")}})
    assert refused.json["renderActions"]["action"]["notification"]["text"] == (
        "Please check: Last name")
    (again,) = cards_in(refused.json)
    kept = _widgets(again)
    assert kept["lastName"]["label"] == "Last name: Enter a last name."
    assert kept["newAccountName"]["value"] == "Newco Labs"  # nothing typed is lost
    assert _people(services, guest) == []

    done = gmail(save["function"].removeprefix(PUBLIC), {"commonEventObject": {
        "parameters": {p["key"]: p["value"] for p in save["parameters"]},
        "formInputs": _strings(type="Contact", firstName="Ada", lastName="Walker",
                               accountChoice="new", newAccountName="Newco Labs")}})
    assert done.json["renderActions"]["action"]["notification"]["text"] == (
        f"Contact created for {guest}")
    (linked,) = cards_in(done.json)
    text = json.dumps(linked)
    assert "Contact: Ada Walker" in text and "Not in Salesforce" not in text
    (person,) = _people(services, guest)
    assert (person["FirstName"], person["LastName"], person["Account"]["Name"]) == (
        "Ada", "Walker", "Newco Labs")
    assert [(m["to"], m["kind"]) for m in clean_sandbox.state.mail.messages()] == [
        (guest, "invitation")]  # linking sends nothing more


def test_edit_contact_card_matches_an_existing_account_and_can_go_back(
        gmail: Callable[..., Any], services: Any) -> None:
    _, event_id = _created(gmail, "Card contact account", offset=7)
    guest = "raj.patel@globex.example"
    gmail("/gmail/actions/attendees", {"commonEventObject": {
        "parameters": {"eventId": event_id}, "formInputs": _strings(attendeeEmail=guest)}})
    (form,) = cards_in(gmail("/gmail/actions/create-contact", {"commonEventObject": {
        "parameters": {"eventId": event_id, "email": guest}}}).json)
    accounts = _widgets(form)["accountChoice"]["items"]
    assert accounts[0] == {"text": "Globex Industries", "value": "001000000000002AAA",
                           "selected": True}
    (back,) = cards_in(gmail("/gmail/actions/contact-back", {"commonEventObject": {
        "parameters": {"eventId": event_id}}}).json)
    assert back["header"]["title"] == "Event created" and "Not in Salesforce" in json.dumps(
        back)
    assert _people(services, guest) == []


def _people(services: Any, email: str) -> list[dict[str, Any]]:
    from addin.accounts.clients import open_salesforce
    from addin.accounts.identity import load_user

    with services.db.session() as session:
        user = load_user(services, session.scalar(select(User.id).where(User.email == CLEO)))
    rows = open_salesforce(services, user)._call(lambda sf: sf.query(
        "SELECT FirstName, LastName, Account.Name FROM Contact WHERE Email = "
        f"'{email}'"))["records"]
    return [dict(r) for r in rows]


def test_result_card_says_what_was_saved_in_the_users_zone(gmail: Callable[..., Any]) -> None:
    """The defect: the result card showed the instant in UTC ("...T15:00:00Z")."""
    friday = day(11)
    start = at(friday, "10:00", "America/New_York")  # what the rep picked, in New York
    card, _ = _created(gmail, "Zone check", offset=11, hhmm="10:00", tz="America/New_York",
                       **_strings(location="Acme HQ", whoId="003000000000001AAA",
                                  whatId="001000000000001AAA"))
    text = json.dumps(card, ensure_ascii=False)
    assert z(start)[10:] not in text and f"{ymd(friday)}T" not in text
    facts = {w["decoratedText"]["topLabel"]: w["decoratedText"]
             for w in card["sections"][0]["widgets"] if "decoratedText" in w}
    assert facts["When"]["text"] == (  # New York
        f"{weekday_name(friday)[:3].title()} {friday.day} {MONTHS[friday.month - 1]} "
        f"{friday.year}, 10:00 \u2013 10:30")
    assert facts["When"]["bottomLabel"] == f"New York (UTC{_offset(start)})"
    assert facts["When"]["startIcon"] == {"knownIcon": "CLOCK"}
    assert facts["Location"]["text"] == "Acme HQ"
    assert facts["Name"]["text"] == "Olivia O'Brien (Contact)"
    assert facts["Related To"]["text"] == "Acme Corporation (Account)"
    assert card["sections"][0]["header"] == "Zone check"
    assert card["fixedFooter"]["primaryButton"]["text"] == "Open in Salesforce"
    assert card["fixedFooter"]["secondaryButton"]["text"] == "Create another"


def _offset(when: datetime) -> str:
    """The UTC offset of New York at ``when``, as "-05:00" (winter) or "-04:00"."""
    offset = when.astimezone(ZoneInfo("America/New_York")).utcoffset()
    assert offset is not None
    minutes = int(offset / timedelta(minutes=1))
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def test_homepage_lookups_search_salesforce(gmail: Callable[..., Any]) -> None:
    """The defect: Name and Related To were dropdowns holding only "None"."""
    (card,) = cards_in(gmail("/gmail/homepage").json)
    inputs = _widgets(card)
    assert "whoId" not in inputs and "whatId" not in inputs  # no empty dropdowns
    who = inputs["whoSearch"]
    assert who["label"] == "Name" and who["hintText"] == "Search Contacts and Leads"
    search, suggest = who["onChangeAction"], who["autoCompleteAction"]
    assert search["function"] == PUBLIC + "/gmail/actions/search"
    assert suggest["function"] == PUBLIC + "/gmail/actions/suggest"
    assert search["parameters"] == [{"key": "field", "value": "whoId"}]

    subject = _strings(subject="Kept while searching")
    suggested = gmail("/gmail/actions/suggest", {"commonEventObject": {
        "parameters": {"field": "whoId"}, "formInputs": _strings(whoSearch="Olivia")}})
    assert suggested.json == {"action": {"suggestions": {"items": [
        {"text": "Olivia O'Brien"}]}}}
    searched = gmail("/gmail/actions/search", {"commonEventObject": {
        "parameters": {"field": "whatId"},
        "formInputs": {**subject, **_strings(whatSearch="Acme")}}})
    (found,) = cards_in(searched.json)
    inputs = _widgets(found)
    assert inputs["subject"]["value"] == "Kept while searching"
    assert inputs["whatSearch"]["value"] == "Acme"
    items = inputs["whatId"]["items"]
    assert {"text": "Acme Corporation (Account)", "value": "001000000000001AAA",
            "selected": True} in items
    assert {"text": "Acme - 500 Widgets (Opportunity)", "value": "006000000000001AAA",
            "selected": False} in items
    assert items[-1] == {"text": "None", "value": "", "selected": False}
    nothing = gmail("/gmail/actions/search", {"commonEventObject": {
        "parameters": {"field": "whoId"}, "formInputs": _strings(whoSearch="Zyxwvut")}})
    assert _widgets(cards_in(nothing.json)[0])["whoSearch"]["label"].startswith(
        "Name: No Contact or Lead matches")


def test_a_typed_but_unpicked_name_is_resolved_or_asked_for(
        gmail: Callable[..., Any]) -> None:
    card, _ = _created(gmail, "Typed name", offset=12, **_strings(whoSearch="Olivia O'Brien"))
    facts = json.dumps(card)
    assert "Olivia O'Brien (Contact)" in facts  # one match: taken
    start = ms(day(13))
    answer = gmail("/gmail/actions/create", {"commonEventObject": {"formInputs": {
        **_strings(subject="Ambiguous", whoSearch="Kim"),
        "start": {"dateTimeInput": {"msSinceEpoch": start}},
        "end": {"dateTimeInput": {"msSinceEpoch": start + 1800000}}}}})
    assert answer.json["renderActions"]["action"]["notification"]["text"] == (
        "Please check: Name")
    inputs = _widgets(cards_in(answer.json)[0])
    assert inputs["whoSearch"]["label"] == "Name: Several match: pick one."
    assert len(inputs["whoId"]["items"]) >= 3  # both Kims and None


def test_cancel_event_from_the_card(gmail: Callable[..., Any],
                                    clean_sandbox: SandboxRuntime) -> None:
    start = ms(day(5))
    form = {"subject": {"stringInputs": {"value": ["Card cancel"]}},
            "start": {"dateTimeInput": {"msSinceEpoch": start}},
            "end": {"dateTimeInput": {"msSinceEpoch": start + 1800000}}}
    (card,) = cards_in(gmail("/gmail/actions/create",
                             {"commonEventObject": {"formInputs": form}}).json)
    cancel = card["sections"][-1]["widgets"][0]["buttonList"]["buttons"][0]
    assert cancel["text"] == "Cancel event"
    event_id = cancel["onClick"]["action"]["parameters"][0]["value"]
    gmail("/gmail/actions/attendees", {"commonEventObject": {
        "parameters": {"eventId": event_id},
        "formInputs": {"attendeeEmail": {"stringInputs": {"value": ["noah.smith@acme.example"]}}}}})
    (ask,) = cards_in(gmail("/gmail/actions/cancel", {"commonEventObject": {
        "parameters": {"eventId": event_id}}}).json)
    strict(ask)
    assert "noah.smith@acme.example" in json.dumps(ask)
    (kept,) = cards_in(gmail("/gmail/actions/cancel", {"commonEventObject": {
        "parameters": {"eventId": event_id, "keep": "yes"}}}).json)
    strict(kept)
    assert kept["header"]["title"] == "Event created"
    assert [m["kind"] for m in clean_sandbox.state.mail.messages()] == ["invitation"]
    done = gmail("/gmail/actions/cancel", {"commonEventObject": {
        "parameters": {"eventId": event_id, "confirm": "yes"}}})
    (cancelled,) = cards_in(done.json)
    strict(cancelled)
    assert "Cancellation sent to noah.smith@acme.example." in json.dumps(cancelled)
    assert [(m["to"], m["kind"]) for m in clean_sandbox.state.mail.messages()] == [
        ("noah.smith@acme.example", "invitation"), ("noah.smith@acme.example", "cancellation")]


@pytest.mark.parametrize(("inputs", "blamed"), [
    ({"start": {"dateTimeInput": {"msSinceEpoch": "soon"}}}, "Start"),
    ({"start": {"dateTimeInput": {"msSinceEpoch": str(10 ** 30)}}}, "Start"),
    ({"start": {"dateTimeInput": {"msSinceEpoch": str(-62135596800000)}}}, "Start"),
    ({"end": {"dateTimeInput": {"msSinceEpoch": str(253402300799000)}}}, "End"),
    ({"reminderMinutes": {"stringInputs": {"value": ["ten"]}}}, "Reminder"),
    ({"description": {"stringInputs": {"value": ["d" * 8193]}}}, "Description"),
])
def test_bad_form_values_are_named_never_a_crash(gmail: Callable[..., Any],
                                                 clean_sandbox: SandboxRuntime,
                                                 inputs: dict[str, Any], blamed: str) -> None:
    """Date pickers far outside any calendar (years 1 and 9999 overflowed), unparsable
    numbers, and a description longer than Google Calendar accepts (8,192 characters: the
    event stayed pending forever) come back as the form with the field named."""
    start = ms(day(3))
    form = {"subject": {"stringInputs": {"value": ["Edge"]}},
            "start": {"dateTimeInput": {"msSinceEpoch": str(start)}},
            "end": {"dateTimeInput": {"msSinceEpoch": str(start + 30 * 60000)}}, **inputs}
    answer = gmail("/gmail/actions/create", {"commonEventObject": {"formInputs": form}})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    notification = answer.json["renderActions"]["action"]["notification"]["text"]
    assert notification.startswith("Please check:") and blamed in notification
    (card,) = cards_in(answer.json)
    strict(card)
    assert "salesforce" not in clean_sandbox.state.stats.snapshot()


def test_edit_contact_card_keeps_what_was_typed_when_salesforce_is_down(
        gmail: Callable[..., Any], clean_sandbox: SandboxRuntime, upstream: requests.Session,
        services: Any) -> None:
    _, event_id = _created(gmail, "Card contact outage", offset=14)
    guest = "outage.card@newco.example"
    gmail("/gmail/actions/attendees", {"commonEventObject": {
        "parameters": {"eventId": event_id}, "formInputs": _strings(attendeeEmail=guest)}})
    upstream.post(clean_sandbox.services["faults"],
                  json={"service": "salesforce", "status": 503, "times": 10})
    answer = gmail("/gmail/actions/save-contact", {"commonEventObject": {
        "parameters": {"eventId": event_id, "email": guest},
        "formInputs": _strings(type="Contact", firstName="Out", lastName="Age",
                               accountChoice="new", newAccountName="Newco")}})
    upstream.post(clean_sandbox.services["faults"],
                  json={"service": "salesforce", "status": 503, "times": 0})
    assert answer.status_code == 200
    assert "not available" in answer.json["renderActions"]["action"]["notification"]["text"]
    inputs = _widgets(cards_in(answer.json)[0])
    assert inputs["lastName"]["value"] == "Age" and inputs["newAccountName"]["value"] == "Newco"
    assert _people(services, guest) == []


def test_an_attendee_added_while_a_pass_holds_the_mailbox_is_refused_on_the_card(
        gmail: Callable[..., Any], services: Any, clean_sandbox: SandboxRuntime,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A sync pass of the same mailbox outlasting the wait: the card says so and nothing
    is written; the same click afterwards adds the guest."""
    from addin.services import mirrors
    from addin.store.mailbox_lock import exclusive_mailbox

    _, event_id = _created(gmail, "Card behind a pass", offset=9)
    monkeypatch.setattr(mirrors, "SIDEBAR_WAIT_SECONDS", 0.2)
    with services.db.session() as session:
        user_id = session.scalar(select(User.id).where(User.email == CLEO))
    add = {"commonEventObject": {"parameters": {"eventId": event_id}, "formInputs": {
        "attendeeEmail": {"stringInputs": {"value": ["o'brien@acme.example"]}}}}}
    with exclusive_mailbox(services.db.engine, user_id):
        busy = gmail("/gmail/actions/attendees", add)
    assert busy.status_code == 200
    note = busy.json["renderActions"]["action"]["notification"]["text"]
    assert note.startswith("Not added") and "being synced" in note
    strict(cards_in(busy.json)[0])
    assert clean_sandbox.state.mail.messages() == []
    added = gmail("/gmail/actions/attendees", add)
    assert "Contact: Olivia O'Brien" in json.dumps(cards_in(added.json)[0])
    assert [m["kind"] for m in clean_sandbox.state.mail.messages()] == ["invitation"]
