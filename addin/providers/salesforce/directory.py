"""The Salesforce adapter's directory of records: the sidebar's lookups (SOSL), record
names by id, Accounts by email domain, and creating a Contact or Lead (with its Account).
A mixin of ``SalesforceClient`` (salesforce.py), which brings the request methods."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from simple_salesforce import format_soql

from addin.providers.salesforce.records import (
    ID_PREFIXES,
    AccountMatch,
    PersonCreated,
    RecordSummary,
    SalesforceValidationError,
    _summary,
    _urlencode,
)

SOSL_RESERVED = set('?&|!{}[]()^~*:\\"\'+-')
SEARCH_FIELDS = {
    "Contact": "Id, Name, Email, Account.Name",
    "Lead": "Id, Name, Email, Company",
    "Account": "Id, Name",
    "Opportunity": "Id, Name, Account.Name",
    "Case": "Id, Subject, CaseNumber",
    "User": "Id, Name, Email",
}


def escape_sosl(term: str) -> str:
    """Escape SOSL's reserved characters so user input is searched as text."""
    return "".join("\\" + ch if ch in SOSL_RESERVED else ch for ch in term)


class RecordsDirectory:
    """Needs ``base_path``, ``_call``, ``_rest`` and ``_composite`` (SalesforceClient)."""

    @property
    def base_path(self) -> str:
        raise NotImplementedError

    def _call(self, action: Any) -> Any:
        raise NotImplementedError

    def _rest(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError

    def _composite(self, subrequests: list[dict[str, Any]], all_or_none: bool = True
                   ) -> dict[str, Any]:
        raise NotImplementedError

    def search_records(self, term: str, types: Sequence[str], limit: int = 10
                       ) -> list[RecordSummary]:
        """Records for the sidebar's lookups (SOSL, the term escaped)."""
        wanted = [t for t in types if t in SEARCH_FIELDS]
        if not wanted or len(term.strip()) < 2:
            return []
        returning = ", ".join(f"{t}({SEARCH_FIELDS[t]} LIMIT {limit})" for t in wanted)
        sosl = f"FIND {{{escape_sosl(term.strip())}}} IN ALL FIELDS RETURNING {returning}"
        result = self._call(lambda sf: sf.search(sosl))
        return [_summary(row) for row in result.get("searchRecords", [])]

    def get_records(self, ids: Sequence[str]) -> dict[str, RecordSummary]:
        """Names of records by id (for WhoId / WhatId display): ONE API request."""
        by_type: dict[str, list[str]] = {}
        for record_id in dict.fromkeys(i for i in ids if i):
            kind = ID_PREFIXES.get(record_id[:3])
            if kind:
                by_type.setdefault(kind, []).append(record_id)
        if not by_type:
            return {}
        subrequests = [
            {"method": "GET", "referenceId": kind,
             "url": f"{self.base_path}/query?" + _urlencode(q=format_soql(
                 f"SELECT {SEARCH_FIELDS[kind]} FROM {kind} WHERE Id IN {{}}", record_ids))}
            for kind, record_ids in by_type.items()]
        bodies = self._composite(subrequests, all_or_none=False)
        return {row["Id"]: _summary(row) for body in bodies.values() for row in body["records"]}

    def create_record(self, sobject: str, fields: dict[str, Any]) -> str:
        if sobject not in ("Contact", "Lead"):
            raise SalesforceValidationError(f"creating {sobject} records is not supported",
                                            error_code="INVALID_TYPE")
        result = self._rest("POST", f"sobjects/{sobject}/", json=fields)
        return str(result["id"])

    def accounts_for_domain(self, domain: str, limit: int = 50) -> list[AccountMatch]:
        """Accounts whose Website mentions ``domain`` and the Accounts of Contacts with
        addresses at it (or a subdomain): ONE API request (a composite of two queries).
        Which of them really is the domain's is for the caller to decide."""
        websites = format_soql("SELECT Id, Name, Website FROM Account WHERE Website LIKE "
                               "'%{:like}%' ORDER BY Name LIMIT {}", domain, limit)
        contacts = format_soql("SELECT AccountId, Account.Name, Account.Website FROM Contact "
                               "WHERE AccountId != null AND (Email LIKE '%@{:like}' OR "
                               "Email LIKE '%.{:like}') LIMIT 200", domain, domain)
        bodies = self._composite([
            {"method": "GET", "referenceId": ref,
             "url": f"{self.base_path}/query?{_urlencode(q=soql)}"}
            for ref, soql in (("websites", websites), ("contacts", contacts))],
            all_or_none=False)
        found: dict[str, AccountMatch] = {
            row["Id"]: AccountMatch(row["Id"], row.get("Name") or "", row.get("Website"))
            for row in bodies["websites"]["records"]}
        for row in bodies["contacts"]["records"]:
            account = row.get("Account") or {}
            known = found.get(row["AccountId"]) or AccountMatch(
                row["AccountId"], account.get("Name") or "", account.get("Website"))
            found[row["AccountId"]] = AccountMatch(known.id, known.name, known.website,
                                                   known.contacts + 1)
        return list(found.values())

    def create_person(self, sobject: str, fields: dict[str, Any],
                      new_account: dict[str, Any] | None = None) -> PersonCreated:
        """A Contact or Lead; with ``new_account`` (Account fields) a Contact's Account is
        created with it, all or none: ONE API request (composite). A refusal raises the
        failing subrequest's error, its ``url`` naming the sObject refused."""
        if sobject not in ("Contact", "Lead") or (new_account and sobject != "Contact"):
            raise SalesforceValidationError(f"creating {sobject} records is not supported",
                                            error_code="INVALID_TYPE")
        subrequests = []
        if new_account:
            subrequests.append({"method": "POST", "referenceId": "newAccount",
                                "url": f"{self.base_path}/sobjects/Account",
                                "body": new_account})
            fields = {**fields, "AccountId": "@{newAccount.id}"}
        subrequests.append({"method": "POST", "referenceId": "newPerson",
                            "url": f"{self.base_path}/sobjects/{sobject}", "body": fields})
        bodies = self._composite(subrequests, all_or_none=True)
        account = bodies.get("newAccount")
        return PersonCreated(str(bodies["newPerson"]["id"]),
                             str(account["id"]) if account else fields.get("AccountId"))
