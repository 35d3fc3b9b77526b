"""The zones a person picks from, as they read them, and a mailbox's zone (a Windows or
IANA name, as Office.js gives it) as an IANA zone."""

from __future__ import annotations

from datetime import datetime

from tzlocal.windows_tz import win_tz

from addin.domain.errors import MalformedRequest
from addin.providers.calendar.timezones import UnknownTimeZone, to_iana, zone


def iana_zone(name: str) -> str:
    """``name`` (Windows or IANA) as an IANA zone; MalformedRequest at ``name`` if unknown."""
    try:
        return to_iana(name)
    except UnknownTimeZone:
        raise MalformedRequest(f"Unknown time zone {name!r}.", field="name",
                               reason="unknown time zone") from None


def zone_label(iana: str, at: datetime) -> str:
    """A zone as a person reads it: "Berlin (UTC+01:00)", its offset at ``at``."""
    offset = at.astimezone(zone(iana)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    city = "UTC" if iana == "UTC" else iana.rsplit("/", 1)[-1].replace("_", " ")
    return f"{city} (UTC{sign}{hours:02d}:{rest:02d})"


def zone_choices(at: datetime) -> list[dict[str, str]]:
    """The zones a person picks from: one per Windows zone (CLDR's), west to east."""
    ids = {"UTC", *(str(name) for name in win_tz.values())}
    offsets = {iana: at.astimezone(zone(iana)).utcoffset() for iana in ids}
    ordered = sorted(ids, key=lambda iana: (offsets[iana], zone_label(iana, at)))
    return [{"id": iana, "label": zone_label(iana, at)} for iana in ordered]
