"""The pure parts of record drafts: names from a display name or an address, the
organisation domain of an address, a new Account's name, which Accounts match."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from addin.providers.salesforce.client import AccountMatch
from addin.services.record_drafts import (
    FIRST_NAME_MAX,
    LAST_NAME_MAX,
    PersonName,
    account_name_for,
    best_accounts,
    company_domain,
    split_name,
)


@pytest.mark.parametrize(("name", "email", "expected"), [
    (None, "raj.patel@acme.example", PersonName("Raj", "Patel")),
    ("", "raj_patel+crm@acme.example", PersonName("Raj", "Patel")),
    ("Raj Patel", "rp@acme.example", PersonName("Raj", "Patel")),
    ("Patel, Raj", "rp@acme.example", PersonName("Raj", "Patel")),
    ('"Dr. Mary-Jane van der Berg Jr."', "m@x.example", PersonName("Mary-Jane",
                                                                   "van der Berg Jr.")),
    ("raj.patel@acme.example", "raj.patel@acme.example", PersonName("Raj", "Patel")),
    ("Madonna", "m@x.example", PersonName("", "Madonna")),
    (None, "ada.walk-in@newco.example", PersonName("Ada", "Walk-In")),
    (None, "rpatel@acme.example", PersonName("", "Rpatel")),
    (None, "info@acme.example", PersonName("", "")),
    (None, "john.mcdonald@acme.example", PersonName("John", "McDonald")),
])
def test_split_name(name: str | None, email: str, expected: PersonName) -> None:
    assert split_name(name, email) == expected


@given(st.text(max_size=300), st.emails())
def test_split_name_always_fits_salesforce(name: str, email: str) -> None:
    result = split_name(name, email)
    assert len(result.first) <= FIRST_NAME_MAX and len(result.last) <= LAST_NAME_MAX
    assert "@" not in result.first + result.last
    assert result.last or not result.first  # never a first name without a last name


@pytest.mark.parametrize(("email", "domain"), [
    ("raj@acme.com", "acme.com"), ("raj@eu.sales.acme.co.uk", "acme.co.uk"),
    ("raj@gmail.com", None), ("raj@GoogleMail.com", None), ("raj@outlook.com", None),
    ("raj@partner.example", None), ("raj@localhost", None),
])
def test_company_domain(email: str, domain: str | None) -> None:
    assert company_domain(email, frozenset({"partner.example"})) == domain


def test_account_name_for_a_domain() -> None:
    assert account_name_for("acme-widgets.co.uk") == "Acme Widgets"
    assert account_name_for("newco.example") == "Newco"


def test_best_accounts_prefer_the_website_then_the_most_contacts() -> None:
    matches = [AccountMatch("1", "Contacts only", None, 3),
               AccountMatch("2", "Website", "https://www.acme.com/about", 0),
               AccountMatch("3", "Substring", "notacme.com", 0),
               AccountMatch("4", "Fewer contacts", "other.example", 1)]
    assert [m.id for m in best_accounts("acme.com", matches)] == ["2", "1", "4"]
