"""Salesforce's wire formats: ids, dates, datetimes, and its error bodies."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

ID_PATTERN = re.compile(r"^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$")
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


class SalesforceApiError(Exception):
    """One or more Salesforce errors, rendered as the JSON array Salesforce sends."""

    def __init__(self, status: int, error_code: str, message: str,
                 fields: list[str] | None = None):
        super().__init__(message)
        self.status = status
        self.errors = [{"message": message, "errorCode": error_code, "fields": fields or []}]

    @property
    def error_code(self) -> str:
        return str(self.errors[0]["errorCode"])


def bad_request(code: str, message: str, fields: list[str] | None = None) -> SalesforceApiError:
    return SalesforceApiError(400, code, message, fields)


def to_18(record_id: str) -> str:
    """The case-insensitive 18-character form of a 15- or 18-character id."""
    if len(record_id) == 18:
        return record_id
    suffix = ""
    for chunk in (record_id[0:5], record_id[5:10], record_id[10:15]):
        bits = sum(1 << i for i, ch in enumerate(chunk) if "A" <= ch <= "Z")
        suffix += _ALPHABET[bits]
    return record_id + suffix


def normalize_id(value: Any, field: str) -> str:
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise bad_request("MALFORMED_ID", f"{field}: id value of incorrect type: {value}",
                          [field])
    return to_18(value)


def format_datetime(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)


def parse_datetime(value: Any, field: str = "") -> datetime:
    """Salesforce accepts ISO 8601 with Z, +hh:mm or +hhmm offsets (UTC when absent)."""
    if isinstance(value, str):
        match = _DATETIME.match(value.strip())
        if match:
            year, month, day, hour, minute, second, fraction, zone = match.groups()
            offset = 0
            if zone and zone != "Z":
                sign = -1 if zone[0] == "-" else 1
                digits = zone[1:].replace(":", "")
                offset = sign * (int(digits[:2]) * 60 + int(digits[2:]))
            try:
                naive = datetime(int(year), int(month), int(day), int(hour), int(minute),
                                 int(second or 0), int((fraction or "0")[:6].ljust(6, "0")))
            except ValueError:
                pass
            else:
                return naive.replace(tzinfo=timezone(timedelta(minutes=offset))).astimezone(UTC)
    raise bad_request(
        "JSON_PARSER_ERROR",
        f"Cannot deserialize instance of datetime from VALUE_STRING value {value} or request "
        f"may be missing a required field",
        [field] if field else [],
    )


def parse_date(value: Any, field: str = "") -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise bad_request(
        "JSON_PARSER_ERROR",
        f"Cannot deserialize instance of date from VALUE_STRING value {value} or request may "
        f"be missing a required field",
        [field] if field else [],
    )


def record_attributes(sobject: str, record_id: str, version: str) -> dict[str, str]:
    return {"type": sobject, "url": f"/services/data/v{version}/sobjects/{sobject}/{record_id}"}
