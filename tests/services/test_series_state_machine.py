"""A Hypothesis state machine over ONE mirrored series: random occurrences moved or
cancelled in the calendar and in Salesforce, sync passes in between; after a pass both
sides hold the same occurrences at the same times, nothing came back from a cancellation,
a conflict went Salesforce's way, and nobody was emailed (the series is an appointment)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from addin.providers.calendar.provider import NotifyMode
from addin.sandbox import SandboxRuntime
from addin.services.event_mapping import draft_from_base
from addin.services.mirrors import find_mirror
from addin.services.series import live_occurrences
from tests.services.test_series import FIRST, SeriesScenario, _z

COUNT = 6


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00").replace("+0000", "+00:00"))


@pytest.mark.parametrize("provider", ["graph", "google"])
def test_series_occurrences_converge(client: Any, services: Any,
                                     clean_sandbox: SandboxRuntime,
                                     upstream: requests.Session,
                                     bearer: Callable[[str], dict[str, str]],
                                     provider: str) -> None:
    class SeriesMachine(RuleBasedStateMachine):
        @initialize()
        def start(self) -> None:
            clean_sandbox.state.mail.clear()
            self.s = SeriesScenario(client, services, clean_sandbox, upstream, bearer,
                                    provider, "lightning")
            self.s.sync()
            # original start -> where it should end up (None: cancelled)
            self.expected: dict[datetime, datetime | None] = {
                FIRST + timedelta(weeks=n): FIRST + timedelta(weeks=n) for n in range(COUNT)}
            self.salesforce_moved: set[datetime] = set()
            self.ids = {_instant(r["StartDateTime"]): r["Id"] for r in self.s.occurrences()}

        def _live(self) -> list[datetime]:
            return sorted(k for k, v in self.expected.items() if v is not None)

        @rule(index=st.integers(0, COUNT - 1), hours=st.integers(1, 3))
        def move_in_the_calendar(self, index: int, hours: int) -> None:
            live = self._live()
            original = live[index % len(live)] if live else None
            if original is None:
                return
            item = next(i for i in self.s.instances() if i.original_start == original)
            moved = original + timedelta(hours=hours)
            row = find_mirror(services, self.s.user.id, self.s.event_id)
            one = {**row.base_fields, "start": _z(moved),
                   "end": _z(moved + timedelta(minutes=30)), "recurrence": None}
            self.s.calendar.update_fields(item.item_id, draft_from_base(one, self.s.event_id))
            if original not in self.salesforce_moved:  # otherwise Salesforce wins
                self.expected[original] = moved

        @rule(index=st.integers(0, COUNT - 1))
        def cancel_in_the_calendar(self, index: int) -> None:
            live = self._live()
            if not live:
                return
            original = live[index % len(live)]
            item = next(i for i in self.s.instances() if i.original_start == original)
            self.s.calendar.delete_item(item.item_id, notify=NotifyMode.CHANGED)
            self.expected[original] = None

        @rule(index=st.integers(0, COUNT - 1), hours=st.integers(4, 6))
        def move_in_salesforce(self, index: int, hours: int) -> None:
            live = self._live()
            if not live:
                return
            original = live[index % len(live)]
            moved = original + timedelta(hours=hours)
            self.s.salesforce.update_event(self.ids[original], {
                "StartDateTime": _z(moved), "EndDateTime": _z(moved + timedelta(minutes=30))})
            self.expected[original] = moved
            self.salesforce_moved.add(original)

        @rule(index=st.integers(0, COUNT - 1))
        def delete_in_salesforce(self, index: int) -> None:
            live = self._live()
            if not live:
                return
            original = live[index % len(live)]
            self.s.salesforce.delete_event(self.ids[original])
            self.expected[original] = None

        @rule()
        def sync(self) -> None:
            self.s.sync()
            self.s.sync()  # a cancellation that met a move settles on the second pass
            self.salesforce_moved.clear()
            wanted = sorted(v for v in self.expected.values() if v is not None)
            assert sorted(i.start for i in self.s.instances()) == wanted
            row = find_mirror(services, self.s.user.id, self.s.event_id)
            on_salesforce = sorted(_instant(r["StartDateTime"]) for r in live_occurrences(
                services, row, self.s.salesforce))
            assert on_salesforce == wanted

        @invariant()
        def nobody_is_emailed(self) -> None:
            if hasattr(self, "s"):
                assert self.s.mail() == []

    SeriesMachine.TestCase.settings = settings(
        max_examples=5, stateful_step_count=8, deadline=None, derandomize=True,
        database=None, suppress_health_check=list(HealthCheck))
    SeriesMachine.TestCase().runTest()

