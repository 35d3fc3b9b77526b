"""EWS notifications: pull subscriptions (Subscribe with PullSubscriptionRequest, then
GetEvents with the last watermark; Unsubscribe ends them) and push subscriptions
(PushSubscriptionRequest: the server posts SendNotification envelopes to the client's URL
and the answer's SubscriptionStatus keeps or ends the subscription). Every create, modify and
delete of an item is an event in the mailbox's log; a watermark is a position in it."""

from __future__ import annotations

import base64
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import requests
from lxml import etree

from addin.sandbox.ews import soap
from addin.sandbox.ews.items import children
from addin.sandbox.ews.soap import EwsError, m, t

EVENT_TYPES = ("CreatedEvent", "ModifiedEvent", "DeletedEvent", "NewMailEvent",
               "MovedEvent", "CopiedEvent", "FreeBusyChangedEvent")
LOG_LIMIT = 5000
MAX_TIMEOUT_MINUTES = 1440
PUSH_ATTEMPTS = 3


def _watermark(position: int) -> str:
    return base64.b64encode(f"wm:{position}".encode()).decode()


def _position(watermark: str | None) -> int | None:
    try:
        text = base64.b64decode(watermark or "").decode()
    except (ValueError, UnicodeDecodeError):
        return None
    head, _, number = text.partition(":")
    return int(number) if head == "wm" and number.isdigit() else None


class Subscriptions:
    def __init__(self, verify: str | bool = True) -> None:
        self.verify = verify  # the CA bundle push deliveries are verified against
        self.lock = threading.RLock()
        self.position = 0
        self.log: list[dict[str, Any]] = []  # {"n","owner","type","item","folder","at"}
        self.subscriptions: dict[str, dict[str, Any]] = {}

    def operations(self) -> dict[str, Callable[[str, etree._Element], etree._Element]]:
        return {"Subscribe": self.subscribe, "GetEvents": self.get_events,
                "Unsubscribe": self.unsubscribe}

    def record(self, owner: str, kind: str, item_id: str, folder_id: str,
               change_key: str | None = None) -> None:
        """Log an event; ``change_key`` is the item's ChangeKey after the change (EWS names
        the item with its ItemId, ChangeKey included, in every notification)."""
        with self.lock:
            self.position += 1
            self.log.append({"n": self.position, "owner": owner, "type": kind,
                             "item": item_id, "folder": folder_id,
                             "changeKey": change_key or "AAAAAA==",
                             "at": soap.format_datetime(datetime.now(UTC))})
            del self.log[:-LOG_LIMIT]
            pushed = [s for s in self.subscriptions.values()
                      if s["owner"] == owner and s.get("url") and kind in s["types"]]
        for subscription in pushed:
            self.push(subscription)

    # -- operations -------------------------------------------------------------------
    def subscribe(self, owner: str, body: etree._Element) -> etree._Element:
        answer, messages = soap.response("Subscribe")
        request = body[0] if len(body) else None
        kind = etree.QName(request).localname if request is not None else ""
        try:
            if request is None or kind not in ("PullSubscriptionRequest",
                                               "PushSubscriptionRequest"):
                raise EwsError("ErrorInvalidSubscriptionRequest", "The emulator offers pull "
                               "and push subscriptions.")
            types = [e.text for e in children(request.find(t("EventTypes")))]
            if not types or any(kind_ not in EVENT_TYPES for kind_ in types):
                raise EwsError("ErrorInvalidSubscriptionRequest", "EventTypes is invalid.")
            start = _position(request.findtext(t("Watermark"))) if request.find(
                t("Watermark")) is not None else self.position
            if start is None:
                raise EwsError("ErrorInvalidWatermark", "The watermark is invalid.")
            subscription: dict[str, Any] = {
                "id": "EQB" + secrets.token_urlsafe(30), "owner": owner, "types": types,
                "position": start, "last": time.time()}
            if kind == "PullSubscriptionRequest":
                timeout = int(request.findtext(t("Timeout")) or 30)
                if not 1 <= timeout <= MAX_TIMEOUT_MINUTES:
                    raise EwsError("ErrorInvalidPullSubscriptionTimeout", "The timeout must "
                                   f"be between 1 and {MAX_TIMEOUT_MINUTES} minutes.")
                subscription["timeout"] = timeout * 60
            else:
                url = request.findtext(t("URL")) or ""
                if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
                    raise EwsError("ErrorInvalidPushSubscriptionUrl", "The URL is invalid.")
                subscription["url"] = url
                subscription["timeout"] = None
        except (EwsError, ValueError) as error:
            soap.message(messages, "Subscribe", error if isinstance(error, EwsError) else
                         EwsError("ErrorInvalidSubscriptionRequest", str(error)))
            return answer
        with self.lock:
            self.subscriptions[subscription["id"]] = subscription
        node = soap.message(messages, "Subscribe")
        etree.SubElement(node, m("SubscriptionId")).text = subscription["id"]
        etree.SubElement(node, m("Watermark")).text = _watermark(start)
        return answer

    def find(self, owner: str, subscription_id: str | None) -> dict[str, Any]:
        with self.lock:
            found = self.subscriptions.get(subscription_id or "")
            if found is not None and found.get("timeout") and (
                    time.time() - found["last"] > found["timeout"]):
                del self.subscriptions[found["id"]]
                found = None
        if found is None or found["owner"] != owner:
            raise EwsError("ErrorSubscriptionNotFound", "The specified subscription was not "
                           "found.")
        return found

    def get_events(self, owner: str, body: etree._Element) -> etree._Element:
        answer, messages = soap.response("GetEvents")
        try:
            subscription = self.find(owner, body.findtext(m("SubscriptionId")))
            position = _position(body.findtext(m("Watermark")))
            if position is None or position > self.position:
                raise EwsError("ErrorInvalidWatermark", "The watermark is invalid.")
            if self.log and position < self.log[0]["n"] - 1:
                raise EwsError("ErrorExpiredSubscription", "The subscription has expired.")
        except EwsError as error:
            soap.message(messages, "GetEvents", error)
            return answer
        with self.lock:
            subscription["last"] = time.time()
            subscription["position"] = position
        node = soap.message(messages, "GetEvents")
        node.append(self.notification(subscription, position))
        return answer

    def notification(self, subscription: dict[str, Any], position: int) -> etree._Element:
        with self.lock:
            events = [e for e in self.log if e["n"] > position
                      and e["owner"] == subscription["owner"]]
            page, more = events[:50], len(events) > 50
            end = page[-1]["n"] if page else self.position
        note = etree.Element(m("Notification"))
        etree.SubElement(note, t("SubscriptionId")).text = subscription["id"]
        etree.SubElement(note, t("PreviousWatermark")).text = _watermark(position)
        etree.SubElement(note, t("MoreEvents")).text = soap.bool_text(more)
        wanted = [e for e in page if e["type"] in subscription["types"]]
        for event in wanted:
            node = etree.SubElement(note, t(event["type"]))
            etree.SubElement(node, t("Watermark")).text = _watermark(event["n"])
            etree.SubElement(node, t("TimeStamp")).text = event["at"]
            etree.SubElement(node, t("ItemId"), Id=event["item"],
                             ChangeKey=event.get("changeKey") or "AAAAAA==")
            etree.SubElement(node, t("ParentFolderId"), Id=event["folder"],
                             ChangeKey="AQAAAA==")
        if not wanted:
            status = etree.SubElement(note, t("StatusEvent"))
            etree.SubElement(status, t("Watermark")).text = _watermark(end)
        with self.lock:
            subscription["position"] = end
        return note

    def unsubscribe(self, owner: str, body: etree._Element) -> etree._Element:
        answer, messages = soap.response("Unsubscribe")
        try:
            found = self.find(owner, body.findtext(m("SubscriptionId")))
        except EwsError as error:
            soap.message(messages, "Unsubscribe", error)
            return answer
        if found.get("url"):
            soap.message(messages, "Unsubscribe", EwsError(
                "ErrorInvalidSubscription", "Unsubscribe ends pull and streaming "
                "subscriptions; a push subscription ends when a notification is answered "
                "with Unsubscribe."))
            return answer
        with self.lock:
            self.subscriptions.pop(found["id"], None)
        soap.message(messages, "Unsubscribe")
        return answer

    def push(self, subscription: dict[str, Any]) -> None:
        """Post the events after the subscription's position to its URL, in the
        background; the answer's SubscriptionStatus Unsubscribe (or a URL that keeps
        failing) ends the subscription, as Exchange does."""
        note = self.notification(subscription, subscription["position"])
        answer = etree.Element(m("SendNotification"), nsmap={"m": soap.M, "t": soap.T})
        messages = etree.SubElement(answer, m("ResponseMessages"))
        soap.message(messages, "SendNotification").append(note)
        threading.Thread(target=self._deliver, args=(subscription["id"], subscription["url"],
                                                     soap.envelope(answer)),
                         name="sandbox-ews-push", daemon=True).start()

    def _deliver(self, subscription_id: str, url: str, body: bytes) -> None:
        session = requests.Session()
        session.trust_env = False
        session.verify = self.verify
        for attempt in range(PUSH_ATTEMPTS):
            try:
                reply = session.post(url, data=body, timeout=5, headers={
                    "Content-Type": "text/xml; charset=utf-8"})
                if reply.status_code == 200:
                    status = etree.fromstring(reply.content, soap.PARSER).findtext(
                        f".//{m('SubscriptionStatus')}")
                    if status == "Unsubscribe":
                        break
                    return
            except (requests.RequestException, etree.XMLSyntaxError):
                pass
            time.sleep(0.5 * (attempt + 1))
        with self.lock:
            self.subscriptions.pop(subscription_id, None)
