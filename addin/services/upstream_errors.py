"""The providers' failures of a use case, in the domain's terms: a view wraps a use case in
``upstream_errors()`` (or ``salesforce_errors()``) and never sees a provider's exception.

Each class is its domain error (so the web answers it from ``HTTP_OF``) and says which
upstream failed, for the Gmail cards that answer a Salesforce failure with a note of their
own (``SALESFORCE_FAILED``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from addin.domain.errors import Conflict, NotFound, UpstreamUnavailable
from addin.providers.calendar.provider import CalendarError, EtagMismatch
from addin.providers.salesforce.client import SalesforceError, SalesforceNotFound


class SalesforceRecordGone(NotFound):
    """Salesforce answered that the record is not there (any more)."""


class SalesforceUnanswered(UpstreamUnavailable):
    """Salesforce refused or did not answer."""


class CalendarChanged(Conflict):
    """The calendar item changed meanwhile (its ETag no longer matches)."""


class CalendarUnanswered(UpstreamUnavailable):
    """The calendar refused or did not answer."""


SALESFORCE_FAILED = (SalesforceRecordGone, SalesforceUnanswered)


@contextmanager
def salesforce_errors() -> Iterator[None]:
    """Salesforce's failures inside, as SalesforceRecordGone / SalesforceUnanswered."""
    try:
        yield
    except SalesforceNotFound:
        raise SalesforceRecordGone("The event was deleted in Salesforce.") from None
    except SalesforceError as exc:
        raise SalesforceUnanswered("Salesforce is not available right now.") from exc


@contextmanager
def upstream_errors() -> Iterator[None]:
    """Salesforce's and the calendar's failures inside, in the domain's terms."""
    with salesforce_errors():
        try:
            yield
        except EtagMismatch:
            raise CalendarChanged("The meeting changed in your calendar just now; try again.",
                                  code="changed_meanwhile") from None
        except CalendarError as exc:
            raise CalendarUnanswered("Your calendar is not available right now.") from exc
