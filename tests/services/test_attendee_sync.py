"""The attendee matrix: {graph, google} x {Classic, Lightning} x {added in the sidebar, in
Salesforce (the UI action), in the calendar}; then the same for removals. After the change
and a sync pass both sides agree, matched attendees are invitee EventRelations, and the mail
log holds exactly one invitation (cancellation) per changed attendee, from the sender the
rulebook names; nothing else."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from addin.accounts.clients import open_calendar
from addin.services.sync_pass import sync_user
from tests.services.scenario import GUEST, GUEST_ID, MATRIX, Scenario


@pytest.mark.parametrize(("provider", "experience", "origin"), MATRIX)
def test_adding_an_attendee(scenario: Callable[[str, str], Scenario], provider: str,
                            experience: str, origin: str) -> None:
    s = scenario(provider, experience)
    s.change(origin, [GUEST], {"add": [GUEST]})
    assert s.invitees() == [GUEST_ID]
    assert s.mail() == [(s.expected_sender(origin), GUEST, "invitation")]
    if origin == "salesforce" and s.held:
        assert s.calendar_attendees() == []  # held: listed in the sidebar, not in Outlook
        view = s.client.get(f"/api/v1/events/{s.event_id}", headers=s.headers).json
        assert view["attendees"][0]["held"] is True
        item = open_calendar(s.services, s.user).get_item(s.item_id)
        assert "Invited in Salesforce" in item.body and GUEST in item.body
    else:
        assert s.calendar_attendees() == [GUEST]
        view = s.client.get(f"/api/v1/events/{s.event_id}", headers=s.headers).json
        assert view["mirror"]["kind"] == "meeting"
        assert view["attendees"][0]["record"] == {"type": "Contact", "id": GUEST_ID,
                                                  "name": "Olivia O'Brien"}
    sync_user(s.services, s.user.id, "again")  # a second pass changes nothing
    assert len(s.mail()) == 1


@pytest.mark.parametrize(("provider", "experience", "origin"), MATRIX)
def test_removing_an_attendee(scenario: Callable[[str, str], Scenario], provider: str,
                              experience: str, origin: str) -> None:
    s = scenario(provider, experience)
    s.change("sidebar", [GUEST], {})
    s.sandbox.state.mail.clear()
    s.change(origin, [], {"remove": [GUEST]})
    assert s.invitees() == []
    assert s.mail() == [(s.expected_sender(origin), GUEST, "cancellation")]
    if origin == "salesforce" and s.held:
        assert s.calendar_attendees() == [GUEST]  # until the organizer removes them there
    else:
        assert s.calendar_attendees() == []
    sync_user(s.services, s.user.id, "again")
    assert len(s.mail()) == 1


def test_mirror_policy_is_the_documented_double_invitation(
        scenario: Callable[[str, str], Scenario], admin_headers: Callable[[], dict[str, str]]
        ) -> None:
    """Graph + Classic with the `mirror` policy: the attendee is pushed to Outlook, whose
    email is a second invitation (an explicit, documented admin choice)."""
    s = scenario("graph", "classic")
    assert s.client.patch("/api/v1/admin/settings", headers=admin_headers(),
                          json={"graphClassicPolicy": "mirror"}).status_code == 200
    s.change("salesforce", [], {"add": [GUEST]})
    assert s.calendar_attendees() == [GUEST]
    assert sorted(s.mail()) == [("graph", GUEST, "invitation"),
                                ("salesforce", GUEST, "invitation")]
