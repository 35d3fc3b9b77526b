"""EWS push notifications as the product receives them: Exchange posts a SendNotification
SOAP envelope to the subscription's URL and reads the answer, SendNotificationResult,
whose SubscriptionStatus keeps the subscription (OK) or ends it (Unsubscribe)."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
M = "http://schemas.microsoft.com/exchange/services/2006/messages"
T = "http://schemas.microsoft.com/exchange/services/2006/types"
CHANGES = ("CreatedEvent", "ModifiedEvent", "DeletedEvent", "MovedEvent", "CopiedEvent")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


class NotANotification(ValueError):
    pass


@dataclass(frozen=True)
class ItemChange:
    kind: str  # e.g. "ModifiedEvent"
    item_id: str
    change_key: str  # the item's ChangeKey after the change


@dataclass
class PushNotification:
    subscription_id: str
    changes: list[str] = field(default_factory=list)  # event kinds, e.g. "ModifiedEvent"
    items: list[ItemChange] = field(default_factory=list)  # each change's item

    @property
    def is_status_only(self) -> bool:
        return not self.changes


def parse_notification(body: bytes) -> PushNotification:
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise NotANotification(f"not XML: {exc}") from None
    note = root.find(f"{{{SOAP}}}Body/{{{M}}}SendNotification/{{{M}}}ResponseMessages/"
                     f"{{{M}}}SendNotificationResponseMessage/{{{M}}}Notification")
    if note is None:
        raise NotANotification("no SendNotification in the SOAP body")
    subscription_id = note.findtext(f"{{{T}}}SubscriptionId") or ""
    if not subscription_id:
        raise NotANotification("the notification names no subscription")
    events = [e for e in note if etree.QName(e).localname in CHANGES]
    items = []
    for event in events:
        item = event.find(f"{{{T}}}ItemId")
        if item is not None:
            items.append(ItemChange(etree.QName(event).localname, item.get("Id") or "",
                                    item.get("ChangeKey") or ""))
    return PushNotification(subscription_id, [etree.QName(e).localname for e in events],
                            items)


def notification_answer(keep: bool) -> bytes:
    """SendNotificationResult: OK keeps the subscription, Unsubscribe ends it."""
    root = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"s": SOAP, "m": M})
    body = etree.SubElement(root, f"{{{SOAP}}}Body")
    result = etree.SubElement(body, f"{{{M}}}SendNotificationResult")
    etree.SubElement(result, f"{{{M}}}SubscriptionStatus").text = "OK" if keep else (
        "Unsubscribe")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))
