"""A Hypothesis state machine against the sandbox: random attendee edits in the sidebar, in
Salesforce and in the calendar, random upstream failures, sync passes that may fail and are
retried; Lightning organizers on Graph, Google and EWS, and Classic organizers on Google and
EWS (where Salesforce's own emails and the calendar's silent updates meet). After convergence: both
sides hold what the edits say, linked attendees are EventRelations without duplicates, and
every attendee got exactly one invitation per time they were added and one cancellation per
time they were removed, from the sender the rulebook names, nothing else."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test
from sqlalchemy import select

from addin.accounts.clients import open_salesforce
from addin.sandbox import SandboxRuntime
from addin.services.sync_pass import sync_user
from addin.store.models import User
from tests.clock import wall
from tests.services.scenario import START, Scenario

LINKABLE = ["o'brien@acme.example", "noah.smith@acme.example", "liam.jones@globex.example"]
POOL = [*LINKABLE, "machine.guest@unlinked.example"]  # no other test links this one
CONTACT_IDS = dict(zip(LINKABLE, ("003000000000001AAA", "003000000000002AAA",
                                  "003000000000003AAA"), strict=True))
# a colleague who uses the product too, in the organizer's own tenant: they get a copy
COLLEAGUES = [("ben.carter@acme-sales.example", "005000000000002AAA", "graph"),
              ("dan.okafor@acme-sales.example", "005000000000004AAA", "google"),
              ("cleo.nguyen@acme-sales.example", "005000000000003AAA", "google"),
              # Exchange Server: the emulator keeps no invitee copies; a User attendee still
              ("eve.rossi@acme-sales.example", "005000000000005AAA", "ews"),
              ("finn.berg@acme-sales.example", "005000000000006AAA", "ews")]
NEAR = wall(START, "UTC")  # the scenario's start
FAR = wall(START + timedelta(days=730), "UTC")  # two years on: out of Graph's delta window


def _assert_converged(s: Scenario, attendees: set[str],
                      expected: dict[str, list[tuple[str, str]]],
                      ids: dict[str, str] = CONTACT_IDS) -> None:
    """Both sides hold ``attendees``; each person got exactly the emails ``expected``
    (sender, kind), in order, and nobody else got any."""
    assert s.calendar_attendees() == sorted(attendees)
    assert s.invitees() == sorted(ids[g] for g in attendees if g in ids)
    mail: dict[str, list[tuple[str, str]]] = {}
    for sender, to, kind in s.mail():
        mail.setdefault(to, []).append((sender, kind))
    assert mail == expected


@pytest.mark.timeout(480)  # five organizers; a minute or two on the CI machine
def test_attendee_sync_converges(client: Any, services: Any, clean_sandbox: SandboxRuntime,
                                 upstream: requests.Session,
                                 bearer: Callable[[str], dict[str, str]]) -> None:
    class AttendeeMachine(RuleBasedStateMachine):
        @initialize(organizer=st.sampled_from([("graph", "lightning"), ("google", "lightning"),
                                                ("google", "classic"), ("ews", "lightning"),
                                                ("ews", "classic")]))
        def start(self, organizer: tuple[str, str]) -> None:
            clean_sandbox.state.faults.clear()
            self.s = Scenario(client, services, clean_sandbox, upstream, bearer, *organizer)
            self.present: set[str] = set()
            self.expected: dict[str, list[tuple[str, str]]] = {}
            self.colleague, colleague_id = next(
                (email, user_id) for email, user_id, provider in COLLEAGUES
                if provider == self.s.provider and email != self.s.organizer)
            self.ids = {**CONTACT_IDS, self.colleague: colleague_id}
            with services.db.session() as session:
                self.colleague_user = session.scalar(
                    select(User.id).where(User.email == self.colleague))
            self.when = NEAR

        def _became(self, guest: str, present: bool, origin: str) -> None:
            if (guest in self.present) == present:
                return
            self.present ^= {guest}
            self.expected.setdefault(guest, []).append(
                (self.s.expected_sender(origin), "invitation" if present else "cancellation"))

        def _converge(self) -> None:
            for _ in range(4):
                try:
                    # the colleague's product sees its copy of the meeting: never mirrored
                    sync_user(services, self.colleague_user, "machine")
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

        @rule(origin=st.sampled_from(["sidebar", "calendar"]))
        def colleague_toggle(self, origin: str) -> None:
            """Invite (or uninvite) a colleague who holds their own copy of the meeting."""
            wanted = sorted(self.present ^ {self.colleague})
            if origin == "sidebar":
                answer = client.put(f"/api/v1/events/{self.s.event_id}/attendees",
                                    headers=self.s.headers,
                                    json={"attendees": [{"email": g} for g in wanted]})
                assert answer.status_code in (200, 503), answer.json
                if answer.status_code != 200:
                    self._converge()
                    return
            else:
                self.s.change("calendar", wanted, {}, then_sync=False)
            self._became(self.colleague, self.colleague not in self.present, origin)
            self._converge()

        @rule(far=st.booleans())
        def move(self, far: bool) -> None:
            """The organizer moves the meeting in their calendar, maybe out of Graph's
            delta window (two years ahead) and back; everyone invited hears of it."""
            target = FAR if far else NEAR
            if target == self.when or self.s.provider == "ews":
                return  # EWS's SyncFolderItems has no date window to leave
            end = (datetime.fromisoformat(target) + timedelta(minutes=30)).isoformat()
            if self.s.provider == "graph":
                body: dict[str, Any] = {"start": {"dateTime": target, "timeZone": "UTC"},
                                        "end": {"dateTime": end, "timeZone": "UTC"}}
                url = (f"{clean_sandbox.origins['graph']}/sandbox-ui/mailboxes/"
                       f"{self.s.organizer}/events/{self.s.item_id}/edit")
            else:
                body = {"start": {"dateTime": target + "Z"}, "end": {"dateTime": end + "Z"}}
                url = (f"{clean_sandbox.origins['google']}/sandbox-ui/calendars/"
                       f"{self.s.organizer}/events/{self.s.item_id}/edit")
            clean_sandbox.state.faults.clear()
            assert upstream.post(url, json=body).status_code == 200
            self.when = target
            for guest in sorted(self.present):
                self.expected.setdefault(guest, []).append((self.s.provider, "update"))
            self._converge()

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
            _assert_converged(self.s, self.present, self.expected, self.ids)
            record = open_salesforce(services, self.s.user).get_event(self.s.event_id)
            assert record["StartDateTime"] == self.when + ".000+0000"  # moved, never deleted

    run_state_machine_as_test(AttendeeMachine, settings=settings(
        max_examples=18, stateful_step_count=6, deadline=None, derandomize=True,
        suppress_health_check=list(HealthCheck)))


def test_concurrent_edits_converge_to_the_three_way_merge(
        client: Any, services: Any, clean_sandbox: SandboxRuntime,
        upstream: requests.Session, bearer: Callable[[str], dict[str, str]]) -> None:
    """Edits pile up on both sides between passes (the sidebar edits through the product at
    once, from the list it shows); passes and sidebar calls meet random failures. A model
    of the rulebook predicts every side and every email: for someone in the last agreed
    list, removal on either side wins; for anyone else, addition on either side wins."""

    class ConcurrentMachine(RuleBasedStateMachine):
        @initialize(organizer=st.sampled_from([("graph", "lightning"), ("google", "lightning"),
                                                ("google", "classic"), ("ews", "lightning"),
                                                ("ews", "classic")]))
        def start(self, organizer: tuple[str, str]) -> None:
            clean_sandbox.state.faults.clear()
            self.s = Scenario(client, services, clean_sandbox, upstream, bearer, *organizer)
            self.calendar: set[str] = set()
            self.salesforce: set[str] = set()  # invitees (linkable people only)
            self.base: set[str] = set()  # what the product last agreed
            self.expected: dict[str, list[tuple[str, str]]] = {}

        def _mail(self, guest: str, sender: str, kind: str) -> None:
            self.expected.setdefault(guest, []).append((sender, kind))

        def _calendar_becomes(self, wanted: set[str], sender: str | None) -> None:
            """The product wrote the calendar item: the mail server tells the changed."""
            for guest in sorted(wanted - self.calendar):
                if sender:
                    self._mail(guest, sender, "invitation")
            for guest in sorted(self.calendar - wanted):
                if sender:
                    self._mail(guest, sender, "cancellation")
            self.calendar = set(wanted)

        def _merged(self) -> set[str]:
            merged = set()
            for guest in POOL:
                in_salesforce = guest in self.salesforce if guest in LINKABLE else \
                    guest in self.base  # Salesforce cannot hold an unlinked guest
                if guest in self.base:
                    keep = guest in self.calendar and in_salesforce
                else:
                    keep = guest in self.calendar or in_salesforce
                if keep:
                    merged.add(guest)
            return merged

        def _calendar_now(self) -> set[str]:
            """Where a failure struck (before or after the calendar write): look."""
            clean_sandbox.state.faults.clear()
            return set(self.s.calendar_attendees())

        @rule(guest=st.sampled_from(POOL))
        def calendar_toggle(self, guest: str) -> None:
            wanted = self.calendar ^ {guest}
            self.s.change("calendar", sorted(wanted), {}, then_sync=False)
            self._calendar_becomes(wanted, self.s.provider)  # Outlook / Google email

        @rule(guest=st.sampled_from(LINKABLE))
        def salesforce_toggle(self, guest: str) -> None:
            removing = guest in self.salesforce
            change = {"remove": [guest]} if removing else {"add": [guest]}
            self.s.change("salesforce", [], change, then_sync=False)
            self.salesforce ^= {guest}
            if self.s.experience == "classic":
                self._mail(guest, "salesforce", "cancellation" if removing else "invitation")

        @rule(guest=st.sampled_from(POOL))
        def sidebar_toggle(self, guest: str) -> None:
            desired = self.base ^ {guest}  # the sidebar shows the last agreed list
            answer = client.put(f"/api/v1/events/{self.s.event_id}/attendees",
                                headers=self.s.headers,
                                json={"attendees": [{"email": g} for g in sorted(desired)]})
            assert answer.status_code in (200, 409, 503), answer.json
            unseen = self.salesforce - self.base - self.calendar
            agreed = (desired | (self.calendar - self.base)) - unseen
            if answer.status_code == 200:
                self._calendar_becomes(agreed, self.s.provider)
                self.salesforce = (agreed & set(LINKABLE)) | unseen
                self.base = agreed
            elif self._calendar_now() != self.calendar:  # failed after the calendar write
                self._calendar_becomes(agreed, self.s.provider)

        @rule()
        def sync_pass(self) -> None:
            self._pass()

        @rule(service=st.sampled_from(["salesforce", "calendar"]))
        def upstream_fails(self, service: str) -> None:
            name = self.s.provider if service == "calendar" else service
            upstream.post(clean_sandbox.services["faults"],
                          json={"service": name, "status": 500, "times": 1})

        def _pass(self) -> bool:
            final = self._merged()
            # every calendar write a pass makes carries a Salesforce-side change: Lightning
            # has the mail server tell people, Classic's Salesforce already did
            sender = self.s.provider if self.s.experience == "lightning" else None
            try:
                report = sync_user(services, self.s.user.id, "machine")
                succeeded = not report.failed
            except Exception:
                succeeded = False
            if succeeded:
                self._calendar_becomes(final, sender)
                self.salesforce = final & set(LINKABLE)
                self.base = final
            elif self._calendar_now() != self.calendar:  # failed after the calendar write
                self._calendar_becomes(final, sender)
            return succeeded

        def teardown(self) -> None:
            if not hasattr(self, "s"):
                return
            for _ in range(4):
                clean_sandbox.state.faults.clear()
                if self._pass():
                    break
            else:
                raise AssertionError("the sync did not converge")
            _assert_converged(self.s, self.calendar, self.expected)

    run_state_machine_as_test(ConcurrentMachine, settings=settings(
        max_examples=15, stateful_step_count=8, deadline=None, derandomize=True,
        suppress_health_check=list(HealthCheck)))
