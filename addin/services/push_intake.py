"""A push notification's body as the product reads it, and the answer it sends back
(Exchange's SendNotification over SOAP)."""

from __future__ import annotations

from addin.providers.calendar.ews_push import (
    NotANotification,
    PushNotification,
    notification_answer,
    parse_notification,
)


def read_ews_notification(body: bytes) -> PushNotification | None:
    """The EWS SendNotification in ``body``; None when it is not one."""
    try:
        return parse_notification(body)
    except NotANotification:
        return None


def ews_answer(keep: bool) -> bytes:
    """The SendNotificationResult: keep the subscription (OK) or end it (Unsubscribe)."""
    return notification_answer(keep)
