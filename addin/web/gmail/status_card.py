"""The Gmail add-on's sync status card (card JSON of the Google Workspace card framework,
strictly parseable by google-apps-card): the last pass, propagation times, errors each with
a Retry button, and what waits in the outbox. Built from addin.services.sync_status."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

MAX_ROWS = 5


def _when(iso: str | None, zone: ZoneInfo) -> str:
    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone(zone).strftime("%b %d, %H:%M:%S")


def _seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.1f} s" if value < 10 else f"{round(value)} s"


def _retry(status_url: str, error: dict[str, Any]) -> dict[str, Any]:
    return {"text": "Retry", "onClick": {"action": {"function": status_url, "parameters": [
        {"key": "retry", "value": str(error["type"])},
        {"key": "id", "value": str(error["id"])}]}}}


def status_card(view: dict[str, Any], status_url: str, zone: ZoneInfo) -> dict[str, Any]:
    """The card of ``user_status`` (addin/services/sync_status.py)."""
    sections: list[dict[str, Any]] = []
    passes = view["passes"]
    if passes:
        last = passes[0]
        counts = f"{last['checked']} checked, {last['reconciled']} synced"
        if last["failed"]:
            counts += f", {last['failed']} failed"
        sections.append({"header": "Last sync", "widgets": [{"decoratedText": {
            "topLabel": f"{_when(last['startedAt'], zone)} · {last['reason']}",
            "text": last["error"] or counts, "bottomLabel": f"took {last['durationMs']} ms",
            "wrapText": True}}]})
    else:
        sections.append({"header": "Last sync", "widgets": [
            {"textParagraph": {"text": "No sync pass yet."}}]})
    propagation = view["propagation"]
    text = (f"Median {_seconds(propagation['medianSeconds'])}, longest "
            f"{_seconds(propagation['maxSeconds'])} over the last {propagation['count']} "
            "changes (from a change on one side to its copy on the other)."
            if propagation["count"] else "No change has been synced yet.")
    sections.append({"header": "Propagation", "widgets": [{"textParagraph": {"text": text}}]})
    errors = view["errors"][:MAX_ROWS]
    sections.append({"header": f"Errors ({len(view['errors'])})", "widgets": [
        {"decoratedText": {
            "topLabel": error["title"], "text": error["subject"] or error["message"],
            "bottomLabel": error["message"] if error["subject"] else _when(error["at"], zone),
            "wrapText": True, "button": _retry(status_url, error)}}
        for error in errors] or [{"textParagraph": {"text": "No errors."}}]})
    waiting = view["pending"][:MAX_ROWS]
    sections.append({"header": f"Waiting ({len(view['pending'])})", "widgets": [
        {"decoratedText": {
            "topLabel": op["title"], "text": op["subject"] or op["kind"],
            "bottomLabel": f"{op['state']}, attempt {op['attempts']}", "wrapText": True}}
        for op in waiting] or [{"textParagraph": {"text": "Nothing is waiting."}}]})
    person = view["user"]
    return {"header": {"title": "Sync status", "subtitle": person["email"]},
            "sections": sections,
            "fixedFooter": {"primaryButton": {"text": "Sync now", "onClick": {"action": {
                "function": status_url,
                "parameters": [{"key": "retry", "value": "pass"}]}}}}}


def status_button(status_url: str) -> dict[str, Any]:
    """A section with the button that opens the status card (added to the home card)."""
    return {"widgets": [{"buttonList": {"buttons": [{"text": "Sync status", "onClick": {
        "action": {"function": status_url}}}]}}]}
