"""Gmail add-on cards (google.apps.card.v1 JSON): the Create dialog, the result, errors
and the connect prompt. Plain builders; no Flask, no I/O.

Google's card conventions: a header, sections with headers, decoratedText with icons for
facts, and the card's primary action in the fixedFooter. Times are shown in the user's
zone (the event object's commonEventObject.timeZone), never as UTC strings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from addin.web.gmail.repeat import repeat_widgets

SHOW_AS = (("busy", "Busy"), ("free", "Free"), ("outOfOffice", "Out of Office"))
REMINDERS = (("", "None"), ("0", "At start time"), ("5", "5 minutes before"),
             ("15", "15 minutes before"), ("30", "30 minutes before"),
             ("60", "1 hour before"), ("1440", "1 day before"))
LABELS = {"subject": "Subject", "start": "Start", "end": "End", "location": "Location",
          "description": "Description", "whoId": "Name", "whatId": "Related To",
          "showAs": "Show Time As", "reminderMinutes": "Reminder", "isAllDay": "All day",
          "recurrence": "Repeat"}


def _label(field: str, errors: dict[str, str]) -> str:
    label = LABELS[field]
    return f"{label}: {errors[field]}" if field in errors else label


def _ms(moment: datetime) -> str:
    return str(int(moment.astimezone(UTC).timestamp() * 1000))


def _dropdown(name: str, label: str, options: list[tuple[str, str]], selected: str | None
              ) -> dict[str, Any]:
    return {"selectionInput": {"name": name, "label": label, "type": "DROPDOWN", "items": [
        {"text": text, "value": value, "selected": value == (selected or "")}
        for value, text in options]}}


@dataclass(frozen=True)
class LookupUrls:
    """Where the Name / Related To inputs send their search (on change) and type-ahead."""

    search: str
    suggest: str


# the lookup field -> its search text input, what it searches, its hint
LOOKUPS = {"whoId": ("whoSearch", "Search Contacts and Leads"),
           "whatId": ("whatSearch", "Search Accounts and Opportunities")}


def _lookup(field: str, values: dict[str, Any], options: list[tuple[str, str]],
            errors: dict[str, str], urls: LookupUrls) -> list[dict[str, Any]]:
    """A lookup: a text input that searches Salesforce when it changes (the card comes
    back with the matches in a dropdown) and offers type-ahead suggestions."""
    search_name, hint = LOOKUPS[field]
    parameters = [{"key": "field", "value": field}]
    widgets: list[dict[str, Any]] = [{"textInput": {
        "name": search_name, "label": _label(field, errors), "hintText": hint,
        "value": values.get(search_name, ""), "type": "SINGLE_LINE",
        "onChangeAction": {"function": urls.search, "parameters": parameters},
        "autoCompleteAction": {"function": urls.suggest, "parameters": parameters}}}]
    if options:
        widgets.append(_dropdown(field, f"{LABELS[field]}: matches",
                                 [*options, ("", "None")], values.get(field)))
    return widgets


def create_card(*, values: dict[str, Any], action_url: str, offset_minutes: int,
                who_options: list[tuple[str, str]], what_options: list[tuple[str, str]],
                lookup_urls: LookupUrls, errors: dict[str, str] | None = None
                ) -> dict[str, Any]:
    """The Create dialog; ``values`` holds what the user typed (kept after an error), the
    options the matches of the Name and Related To searches."""
    errors = errors or {}
    widgets: list[dict[str, Any]] = [
        {"textInput": {"name": "subject", "label": _label("subject", errors),
                       "value": values.get("subject", ""), "type": "SINGLE_LINE"}},
        {"selectionInput": {"name": "isAllDay", "label": "All day", "type": "SWITCH",
                            "items": [{"text": "All day", "value": "true",
                                       "selected": bool(values.get("isAllDay"))}]}},
    ]
    for field in ("start", "end"):
        moment = values.get(field)
        picker: dict[str, Any] = {"name": field, "label": _label(field, errors),
                                  "type": "DATE_AND_TIME",
                                  "timezoneOffsetDate": offset_minutes}
        if isinstance(moment, datetime):
            picker["valueMsEpoch"] = _ms(moment)
        widgets.append({"dateTimePicker": picker})
    widgets += [
        {"textInput": {"name": "location", "label": _label("location", errors),
                       "value": values.get("location", "")}},
        {"textInput": {"name": "description", "label": _label("description", errors),
                       "value": values.get("description", ""), "type": "MULTIPLE_LINE"}},
        *_lookup("whoId", values, who_options, errors, lookup_urls),
        *_lookup("whatId", values, what_options, errors, lookup_urls),
        _dropdown("showAs", _label("showAs", errors), list(SHOW_AS),
                  values.get("showAs", "busy")),
        _dropdown("reminderMinutes", _label("reminderMinutes", errors), list(REMINDERS),
                  str(values.get("reminderMinutes", "15"))),
    ]
    widgets += repeat_widgets(values, errors)  # the series' rule: addin/web/gmail/repeat.py
    sections = [{"header": "New Salesforce Event", "widgets": widgets}]
    problems = {k: v for k, v in errors.items() if k not in LABELS}
    if problems:
        sections.insert(0, {"widgets": [{"textParagraph": {
            "text": "<font color=\"#a4262c\">" + "<br>".join(problems.values()) + "</font>"}}]})
    return {
        "header": {"title": "Create Event", "subtitle": "Salesforce"},
        "sections": sections,
        "fixedFooter": {"primaryButton": {"text": "Create", "onClick": {"action": {
            "function": action_url, "parameters": [{"key": "action", "value": "create"}]}}}},
    }


def suggestions(texts: list[str]) -> dict[str, Any]:
    """The answer to a text input's autoCompleteAction: its type-ahead suggestions
    (google.apps.card.v1 Suggestions in the add-on's action response)."""
    return {"action": {"suggestions": {"items": [{"text": t} for t in texts]}}}


RESPONSES = {"none": "no response yet", "accepted": "accepted", "declined": "declined",
             "tentative": "tentative"}


def _attendee_widget(attendee: dict[str, Any], action_url: str, event_id: str
                     ) -> dict[str, Any]:
    record = attendee.get("record")
    link = f"{record['type']}: {record['name']}" if record else "Not in Salesforce"
    others = len(record.get("alternatives") or []) if record else 0
    if record and others:
        link += (f" (another {record['type']} has this email)" if others == 1 else
                 f" ({others} other {record['type']}s have this email)")
    state = ("invited in Salesforce, not yet in the calendar" if attendee.get("held")
             else RESPONSES.get(attendee.get("response", "none"), attendee.get("response")))
    return {"decoratedText": {
        "startIcon": {"knownIcon": "PERSON"},
        "text": attendee.get("name") or attendee["email"], "topLabel": attendee["email"],
        "bottomLabel": f"{link} · {state}", "wrapText": True,
        "button": {"text": "Remove", "onClick": {"action": {"function": action_url,
            "parameters": [{"key": "eventId", "value": event_id},
                           {"key": "remove", "value": attendee["email"]}]}}}}}


DASH = "\N{EN DASH}"


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def zone_text(zone: ZoneInfo, at: datetime) -> str:
    """A zone as a person reads it: "New York (UTC-05:00)"."""
    offset = at.astimezone(zone).strftime("%z") or "+0000"
    city = zone.key.rsplit("/", 1)[-1].replace("_", " ")
    return f"{city} (UTC{offset[:3]}:{offset[3:]})"


def when_text(event: dict[str, Any], zone: ZoneInfo) -> tuple[str, str]:
    """The event's date and time in the user's zone, and the zone (empty for all-day
    events, whose dates are the same everywhere)."""
    if event.get("isAllDay"):
        first, last = date.fromisoformat(event["start"]), date.fromisoformat(event["end"])
        days = first.strftime("%a %-d %b %Y")
        if last != first:
            days += f" {DASH} " + last.strftime("%a %-d %b %Y")
        return f"{days}, all day", ""
    start, end = _instant(event["start"]).astimezone(zone), _instant(event["end"]).astimezone(
        zone)
    text = start.strftime("%a %-d %b %Y, %H:%M") + f" {DASH} "
    text += end.strftime("%H:%M") if end.date() == start.date() else end.strftime(
        "%a %-d %b %Y, %H:%M")
    return text, zone_text(zone, start)


def _fact(icon: str, label: str, text: str) -> dict[str, Any]:
    return {"decoratedText": {"startIcon": {"knownIcon": icon}, "topLabel": label,
                              "text": text, "wrapText": True}}


@dataclass(frozen=True)
class ResultActions:
    """The widget actions of the result card."""

    another: str  # "Create another"
    attendees: str | None = None  # add / remove (None: no attendee editor)
    create_contact: str | None = None
    cancel: str | None = None


def result_card(view: dict[str, Any], actions: ResultActions, *, zone: ZoneInfo,
                names: dict[str, str] | None = None, error: str | None = None
                ) -> dict[str, Any]:
    """What was saved, as the user reads it: date and time in their zone, location, Name,
    Related To (``names``: record id -> "Name (Type)"), the calendar's state; then the
    attendee editor."""
    event, mirror, sync = view["event"], view["mirror"], view["sync"]
    names = names or {}
    where = {"graph": "Outlook", "google": "Google", "ews": "Exchange"}.get(mirror["provider"],
                                                                           "mailbox")
    calendar_text = (f"Added to your calendar as an {mirror['kind']}."
                     if sync["state"] == "mirrored" else
                     f"Saved in Salesforce; it will appear in your {where} calendar shortly.")
    if mirror["kind"] == "meeting":
        calendar_text = "In your calendar as a meeting; attendees are invited."
    when, zone_label = when_text(event, zone)
    facts: list[dict[str, Any]] = [
        {"decoratedText": {"startIcon": {"knownIcon": "CLOCK"}, "topLabel": "When",
                           "text": when, "bottomLabel": zone_label, "wrapText": True}}
        if zone_label else _fact("CLOCK", "When", when)]
    if event.get("location"):
        facts.append(_fact("MAP_PIN", "Location", event["location"]))
    if event.get("whoId"):
        facts.append(_fact("PERSON", "Name", names.get(event["whoId"], event["whoId"])))
    if event.get("whatId"):
        facts.append(_fact("BOOKMARK", "Related To",
                           names.get(event["whatId"], event["whatId"])))
    facts.append({"textParagraph": {"text": calendar_text}})
    sections: list[dict[str, Any]] = [{"header": event["subject"] or "Salesforce Event",
                                       "widgets": facts}]
    if actions.attendees:
        sections.append(_attendees_section(view, actions, error))
    if actions.cancel:
        sections.append({"widgets": [{"buttonList": {"buttons": [{
            "text": "Cancel event", "onClick": {"action": {
                "function": actions.cancel,
                "parameters": [{"key": "eventId", "value": event["id"]}]}}}]}}]})
    return {
        "header": {"title": "Event created", "subtitle": event["subject"]},
        "sections": sections,
        "fixedFooter": {
            "primaryButton": {"text": "Open in Salesforce",
                              "onClick": {"openLink": {"url": event["url"]}}},
            "secondaryButton": {"text": "Create another", "onClick": {
                "action": {"function": actions.another}}}},
    }


def _attendees_section(view: dict[str, Any], actions: ResultActions, error: str | None
                       ) -> dict[str, Any]:
    event = view["event"]
    assert actions.attendees is not None
    widgets = []
    for attendee in view.get("attendees", []):
        widgets.append(_attendee_widget(attendee, actions.attendees, event["id"]))
        if not attendee.get("record") and actions.create_contact:
            widgets.append({"buttonList": {"buttons": [{
                "text": "Create Contact", "onClick": {"action": {
                    "function": actions.create_contact,
                    "parameters": [{"key": "eventId", "value": event["id"]},
                                   {"key": "email", "value": attendee["email"]}]}}}]}})
    if not widgets:
        widgets.append({"textParagraph": {"text": "No attendees yet: add people to turn "
                                                  "the appointment into a meeting."}})
    label = "Add attendee (email)" + (f": {error}" if error else "")
    widgets += [
        {"textInput": {"name": "attendeeEmail", "label": label}},
        {"buttonList": {"buttons": [{"text": "Add attendee", "onClick": {"action": {
            "function": actions.attendees,
            "parameters": [{"key": "eventId", "value": event["id"]}]}}}]}},
    ]
    return {"header": "Attendees", "widgets": widgets}


def message_card(title: str, text: str, button: tuple[str, str] | None = None
                 ) -> dict[str, Any]:
    """A card that explains something, with an optional link (e.g. connect) as its primary
    action."""
    card: dict[str, Any] = {"header": {"title": title},
                            "sections": [{"widgets": [{"textParagraph": {"text": text}}]}]}
    if button is not None:
        card["fixedFooter"] = {"primaryButton": {"text": button[0], "onClick": {
            "openLink": {"url": button[1], "openAs": "OVERLAY", "onClose": "RELOAD"}}}}
    return card


def cancel_confirm_card(view: dict[str, Any], cancel_url: str) -> dict[str, Any]:
    """Asked before cancelling: who will be told."""
    event = view["event"]
    people = [a["email"] for a in view.get("attendees", [])]
    told = (f"Each attendee ({', '.join(people)}) gets one cancellation." if people
            else "It has no attendees: nobody is emailed.")
    parameters = [{"key": "eventId", "value": event["id"]}]
    return {"header": {"title": "Cancel this event?", "subtitle": event["subject"]},
            "sections": [{"widgets": [
                {"textParagraph": {"text": f"It is deleted in Salesforce and in your "
                                           f"calendar. {told}"}}]}],
            "fixedFooter": {
                "primaryButton": {"text": "Yes, cancel it", "onClick": {"action": {
                    "function": cancel_url,
                    "parameters": [*parameters, {"key": "confirm", "value": "yes"}]}}},
                "secondaryButton": {"text": "Keep it", "onClick": {"action": {
                    "function": cancel_url,
                    "parameters": [*parameters, {"key": "keep", "value": "yes"}]}}}}}


def authorization_prompt(url: str, resource: str) -> dict[str, Any]:
    """Google's basic authorization card for a non-Google service (or our own OAuth
    client's access to Google Calendar): the person opens ``url``, authorizes, and the
    add-on reloads."""
    return {"basic_authorization_prompt": {"authorization_url": url, "resource": resource}}


def push(card: dict[str, Any]) -> dict[str, Any]:
    return {"action": {"navigations": [{"pushCard": card}]}}


def update(card: dict[str, Any], notification: str | None = None) -> dict[str, Any]:
    action: dict[str, Any] = {"navigations": [{"updateCard": card}]}
    if notification:
        action["notification"] = {"text": notification}
    return {"renderActions": {"action": action}}
