"""EWS SOAP plumbing: namespaces, the envelope with its ServerVersionInfo header, response
messages, SOAP faults (ErrorServerBusy with its back-off hint), and EWS date-times.
Everything is built and parsed with lxml."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lxml import etree

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
M = "http://schemas.microsoft.com/exchange/services/2006/messages"
T = "http://schemas.microsoft.com/exchange/services/2006/types"
E = "http://schemas.microsoft.com/exchange/services/2006/errors"
NSMAP = {"s": SOAP, "m": M, "t": T}
# The build the emulator reports (Exchange Server 2019 CU14).
SERVER_VERSION = {"MajorVersion": "15", "MinorVersion": "2", "MajorBuildNumber": "1544",
                  "MinorBuildNumber": "4", "Version": "V2017_07_11"}
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True)


class EwsError(Exception):
    """An error answered in a response message (ResponseClass="Error")."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class SoapFault(Exception):
    """An error answered as a SOAP fault (HTTP 500), for the whole request."""

    def __init__(self, code: str, message: str, *, status: int = 500,
                 back_off_ms: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.back_off_ms = back_off_ms


def m(tag: str) -> str:
    return f"{{{M}}}{tag}"


def t(tag: str) -> str:
    return f"{{{T}}}{tag}"


def parse_request(data: bytes) -> etree._Element:
    """The first element of the SOAP Body of a request."""
    try:
        root = etree.fromstring(data, PARSER)
    except etree.XMLSyntaxError as exc:
        raise SoapFault("ErrorSchemaValidation",
                        f"The request failed schema validation: {exc}", status=500) from None
    body = root.find(f"{{{SOAP}}}Body")
    if root.tag != f"{{{SOAP}}}Envelope" or body is None or len(body) == 0:
        raise SoapFault("ErrorSchemaValidation",
                        "The request failed schema validation: no SOAP Body.")
    return body[0]


def envelope(content: etree._Element | None) -> bytes:
    root = etree.Element(f"{{{SOAP}}}Envelope", nsmap=NSMAP)
    header = etree.SubElement(root, f"{{{SOAP}}}Header")
    etree.SubElement(header, t("ServerVersionInfo"), SERVER_VERSION)
    body = etree.SubElement(root, f"{{{SOAP}}}Body")
    if content is not None:
        body.append(content)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def fault(code: str, message: str, back_off_ms: int | None = None) -> bytes:
    """A SOAP fault as Exchange sends it (with ``detail`` unqualified)."""
    root = etree.Element(f"{{{SOAP}}}Envelope", nsmap=NSMAP)
    body = etree.SubElement(root, f"{{{SOAP}}}Body")
    node = etree.SubElement(body, f"{{{SOAP}}}Fault")
    etree.SubElement(node, "faultcode").text = "a:" + code
    etree.SubElement(node, "faultstring").text = message
    detail = etree.SubElement(node, "detail")
    etree.SubElement(detail, f"{{{E}}}ResponseCode", nsmap={"e": E}).text = code
    etree.SubElement(detail, f"{{{E}}}Message").text = message
    if back_off_ms is not None:
        xml = etree.SubElement(detail, t("MessageXml"))
        etree.SubElement(xml, t("Value"), Name="BackOffMilliseconds").text = str(back_off_ms)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def response(operation: str) -> tuple[etree._Element, etree._Element]:
    """``<m:{operation}Response><m:ResponseMessages>``: the response and its messages."""
    answer = etree.Element(m(f"{operation}Response"), nsmap={"m": M, "t": T})
    return answer, etree.SubElement(answer, m("ResponseMessages"))


def message(parent: etree._Element, operation: str, error: EwsError | None = None
            ) -> etree._Element:
    node = etree.SubElement(parent, m(f"{operation}ResponseMessage"),
                            ResponseClass="Error" if error else "Success")
    if error is not None:
        etree.SubElement(node, m("MessageText")).text = error.message
        etree.SubElement(node, m("ResponseCode")).text = error.code
        etree.SubElement(node, m("DescriptiveLinkKey")).text = "0"
    else:
        etree.SubElement(node, m("ResponseCode")).text = "NoError"
    return node


def parse_datetime(value: str | None, field: str) -> datetime:
    """An xs:dateTime as EWS accepts it: with Z or an offset; without one it is UTC."""
    try:
        moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        raise EwsError("ErrorInvalidValueForProperty",
                       f"The value '{value}' of {field} is not a valid date-time.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_datetime(moment: datetime | str) -> str:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def bool_text(value: Any) -> str:
    return "true" if value else "false"
