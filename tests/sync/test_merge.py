"""Properties of the three-way attendee merge (Hypothesis)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from addin.sync.merge import AgreedAttendee, key, merge

ORGANIZER = "me@org.example"
EMAILS = st.sampled_from(["a@x.example", "B@x.example", "c@y.example", "d@y.example",
                          "e@z.example", "Me@org.example"])


@st.composite
def states(draw: st.DrawFn) -> tuple[list[AgreedAttendee], set[str], dict[str, AgreedAttendee]]:
    base_emails = draw(st.sets(EMAILS, max_size=5))
    base = [AgreedAttendee(e, record={"type": "Contact", "id": key(e), "name": e}
                           if draw(st.booleans()) else None) for e in sorted(base_emails)]
    salesforce = draw(st.sets(EMAILS, max_size=5))
    calendar = {key(e): AgreedAttendee(e) for e in draw(st.sets(EMAILS, max_size=5))}
    return base, salesforce, calendar


@given(states())
def test_organizer_never_an_attendee_and_no_duplicates(state: tuple) -> None:  # type: ignore[type-arg]
    result = merge(*state, ORGANIZER)
    assert key(ORGANIZER) not in result.agreed
    assert len({key(a.email) for a in result.agreed.values()}) == len(result.agreed)


@given(states())
def test_nothing_is_lost_and_additions_win(state: tuple) -> None:  # type: ignore[type-arg]
    base, salesforce, calendar = state
    result = merge(base, salesforce, calendar, ORGANIZER)
    me = key(ORGANIZER)
    for email in {key(e) for e in salesforce} | set(calendar):
        if email != me and email not in {key(a.email) for a in base}:
            assert email in result.agreed  # an addition on either side is kept
    for attendee in base:
        k = key(attendee.email)
        if k == me:
            continue
        removed_in_sf = attendee.record is not None and k not in {key(e) for e in salesforce}
        removed_in_calendar = k not in calendar
        assert (k in result.agreed) == (not removed_in_sf and not removed_in_calendar)


@given(states())
def test_merging_the_agreed_state_again_changes_nothing(state: tuple) -> None:  # type: ignore[type-arg]
    result = merge(*state, ORGANIZER)
    agreed = list(result.agreed.values())
    linked = {a.email for a in agreed if a.record is not None}
    again = merge(agreed, linked, {k: a for k, a in result.agreed.items()}, ORGANIZER)
    assert set(again.agreed) == set(result.agreed)
    assert not (again.added_in_salesforce or again.removed_in_salesforce
                or again.added_in_calendar or again.removed_in_calendar)


@given(states())
def test_unlinked_attendees_are_never_removed_by_salesforce(state: tuple) -> None:  # type: ignore[type-arg]
    base, _, calendar = state
    result = merge(base, set(), calendar, ORGANIZER)  # Salesforce holds nobody
    for attendee in base:
        k = key(attendee.email)
        if attendee.record is None and k in calendar and k != key(ORGANIZER):
            assert k in result.agreed
