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


DEFAULT_SEED = SeedData()
