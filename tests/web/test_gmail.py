"""The Gmail add-on endpoints: verified requests, strict card JSON, the create flow."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from google.apps import card_v1
from sqlalchemy import delete, select

from addin.sandbox import SandboxRuntime
from addin.sandbox.google_identity import GoogleSigner, subject
from addin.store.models import Organization, User

CLEO = "cleo.nguyen@acme-sales.example"  # a Google mailbox user
PUBLIC = "http://127.0.0.1:5000"


def strict(card: dict[str, Any]) -> None:
    """Every card must parse with google-apps-card's Card type, unknown fields refused."""
    card_v1.Card.from_json(json.dumps(card), ignore_unknown_fields=False)


def cards_in(answer: dict[str, Any]) -> list[dict[str, Any]]:
    action = answer.get("action") or answer["renderActions"]["action"]
    return [n.get("pushCard") or n.get("updateCard") for n in action["navigations"]]


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
        return client.post(path, json=event, headers=headers)
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

    start = int(datetime(2026, 12, 3, 15, 0, tzinfo=UTC).timestamp() * 1000)
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
    start = int(datetime(2026, 12, 3, 15, 0, tzinfo=UTC).timestamp() * 1000)
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
    start = int(datetime(2026, 12, 8, 15, 0, tzinfo=UTC).timestamp() * 1000)
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
    start = int(datetime(2026, 12, 4, 15, 0, tzinfo=UTC).timestamp() * 1000)
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


def test_one_click_contact_from_the_card(gmail: Callable[..., Any],
                                        clean_sandbox: SandboxRuntime) -> None:
    start = int(datetime(2026, 12, 6, 15, 0, tzinfo=UTC).timestamp() * 1000)
    form = {"subject": {"stringInputs": {"value": ["Card contact"]}},
            "start": {"dateTimeInput": {"msSinceEpoch": start}},
            "end": {"dateTimeInput": {"msSinceEpoch": start + 1800000}}}
    (card,) = cards_in(gmail("/gmail/actions/create",
                             {"commonEventObject": {"formInputs": form}}).json)
    add = card["sections"][1]["widgets"][-1]["buttonList"]["buttons"][0]
    event_id = add["onClick"]["action"]["parameters"][0]["value"]
    (listed,) = cards_in(gmail("/gmail/actions/attendees", {"commonEventObject": {
        "parameters": {"eventId": event_id}, "formInputs": {"attendeeEmail": {
            "stringInputs": {"value": ["ada.walk-in@newco.example"]}}}}}).json)
    strict(listed)
    create = next(w["buttonList"]["buttons"][0] for w in listed["sections"][1]["widgets"]
                  if "buttonList" in w and w["buttonList"]["buttons"][0]["text"]
                  == "Create Contact")
    parameters = {p["key"]: p["value"] for p in create["onClick"]["action"]["parameters"]}
    done = gmail("/gmail/actions/create-contact",
                 {"commonEventObject": {"parameters": parameters}})
    (linked,) = cards_in(done.json)
    strict(linked)
    assert done.json["renderActions"]["action"]["notification"]["text"] == (
        "Contact created for ada.walk-in@newco.example")
    text = json.dumps(linked)
    assert "Contact: ada.walk-in" in text and "Not in Salesforce" not in text
    assert "Create Contact" not in text
    assert [(m["to"], m["kind"]) for m in clean_sandbox.state.mail.messages()] == [
        ("ada.walk-in@newco.example", "invitation")]  # linking sends nothing more


def test_cancel_event_from_the_card(gmail: Callable[..., Any],
                                    clean_sandbox: SandboxRuntime) -> None:
    start = int(datetime(2026, 12, 5, 15, 0, tzinfo=UTC).timestamp() * 1000)
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
    start = int(datetime(2026, 12, 3, 15, 0, tzinfo=UTC).timestamp() * 1000)
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
