"""Repeat in the Gmail add-on's Create card (google.apps.card.v1 JSON): daily, weekly on
chosen days, monthly or a custom RRULE; ends never, on a date or after N. Builds the
widgets and reads them back into the API's ``recurrence``. Plain functions; no Flask, no
I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

FREQUENCIES = (("none", "Does not repeat"), ("daily", "Daily"), ("weekly", "Weekly on…"),
               ("monthly", "Monthly"), ("custom", "Custom (RRULE)"))
DAYS = (("MO", "Monday"), ("TU", "Tuesday"), ("WE", "Wednesday"), ("TH", "Thursday"),
        ("FR", "Friday"), ("SA", "Saturday"), ("SU", "Sunday"))
ENDS = (("never", "Never"), ("until", "On a date"), ("count", "After a number of times"))
FIELDS = ("repeat", "repeatDays", "recurrenceCustom", "repeatEnds", "repeatUntil",
          "repeatCount")


def _dropdown(name: str, label: str, options: tuple[tuple[str, str], ...], selected: str
              ) -> dict[str, Any]:
    return {"selectionInput": {"name": name, "label": label, "type": "DROPDOWN", "items": [
        {"text": text, "value": value, "selected": value == selected}
        for value, text in options]}}


def repeat_widgets(values: dict[str, Any], errors: dict[str, str]) -> list[dict[str, Any]]:
    """The Repeat widgets; ``values`` as the form last held them, ``errors`` the API's
    (its ``recurrence`` message shown in the Repeat label)."""
    label = f"Repeat: {errors['recurrence']}" if "recurrence" in errors else "Repeat"
    chosen_days = values.get("repeatDays") or []
    if isinstance(chosen_days, str):
        chosen_days = [chosen_days]
    until: dict[str, Any] = {"name": "repeatUntil", "label": "Last day", "type": "DATE_ONLY"}
    if isinstance(values.get("repeatUntil"), int):
        until["valueMsEpoch"] = str(values["repeatUntil"])
    return [
        _dropdown("repeat", label, FREQUENCIES, str(values.get("repeat") or "none")),
        {"selectionInput": {"name": "repeatDays", "label": "Weekly on (none: the start's "
                            "day)", "type": "CHECK_BOX", "items": [
                                {"text": text, "value": code, "selected": code in chosen_days}
                                for code, text in DAYS]}},
        {"textInput": {"name": "recurrenceCustom", "label": "Custom rule (RRULE)",
                       "hintText": "e.g. FREQ=WEEKLY;BYDAY=TU;COUNT=10",
                       "value": str(values.get("recurrenceCustom") or "")}},
        _dropdown("repeatEnds", "Ends", ENDS, str(values.get("repeatEnds") or "never")),
        {"dateTimePicker": until},
        {"textInput": {"name": "repeatCount", "label": "Number of times",
                       "value": str(values.get("repeatCount") or "10")}},
    ]


def form_values(event: dict[str, Any]) -> dict[str, Any]:
    """The Repeat fields of a card submission (``commonEventObject.formInputs``), the
    weekdays as a list."""
    raw = (event.get("commonEventObject") or {}).get("formInputs") or {}
    found: dict[str, Any] = {}
    for name in FIELDS:
        value = raw.get(name)
        if not isinstance(value, dict):
            continue
        if "stringInputs" in value:
            strings = [str(s) for s in (value["stringInputs"] or {}).get("value") or []]
            found[name] = strings if name == "repeatDays" else (strings[0] if strings else "")
        elif "dateInput" in value or "dateTimeInput" in value:
            picked = value.get("dateInput") or value.get("dateTimeInput") or {}
            ms = picked.get("msSinceEpoch") if isinstance(picked, dict) else None
            found[name] = int(str(ms)) if str(ms).lstrip("-").isdigit() else None
    return found


def recurrence_of(values: dict[str, Any], start: str) -> str | None:
    """The ``recurrence`` for the API (None: a single event). ``start`` is the body's start
    (ISO date or date-time), for a weekly rule without chosen days. The API validates it
    and names ``recurrence`` when it is wrong."""
    frequency = str(values.get("repeat") or "none")
    if frequency == "none":
        return None
    if frequency == "custom":
        return str(values.get("recurrenceCustom") or "").strip() or "RRULE:"
    parts = [f"FREQ={frequency.upper()}"]
    if frequency == "weekly":
        days = [d for d, _ in DAYS if d in (values.get("repeatDays") or [])]
        if not days and start:
            try:
                days = [DAYS[date.fromisoformat(start[:10]).weekday()][0]]
            except ValueError:
                days = []
        if days:
            parts.append("BYDAY=" + ",".join(days))
    ends = values.get("repeatEnds") or "never"
    if ends == "until" and isinstance(values.get("repeatUntil"), int):
        last = datetime.fromtimestamp(values["repeatUntil"] / 1000, UTC).date()
        parts.append(f"UNTIL={last.strftime('%Y%m%d')}")
    elif ends == "count":
        parts.append(f"COUNT={str(values.get('repeatCount') or '').strip()}")
    return "RRULE:" + ";".join(parts)
