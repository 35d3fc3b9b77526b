"""Checking Exchange credentials before they are stored: one GetFolder of the user's
calendar with HTTP Basic, sent through the product's HTTP session (its CA bundle and
timeouts), read with lxml."""

from __future__ import annotations

import requests
from lxml import etree

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
M = "http://schemas.microsoft.com/exchange/services/2006/messages"
T = "http://schemas.microsoft.com/exchange/services/2006/types"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


class ExchangeRejected(Exception):
    """The server refused the user name and password (or the mailbox)."""


class ExchangeUnreachable(Exception):
    """No EWS answer at that URL."""


def _get_calendar_folder(mailbox: str) -> bytes:
    root = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"s": SOAP, "m": M, "t": T})
    header = etree.SubElement(root, f"{{{SOAP}}}Header")
    etree.SubElement(header, f"{{{T}}}RequestServerVersion", Version="Exchange2013")
    body = etree.SubElement(root, f"{{{SOAP}}}Body")
    request = etree.SubElement(body, f"{{{M}}}GetFolder")
    shape = etree.SubElement(request, f"{{{M}}}FolderShape")
    etree.SubElement(shape, f"{{{T}}}BaseShape").text = "IdOnly"
    ids = etree.SubElement(request, f"{{{M}}}FolderIds")
    folder = etree.SubElement(ids, f"{{{T}}}DistinguishedFolderId", Id="calendar")
    box = etree.SubElement(folder, f"{{{T}}}Mailbox")
    etree.SubElement(box, f"{{{T}}}EmailAddress").text = mailbox
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def check_credentials(session: requests.Session, endpoint: str, mailbox: str,
                      username: str, password: str, timeout: float = 10.0) -> None:
    """Raises ExchangeRejected or ExchangeUnreachable unless the calendar can be read."""
    try:
        answer = session.post(endpoint, data=_get_calendar_folder(mailbox),
                              auth=(username, password), timeout=timeout,
                              headers={"Content-Type": "text/xml; charset=utf-8"})
    except requests.RequestException as exc:
        raise ExchangeUnreachable(f"the Exchange server could not be reached: {exc}") from exc
    if answer.status_code in (401, 403):
        raise ExchangeRejected("the Exchange server rejected the user name or password")
    try:
        root = etree.fromstring(answer.content, _PARSER)
    except etree.XMLSyntaxError:
        raise ExchangeUnreachable(f"no EWS answer at {endpoint} (HTTP "
                                  f"{answer.status_code})") from None
    code = root.findtext(f".//{{{M}}}ResponseCode") or root.findtext(
        ".//{http://schemas.microsoft.com/exchange/services/2006/errors}ResponseCode")
    if code == "NoError":
        return
    if code in ("ErrorAccessDenied", "ErrorNonExistentMailbox", "ErrorFolderNotFound"):
        raise ExchangeRejected(f"the Exchange server refused this mailbox's calendar ({code})")
    raise ExchangeUnreachable(f"the Exchange server answered {code or answer.status_code}")
