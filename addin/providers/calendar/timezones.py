"""Time-zone names: Graph often answers with Windows zone names ("Pacific Standard Time");
everything inside the product is IANA. The mapping is CLDR's, as shipped by tzlocal."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tzlocal.windows_tz import tz_win, win_tz


class UnknownTimeZone(ValueError):
    pass


def to_iana(name: str) -> str:
    """An IANA zone for a Windows or IANA name ("UTC" stays "UTC")."""
    if not name:
        raise UnknownTimeZone("empty time zone")
    if name in ("UTC", "Etc/UTC", "tzone://Microsoft/Utc"):
        return "UTC"
    if name in win_tz:
        return str(win_tz[name])
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UnknownTimeZone(f"unknown time zone {name!r}") from None
    return name


def to_windows(name: str) -> str:
    """The Windows zone name for an IANA zone (for Outlook-facing values)."""
    iana = to_iana(name)
    if iana == "UTC":
        return "UTC"
    windows = tz_win.get(iana)
    if windows is None:
        raise UnknownTimeZone(f"no Windows zone for {iana!r}")
    return str(windows)


def zone(name: str) -> ZoneInfo:
    return ZoneInfo(to_iana(name))
