"""Recurrence, one model and one parser for every side: RFC 5545 RRULE text (the product's
canonical rules, Google's lines, Salesforce's pattern text), Microsoft Graph's
``patternedRecurrence`` and EWS's ``Recurrence``. Pure: nothing here does I/O.

- :mod:`.model`      the model (Pattern + Range), the error, names
- :mod:`.rrule`      the RRULE parser and dateutil expansion
- :mod:`.exchange`   model <-> RRULE (what Exchange can hold)
- :mod:`.graph`, :mod:`.ews`, :mod:`.google`, :mod:`.salesforce`  model <-> each side
- :mod:`.exchangelib_models`  EWS's dict form <-> exchangelib's models (imported apart)
- :mod:`.canonical`  the product's canonical rules and their bounded expansion

A rule or pattern that is malformed or that a side cannot hold raises
:class:`UnsupportedRecurrence` (a :class:`RecurrenceError`, a ValueError) naming the part at
fault.
"""

from addin.sync.recurrence.canonical import normalize, occurrences
from addin.sync.recurrence.ews import (
    ews_to_graph,
    ews_to_rrule,
    from_ews,
    graph_to_ews,
    rrule_to_ews,
    to_ews,
)
from addin.sync.recurrence.exchange import from_rrule, to_rrule
from addin.sync.recurrence.google import from_google, rule_of_lines, to_google, with_prefix
from addin.sync.recurrence.graph import from_graph, graph_to_rrule, rrule_to_graph, to_graph
from addin.sync.recurrence.model import (
    DAYS,
    Pattern,
    Range,
    Recurrence,
    RecurrenceError,
    UnsupportedRecurrence,
    zone_of,
)
from addin.sync.recurrence.rrule import Rule, expand, normalize_rrule, parse_rrule, to_dateutil
from addin.sync.recurrence.salesforce import from_salesforce, to_salesforce

__all__ = [
    "DAYS", "Pattern", "Range", "Recurrence", "RecurrenceError", "Rule",
    "UnsupportedRecurrence", "ews_to_graph", "ews_to_rrule", "expand", "from_ews",
    "from_google", "from_graph", "from_rrule", "from_salesforce", "graph_to_ews",
    "graph_to_rrule", "normalize", "normalize_rrule", "occurrences", "parse_rrule",
    "rrule_to_ews", "rrule_to_graph", "rule_of_lines", "to_dateutil", "to_ews", "to_google",
    "to_graph", "to_rrule", "to_salesforce", "with_prefix", "zone_of",
]
