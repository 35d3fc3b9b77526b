"""The demo org and mailboxes the sandbox starts with.

Enough data to try every flow: a user for each mailbox provider in both Salesforce
experiences (Lightning and Classic), Accounts, Contacts (one with an apostrophe in its
email, two sharing an email), Leads (one converted, one sharing a Contact's email), a
User who is also a Contact, and Opportunities.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"



def salesforce_id(prefix: str, number: int) -> str:
    """An 18-character Salesforce id: 3-char key prefix, 12 base-62 digits, checksum."""
    digits = ""
    n = number
    for _ in range(12):
        n, r = divmod(n, 62)
        digits = _BASE62[r] + digits
    base = (prefix + digits)[:15]
    suffix = ""
    for chunk in (base[0:5], base[5:10], base[10:15]):
        bits = sum(1 << i for i, ch in enumerate(chunk) if "A" <= ch <= "Z")
        suffix += _ID_ALPHABET[bits]
    return base + suffix


ORG_ID = salesforce_id("00D", 1)
ORG_NAME = "Acme Sales (sandbox)"


@dataclass(frozen=True)
class SeedUser:
    id: str
    email: str
    first_name: str
    last_name: str
    provider: str  # graph | google | ews: the mailbox this user's calendar lives in
    lightning: bool  # UserPreferencesLightningExperiencePreferred
    is_admin: bool = False

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def experience(self) -> str:
        return "lightning" if self.lightning else "classic"


USERS: tuple[SeedUser, ...] = (
    SeedUser(salesforce_id("005", 1), "ava.martin@acme-sales.example", "Ava", "Martin",
             "graph", True, is_admin=True),
    SeedUser(salesforce_id("005", 2), "ben.carter@acme-sales.example", "Ben", "Carter",
             "graph", False),
    SeedUser(salesforce_id("005", 3), "cleo.nguyen@acme-sales.example", "Cleo", "Nguyen",
             "google", True),
    SeedUser(salesforce_id("005", 4), "dan.okafor@acme-sales.example", "Dan", "Okafor",
             "google", False),
    SeedUser(salesforce_id("005", 5), "eve.rossi@acme-sales.example", "Eve", "Rossi",
             "ews", True),
    SeedUser(salesforce_id("005", 6), "finn.berg@acme-sales.example", "Finn", "Berg",
             "ews", False),
    SeedUser(salesforce_id("005", 7), "grace.hopper@acme-sales.example", "Grace", "Hopper",
             "graph", True),
)

ACCOUNTS: tuple[dict[str, Any], ...] = (
    {"Id": salesforce_id("001", 1), "Name": "Acme Corporation", "Website": "acme.example"},
    {"Id": salesforce_id("001", 2), "Name": "Globex Industries", "Website": "globex.example"},
    {"Id": salesforce_id("001", 3), "Name": "Initech", "Website": "initech.example"},
    {"Id": salesforce_id("001", 4), "Name": "Umbrella Health", "Website": "umbrella.example"},
)
_ACME, _GLOBEX, _INITECH, _UMBRELLA = (a["Id"] for a in ACCOUNTS)

CONTACTS: tuple[dict[str, Any], ...] = (
    {"Id": salesforce_id("003", 1), "FirstName": "Olivia", "LastName": "O'Brien",
     "Email": "o'brien@acme.example", "AccountId": _ACME, "Title": "VP Procurement",
     "LastModifiedDate": "2026-10-01T09:00:00.000+0000"},
    {"Id": salesforce_id("003", 2), "FirstName": "Noah", "LastName": "Smith",
     "Email": "noah.smith@acme.example", "AccountId": _ACME, "Title": "CTO",
     "LastModifiedDate": "2026-10-02T09:00:00.000+0000"},
    {"Id": salesforce_id("003", 3), "FirstName": "Liam", "LastName": "Jones",
     "Email": "liam.jones@globex.example", "AccountId": _GLOBEX, "Title": "Buyer",
     "LastModifiedDate": "2026-10-03T09:00:00.000+0000"},
    {"Id": salesforce_id("003", 4), "FirstName": "Pat", "LastName": "Kim",
     "Email": "pat.kim@globex.example", "AccountId": _GLOBEX, "Title": "Analyst",
     "LastModifiedDate": "2026-09-01T09:00:00.000+0000"},
    {"Id": salesforce_id("003", 5), "FirstName": "Patricia", "LastName": "Kim",
     "Email": "Pat.Kim@globex.example", "AccountId": _GLOBEX, "Title": "Senior Analyst",
     "LastModifiedDate": "2026-11-01T09:00:00.000+0000"},
    {"Id": salesforce_id("003", 6), "FirstName": "Emma", "LastName": "Brown",
     "Email": "emma.brown@initech.example", "AccountId": _INITECH, "Title": "COO",
     "LastModifiedDate": "2026-10-04T09:00:00.000+0000"},
    {"Id": salesforce_id("003", 7), "FirstName": "Grace", "LastName": "Hopper",
     "Email": "grace.hopper@acme-sales.example", "AccountId": _ACME,
     "Title": "Solutions Engineer (also a User)",
     "LastModifiedDate": "2026-10-05T09:00:00.000+0000"},
    {"Id": salesforce_id("003", 8), "FirstName": "Ruth", "LastName": "Back\\slash",
     "Email": "ruth@initech.example", "AccountId": _INITECH, "Title": "Counsel",
     "LastModifiedDate": "2026-10-06T09:00:00.000+0000"},
)

LEADS: tuple[dict[str, Any], ...] = (
    {"Id": salesforce_id("00Q", 1), "FirstName": "Sophia", "LastName": "Lee",
     "Email": "sophia.lee@umbrella.example", "Company": "Umbrella Health",
     "IsConverted": False, "Status": "Open - Not Contacted"},
    {"Id": salesforce_id("00Q", 2), "FirstName": "James", "LastName": "Wu",
     "Email": "james.wu@hooli.example", "Company": "Hooli", "IsConverted": True,
     "Status": "Closed - Converted"},
    {"Id": salesforce_id("00Q", 3), "FirstName": "Noah", "LastName": "Smith",
     "Email": "noah.smith@acme.example", "Company": "Acme Corporation",
     "IsConverted": False, "Status": "Working - Contacted"},
    {"Id": salesforce_id("00Q", 4), "FirstName": "Mia", "LastName": "Garcia",
     "Email": "mia.garcia@wayne.example", "Company": "Wayne Enterprises",
     "IsConverted": False, "Status": "Open - Not Contacted"},
)

OPPORTUNITIES: tuple[dict[str, Any], ...] = (
    {"Id": salesforce_id("006", 1), "Name": "Acme - 500 Widgets", "AccountId": _ACME,
     "StageName": "Negotiation/Review", "CloseDate": "2026-12-15", "Amount": 125000},
    {"Id": salesforce_id("006", 2), "Name": "Globex Renewal 2027", "AccountId": _GLOBEX,
     "StageName": "Proposal/Price Quote", "CloseDate": "2027-01-31", "Amount": 48000},
    {"Id": salesforce_id("006", 3), "Name": "Initech Pilot", "AccountId": _INITECH,
     "StageName": "Qualification", "CloseDate": "2027-02-28", "Amount": 9000},
)

CASES: tuple[dict[str, Any], ...] = (
    {"Id": salesforce_id("500", 1), "Subject": "Widget delivery delayed", "AccountId": _ACME,
     "ContactId": CONTACTS[1]["Id"], "Status": "New", "CaseNumber": "00001001"},
)


@dataclass(frozen=True)
class SeedData:
    org_id: str = ORG_ID
    org_name: str = ORG_NAME
    users: tuple[SeedUser, ...] = USERS
    accounts: tuple[dict[str, Any], ...] = ACCOUNTS
    contacts: tuple[dict[str, Any], ...] = CONTACTS
    leads: tuple[dict[str, Any], ...] = LEADS
    opportunities: tuple[dict[str, Any], ...] = OPPORTUNITIES
    cases: tuple[dict[str, Any], ...] = CASES
    extra: dict[str, Any] = field(default_factory=dict)
    # new records are numbered from the world's base plus this (organizations of one
    # world never share a record id)
    record_number_offset: int = 0
    # a multi-org seed (multi_org_seed): each organization's own seed; empty = one org
    organizations: tuple[SeedData, ...] = ()

    @property
    def orgs(self) -> tuple[SeedData, ...]:
        """The organizations of this seed: itself when it is a single org."""
        return self.organizations or (self,)

    def org_of(self, email: str) -> SeedData:
        """The organization a seeded user belongs to (the first one if unknown)."""
        for org in self.orgs:
            if any(user.email.lower() == email.lower() for user in org.users):
                return org
        return self.orgs[0]


DEFAULT_SEED = SeedData()


# -- several organizations (benchmarks at scale) --------------------------------------------
PROVIDERS = ("graph", "google", "ews")
# seeded record numbers of organization k start at (k + 1) * ORG_ID_SPAN: never those of the
# demo org, so one product database may meet both seeds
ORG_ID_SPAN = 100_000
RECORD_NUMBER_SPAN = 1 << 26  # new records of organization k are numbered from k * this


def org_seed(index: int, users: int) -> SeedData:
    """Organization number ``index`` (0-based) of a multi-org seed: its own org id, users,
    Accounts and Contacts; every seeded id is unique across the organizations."""
    if users < 1:
        raise ValueError("an organization needs at least one user")
    base = (index + 1) * ORG_ID_SPAN
    domain = f"org{index + 1}.example"
    people = tuple(
        SeedUser(salesforce_id("005", base + n + 1), f"user{n + 1}@{domain}", f"User{n + 1}",
                 f"Org{index + 1}", PROVIDERS[n % len(PROVIDERS)], n % 2 == 0,
                 is_admin=n == 0)
        for n in range(users))
    accounts = tuple(
        {"Id": salesforce_id("001", base + n + 1), "Name": f"Customer {n + 1} of org {index + 1}",
         "Website": f"customer{n + 1}.{domain}"} for n in range(2))
    contacts = tuple(
        {"Id": salesforce_id("003", base + n + 1), "FirstName": f"Contact{n + 1}",
         "LastName": f"Org{index + 1}", "Email": f"contact{n + 1}@customer{n % 2 + 1}.{domain}",
         "AccountId": accounts[n % 2]["Id"], "Title": "Buyer",
         "LastModifiedDate": "2026-10-01T09:00:00.000+0000"} for n in range(4))
    return SeedData(org_id=salesforce_id("00D", base + 1),
                    org_name=f"Organization {index + 1} (sandbox)", users=people,
                    accounts=accounts, contacts=contacts, leads=(), opportunities=(), cases=(),
                    record_number_offset=index * RECORD_NUMBER_SPAN)


def multi_org_seed(orgs: int, users_per_org: int) -> SeedData:
    """``orgs`` separate Salesforce organizations of ``users_per_org`` users each. The
    returned seed lists every user (the mailbox emulators serve them all) and names the
    first organization as its own; ``organizations`` holds each organization's seed."""
    if orgs < 1:
        raise ValueError("orgs must be at least 1")
    parts = tuple(org_seed(index, users_per_org) for index in range(orgs))
    first = parts[0]
    return SeedData(org_id=first.org_id, org_name=first.org_name,
                    users=tuple(user for part in parts for user in part.users),
                    accounts=first.accounts, contacts=first.contacts, leads=(),
                    opportunities=(), cases=(), organizations=parts)
