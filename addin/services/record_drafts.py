"""Drafts of the Contact or Lead an unlinked attendee becomes: the rep sees them prefilled
and edits them before anything is saved ("Create Contact" never makes a record by itself).

First and last name come from the attendee's display name (nameparser), or from the
address's local part ("raj.patel" -> Raj / Patel) when there is no display name. The
Account comes from the address's domain: an existing Account whose Website is that domain,
else the Account most of the domain's Contacts belong to, else a new Account named after
the domain. Free-mail domains (gmail.com ...), the user's own domain and the org's ignored
domains never suggest an Account. Upstream: Salesforce at most 1 request per draft."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from nameparser import HumanName
from publicsuffixlist import PublicSuffixList

from addin.accounts.clients import open_salesforce
from addin.accounts.identity import CurrentUser
from addin.container import Container
from addin.domain.errors import InvalidInput
from addin.providers.salesforce.client import (
    AccountMatch,
    SalesforceClient,
    SalesforceValidationError,
)
from addin.services.attendees import attendee_views, set_attendees
from addin.services.mirrors import find_mirror
from addin.services.org_settings import load_org_settings
from addin.sync.merge import key

# Public mailbox providers: an address there says nothing about the person's company.
FREE_MAIL = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "hotmail.co.uk", "live.com",
    "msn.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "ymail.com", "aol.com",
    "icloud.com", "me.com", "mac.com", "proton.me", "protonmail.com", "pm.me", "gmx.com",
    "gmx.de", "gmx.net", "web.de", "mail.com", "yandex.com", "yandex.ru", "mail.ru",
    "zoho.com", "fastmail.com", "hey.com", "tutanota.com", "qq.com", "163.com", "126.com",
    "naver.com", "orange.fr", "free.fr", "t-online.de", "libero.it", "btinternet.com",
    "comcast.net", "verizon.net", "att.net",
})
# Shared mailboxes: their local part is no person's name.
ROLE_MAILBOXES = frozenset({
    "info", "sales", "support", "admin", "contact", "hello", "office", "team", "billing",
    "noreply", "no-reply", "accounts", "help", "enquiries", "inquiries", "marketing",
})
FIRST_NAME_MAX, LAST_NAME_MAX, COMPANY_MAX = 40, 80, 255


@lru_cache(maxsize=1)
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList()  # the list the package ships: no download


@dataclass(frozen=True)
class PersonName:
    first: str
    last: str


def split_name(display_name: str | None, email: str) -> PersonName:
    """First and last name from a display name ("Patel, Raj", "Dr. Raj Patel Jr."), or
    from the local part of ``email`` when the name is missing or is itself an address."""
    name = (display_name or "").strip().strip("'\"").strip()
    if name and "@" not in name:
        parsed = HumanName(name)
        first = " ".join(p for p in (parsed.first, parsed.middle) if p)
        last = " ".join(p for p in (parsed.last, parsed.suffix) if p)
        if not last:  # one word: Salesforce requires the last name
            first, last = "", first
        return PersonName(first[:FIRST_NAME_MAX], last[:LAST_NAME_MAX])
    local = email.rpartition("@")[0].split("+", 1)[0].lower()
    if local in ROLE_MAILBOXES:
        return PersonName("", "")
    words = [w for w in re.split(r"[._]+|\d+", local) if w and w not in ("-",)]
    if not words:
        return PersonName("", "")
    parsed = HumanName(" ".join(words))
    parsed.capitalize(force=True)
    first = " ".join(p for p in (parsed.first, parsed.middle) if p)
    last = parsed.last or ""
    if not last:
        first, last = "", first
    return PersonName(first[:FIRST_NAME_MAX], last[:LAST_NAME_MAX])


def company_domain(email: str, ignored: set[str] | frozenset[str] = frozenset()) -> str | None:
    """The organisation's domain of an address ("raj@eu.acme.co.uk" -> "acme.co.uk"), or
    None for free mail and ``ignored`` domains."""
    host = email.rpartition("@")[2].strip().lower().rstrip(".")
    if not host or "." not in host:
        return None
    domain = _suffixes().privatesuffix(host) or host
    if host in FREE_MAIL or domain in FREE_MAIL or host in ignored or domain in ignored:
        return None
    return domain


def account_name_for(domain: str) -> str:
    """A new Account's name from its domain: "acme-widgets.co.uk" -> "Acme Widgets"."""
    suffix = _suffixes().publicsuffix(domain) or ""
    label = domain[: -len(suffix) - 1] if suffix and domain.endswith("." + suffix) else domain
    label = label.rsplit(".", 1)[-1]
    words = [w for w in re.split(r"[-_]+", label) if w]
    return " ".join(w[:1].upper() + w[1:] for w in words)[:COMPANY_MAX] or domain


def _website_domain(website: str | None) -> str | None:
    if not website:
        return None
    text = website.strip().lower()
    host = urlsplit(text if "//" in text else "//" + text).hostname or ""
    host = host.removeprefix("www.")
    return (_suffixes().privatesuffix(host) or host) if host else None


def best_accounts(domain: str, candidates: list[AccountMatch]) -> list[AccountMatch]:
    """The candidates that really are the domain's, best first: Website on the domain
    before Contacts at it, then by how many Contacts are there."""
    def rank(match: AccountMatch) -> tuple[int, int, str]:
        return (0 if _website_domain(match.website) == domain else 1, -match.contacts,
                match.name.lower())
    return sorted((m for m in candidates
                   if _website_domain(m.website) == domain or m.contacts), key=rank)


def draft_person(container: Container, user: CurrentUser, salesforce: SalesforceClient,
                 email: str, display_name: str | None, kind: str) -> dict[str, Any]:
    """The prefilled Contact/Lead form of an attendee (see the module's docstring)."""
    name = split_name(display_name, email)
    org = load_org_settings(container, user.organization_id)
    ignored = {d.lower() for d in org.ignored_domains} | {
        user.email.rpartition("@")[2].lower()}
    own = _suffixes().privatesuffix(user.email.rpartition("@")[2].lower())
    if own:
        ignored.add(own)
    domain = company_domain(email, frozenset(ignored))
    draft: dict[str, Any] = {"type": kind, "email": email, "firstName": name.first,
                             "lastName": name.last, "domain": domain, "account": None,
                             "accounts": [], "newAccountName": None, "company": ""}
    matches = best_accounts(domain, salesforce.accounts_for_domain(domain)) if domain else []
    draft["accounts"] = [{"id": m.id, "name": m.name,
                          "matchedBy": "website" if _website_domain(m.website) == domain
                          else "contacts"} for m in matches[:5]]
    if matches:
        draft["account"] = draft["accounts"][0]
    elif domain:
        draft["newAccountName"] = account_name_for(domain)
    if kind == "Lead":
        draft["company"] = matches[0].name if matches else (
            account_name_for(domain) if domain else "")
    return draft


# Salesforce's field names -> the API's, per sObject a create may refuse
API_FIELDS = {"FirstName": "firstName", "LastName": "lastName", "Email": "email",
              "Company": "company", "AccountId": "accountId"}


def save_person(container: Container, user: CurrentUser, data: dict[str, Any]
                ) -> tuple[str, dict[str, Any]]:
    """Save the Contact or Lead the rep edited (``data`` as NewRecordSchema loads it) for an
    unlinked attendee, with its new Account if one was named (all or none), then link it
    (the attendee list rewritten as it is links the new record). Returns (record id,
    Event). Upstream: Salesforce 1 create (composite) + the attendee rewrite's requests."""
    row = find_mirror(container, user.id, data["eventId"])
    if key(data["email"]) not in {key(a["email"]) for a in row.base_attendees}:
        raise InvalidInput("Only an attendee of the event can be created from here.",
                           fields={"email": "not an attendee of this event"})
    fields: dict[str, Any] = {"LastName": data["lastName"].strip(), "Email": data["email"]}
    if (data.get("firstName") or "").strip():
        fields["FirstName"] = data["firstName"].strip()
    new_account = None
    if data["type"] == "Lead":
        fields["Company"] = data["company"].strip()
    elif data.get("accountId"):
        fields["AccountId"] = data["accountId"]
    elif data.get("newAccountName"):
        new_account = {"Name": data["newAccountName"].strip()}
        domain = company_domain(data["email"])
        if domain:
            new_account["Website"] = domain
    try:
        created = open_salesforce(container, user).create_person(data["type"], fields,
                                                                new_account)
    except SalesforceValidationError as exc:
        raise InvalidInput("Salesforce did not accept the record.",
                           fields=_refused_fields(exc)) from exc
    event = set_attendees(container, user, data["eventId"], attendee_views(row))
    return created.id, event


def _refused_fields(exc: SalesforceValidationError) -> dict[str, str]:
    """Salesforce's refusal, named by the API's field (an Account refused: the new
    Account's name; an Account id that does not exist: accountId)."""
    message = exc.message
    if "/sobjects/Account" in (exc.url or ""):
        return {"newAccountName": f"Salesforce refused the new Account: {message}"}
    named = {API_FIELDS[f]: message for f in exc.fields if f in API_FIELDS}
    if exc.error_code == "INVALID_CROSS_REFERENCE_KEY" and "AccountId" in exc.fields:
        named["accountId"] = "That Account no longer exists in Salesforce."
    return named or {"_salesforce": message}
