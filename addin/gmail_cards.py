"""Gmail add-on cards (google.apps.card.v1 JSON): the Create dialog, the result, errors
and the connect prompt. Plain builders; no Flask, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from addin.gmail_repeat import repeat_widgets

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


def create_card(*, values: dict[str, Any], action_url: str, offset_minutes: int,
                who_options: list[tuple[str, str]], what_options: list[tuple[str, str]],
                errors: dict[str, str] | None = None) -> dict[str, Any]:
    """The Create dialog; ``values`` holds what the user typed (kept after an error)."""
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
        _dropdown("whoId", _label("whoId", errors), [("", "None"), *who_options],
                  values.get("whoId")),
        _dropdown("whatId", _label("whatId", errors), [("", "None"), *what_options],
                  values.get("whatId")),
        _dropdown("showAs", _label("showAs", errors), list(SHOW_AS),
                  values.get("showAs", "busy")),
        _dropdown("reminderMinutes", _label("reminderMinutes", errors), list(REMINDERS),
                  str(values.get("reminderMinutes", "15"))),
    ]
    widgets += repeat_widgets(values, errors)  # Repeat (issue #12): addin/gmail_repeat.py
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
        "text": attendee.get("name") or attendee["email"], "topLabel": attendee["email"],
        "bottomLabel": f"{link} · {state}", "wrapText": True,
        "button": {"text": "Remove", "onClick": {"action": {"function": action_url,
            "parameters": [{"key": "eventId", "value": event_id},
                           {"key": "remove", "value": attendee["email"]}]}}}}}


def result_card(view: dict[str, Any], another_url: str,
                attendees_url: str | None = None, error: str | None = None) -> dict[str, Any]:
    event, mirror, sync = view["event"], view["mirror"], view["sync"]
    where = {"graph": "Outlook", "google": "Google", "ews": "Exchange"}.get(mirror["provider"],
                                                                           "mailbox")
    calendar_text = (f"Added to your calendar as an {mirror['kind']}."
                     if sync["state"] == "mirrored" else
                     f"Saved in Salesforce; it will appear in your {where} calendar shortly.")
    when = f"{event['start']} to {event['end']}"
    if mirror["kind"] == "meeting":
        calendar_text = "In your calendar as a meeting; attendees are invited."
    sections: list[dict[str, Any]] = [{"widgets": [
        {"decoratedText": {"topLabel": "Salesforce Event", "text": event["subject"],
                           "bottomLabel": when, "wrapText": True,
                           "button": {"text": "Open", "onClick": {
                               "openLink": {"url": event["url"]}}}}},
        {"textParagraph": {"text": calendar_text}},
    ]}]
    if attendees_url:
        widgets = []
        for attendee in view.get("attendees", []):
            widgets.append(_attendee_widget(attendee, attendees_url, event["id"]))
            if not attendee.get("record"):  # the one-click create
                widgets.append({"buttonList": {"buttons": [{
                    "text": "Create Contact", "onClick": {"action": {
                        "function": attendees_url.replace("/attendees", "/create-contact"),
                        "parameters": [{"key": "eventId", "value": event["id"]},
                                       {"key": "email", "value": attendee["email"]}]}}}]}})
        if not widgets:
            widgets.append({"textParagraph": {"text": "No attendees yet: add people to turn "
                                                      "the appointment into a meeting."}})
        label = "Add attendee (email)" + (f": {error}" if error else "")
        widgets += [
            {"textInput": {"name": "attendeeEmail", "label": label}},
            {"buttonList": {"buttons": [{"text": "Add attendee", "onClick": {"action": {
                "function": attendees_url,
                "parameters": [{"key": "eventId", "value": event["id"]}]}}}]}},
        ]
        sections.append({"header": "Attendees", "widgets": widgets})
        sections.append({"widgets": [{"buttonList": {"buttons": [{
            "text": "Cancel event", "onClick": {"action": {
                "function": attendees_url.replace("/attendees", "/cancel"),
                "parameters": [{"key": "eventId", "value": event["id"]}]}}}]}}]})
    return {
        "header": {"title": "Event created", "subtitle": event["subject"]},
        "sections": sections,
        "fixedFooter": {"primaryButton": {"text": "Create another", "onClick": {
            "action": {"function": another_url}}}},
    }


def message_card(title: str, text: str, button: tuple[str, str] | None = None
                 ) -> dict[str, Any]:
    """A card that explains something, with an optional link button (e.g. connect)."""
    widgets: list[dict[str, Any]] = [{"textParagraph": {"text": text}}]
    if button is not None:
        widgets.append({"buttonList": {"buttons": [{"text": button[0], "onClick": {
            "openLink": {"url": button[1], "openAs": "OVERLAY", "onClose": "RELOAD"}}}]}})
    return {"header": {"title": title}, "sections": [{"widgets": widgets}]}


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
                                           f"calendar. {told}"}},
                {"buttonList": {"buttons": [
                    {"text": "Yes, cancel it", "onClick": {"action": {
                        "function": cancel_url,
                        "parameters": [*parameters, {"key": "confirm", "value": "yes"}]}}},
                    {"text": "Keep it", "onClick": {"action": {
                        "function": cancel_url,
                        "parameters": [*parameters, {"key": "keep", "value": "yes"}]}}},
                ]}}]}]}


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
