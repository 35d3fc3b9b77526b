"""A Hypothesis state machine against the sandbox: random attendee edits in the sidebar, in
Salesforce and in the calendar, random upstream failures, sync passes that may fail and are
retried; Lightning organizers on Graph and Google, and a Classic organizer on Google (where
Salesforce's own emails and the calendar's silent updates meet). After convergence: both
sides hold what the edits say, linked attendees are EventRelations without duplicates, and
every attendee got exactly one invitation per time they were added and one cancellation per
time they were removed, from the sender the rulebook names, nothing else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from addin.sandbox import SandboxRuntime
from addin.services.sync_pass import sync_user
from tests.services.scenario import Scenario

LINKABLE = ["o'brien@acme.example", "noah.smith@acme.example", "liam.jones@globex.example"]
POOL = [*LINKABLE, "machine.guest@unlinked.example"]  # no other test links this one


def test_attendee_sync_converges(client: Any, services: Any, clean_sandbox: SandboxRuntime,
                                 upstream: requests.Session,
                                 bearer: Callable[[str], dict[str, str]]) -> None:
    class AttendeeMachine(RuleBasedStateMachine):
        @initialize(organizer=st.sampled_from([("graph", "lightning"), ("google", "lightning"),
                                                ("google", "classic")]))
        def start(self, organizer: tuple[str, str]) -> None:
            clean_sandbox.state.faults.clear()
            self.s = Scenario(client, services, clean_sandbox, upstream, bearer, *organizer)
            self.present: set[str] = set()
            self.expected: dict[str, list[tuple[str, str]]] = {}

        def _became(self, guest: str, present: bool, origin: str) -> None:
            if (guest in self.present) == present:
                return
            self.present ^= {guest}
            self.expected.setdefault(guest, []).append(
                (self.s.expected_sender(origin), "invitation" if present else "cancellation"))

        def _converge(self) -> None:
            for _ in range(4):
                try:
                    report = sync_user(services, self.s.user.id, "machine")
                except Exception:
                    clean_sandbox.state.faults.clear()
                    continue
                if not report.failed:
                    return
                clean_sandbox.state.faults.clear()
            raise AssertionError("the sync did not converge")

        @rule(guest=st.sampled_from(POOL))
        def sidebar_toggle(self, guest: str) -> None:
            wanted = sorted(self.present ^ {guest})
            answer = client.put(f"/api/v1/events/{self.s.event_id}/attendees",
                                headers=self.s.headers,
                                json={"attendees": [{"email": g} for g in wanted]})
            assert answer.status_code in (200, 503), answer.json
            if answer.status_code == 200:
                self._became(guest, guest not in self.present, "sidebar")
            self._converge()

        @rule(guest=st.sampled_from(LINKABLE))
        def salesforce_toggle(self, guest: str) -> None:
            change = {"remove": [guest]} if guest in self.present else {"add": [guest]}
            self.s.change("salesforce", [], change, then_sync=False)
            self._became(guest, guest not in self.present, "salesforce")
            self._converge()  # the pass may meet the failures queued before it

        @rule(guest=st.sampled_from(POOL))
        def calendar_toggle(self, guest: str) -> None:
            wanted = sorted(self.present ^ {guest})
            self.s.change("calendar", wanted, {}, then_sync=False)
            self._became(guest, guest not in self.present, "calendar")
            self._converge()  # the pass may meet the failures queued before it

        @rule(service=st.sampled_from(["salesforce", "calendar"]))
        def upstream_fails(self, service: str) -> None:
            name = self.s.provider if service == "calendar" else service
            upstream.post(clean_sandbox.services["faults"],
                          json={"service": name, "status": 500, "times": 1})

        def teardown(self) -> None:
            if not hasattr(self, "s"):
                return
            clean_sandbox.state.faults.clear()
            self._converge()
            assert self.s.calendar_attendees() == sorted(self.present)
            linked = {"o'brien@acme.example": "003000000000001AAA",
                      "noah.smith@acme.example": "003000000000002AAA",
                      "liam.jones@globex.example": "003000000000003AAA"}
            assert self.s.invitees() == sorted(linked[g] for g in self.present if g in linked)
            mail: dict[str, list[tuple[str, str]]] = {}
            for sender, to, kind in self.s.mail():
                mail.setdefault(to, []).append((sender, kind))
            assert mail == self.expected

    run_state_machine_as_test(AttendeeMachine, settings=settings(
        max_examples=18, stateful_step_count=6, deadline=None, derandomize=True,
        suppress_health_check=list(HealthCheck)))
