"""The sandbox org driven by simple-salesforce itself: a client nobody here wrote."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from addin.sandbox import SandboxRuntime
from tests.clock import at, day, salesforce, z
from tests.sandbox.conftest import AVA, BEN

START_AT = at(day(1), "10:00")  # the Tuesday of the test week, 10:00 UTC
START = z(START_AT)


def _event(sf: Salesforce, subject: str = "Conformance", **fields: object) -> str:
    body = {"Subject": subject, "StartDateTime": START, "DurationInMinutes": 30, **fields}
    return str(sf.Event.create(body)["id"])


def test_create_get_update_delete(sf: Salesforce) -> None:
    created = sf.Event.create({"Subject": "Intro call", "StartDateTime": START,
                               "EndDateTime": z(START_AT + timedelta(minutes=90))})
    assert created["success"] is True and created["errors"] == []
    record = sf.Event.get(created["id"])
    assert record["attributes"]["type"] == "Event"
    assert record["attributes"]["url"].endswith(f"/sobjects/Event/{created['id']}")
    assert record["DurationInMinutes"] == 90
    assert record["ActivityDateTime"] == salesforce(START_AT)
    assert record["IsGroupEvent"] is False
    assert sf.Event.update(created["id"], {"Location": "Room 4"}) == 204
    assert sf.Event.get(created["id"])["Location"] == "Room 4"
    assert sf.Event.delete(created["id"]) == 204
    with pytest.raises(SalesforceResourceNotFound):
        sf.Event.get(created["id"])


def test_query_pages_with_next_records_url(sf: Salesforce) -> None:
    subject = f"Paging {datetime.now(UTC).timestamp()}"
    records = [{"attributes": {"type": "Event"}, "Subject": subject, "StartDateTime": START,
                "DurationInMinutes": 15} for _ in range(250)]
    for chunk in (records[:200], records[200:]):
        results = sf.restful("composite/sobjects", method="POST",
                             json={"allOrNone": True, "records": chunk})
        assert all(r["success"] for r in results)
    soql = f"SELECT Id, Subject, Owner.Email FROM Event WHERE Subject = '{subject}'"
    first = sf.query(soql, headers={"Sforce-Query-Options": "batchSize=200"})
    assert first["totalSize"] == 250 and first["done"] is False
    assert len(first["records"]) == 200
    rest = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert rest["done"] is True and len(rest["records"]) == 50
    everything = sf.query_all(soql, headers={"Sforce-Query-Options": "batchSize=200"})
    assert len(everything["records"]) == 250
    owner = everything["records"][0]["Owner"]
    assert owner["attributes"]["type"] == "User"
    assert owner["Email"] == "ava.martin@acme-sales.example"


def test_query_all_includes_deleted_records(sf: Salesforce) -> None:
    event_id = _event(sf, "Deleted soon")
    sf.Event.delete(event_id)
    soql = f"SELECT Id, IsDeleted FROM Event WHERE Id = '{event_id}'"
    assert sf.query(soql)["totalSize"] == 0
    rows = sf.query_all(soql, include_deleted=True)["records"]
    assert [(r["Id"], r["IsDeleted"]) for r in rows] == [(event_id, True)]


def test_composite_with_references(sf: Salesforce) -> None:
    response = sf.restful("composite", method="POST", json={
        "allOrNone": True,
        "compositeRequest": [
            {"method": "POST", "url": "/services/data/v62.0/sobjects/Event",
             "referenceId": "ev",
             "body": {"Subject": "Composite", "StartDateTime": START,
                      "DurationInMinutes": 45}},
            {"method": "GET", "url": "/services/data/v62.0/sobjects/Event/@{ev.id}",
             "referenceId": "read"},
            {"method": "POST", "url": "/services/data/v62.0/sobjects/EventRelation",
             "referenceId": "rel",
             "body": {"EventId": "@{ev.id}", "RelationId": "003000000000001AAA"}},
        ]})
    results = {r["referenceId"]: r for r in response["compositeResponse"]}
    assert results["ev"]["httpStatusCode"] == 201
    assert results["read"]["body"]["Subject"] == "Composite"
    assert results["rel"]["httpStatusCode"] == 201


def test_composite_all_or_none_rolls_back(sf: Salesforce, clean_sandbox: SandboxRuntime
                                          ) -> None:
    subject = f"Rolled back {datetime.now(UTC).timestamp()}"
    response = sf.restful("composite", method="POST", json={
        "allOrNone": True,
        "compositeRequest": [
            {"method": "POST", "url": "/services/data/v62.0/sobjects/Event",
             "referenceId": "ok",
             "body": {"Subject": subject, "StartDateTime": START, "DurationInMinutes": 5}},
            {"method": "POST", "url": "/services/data/v62.0/sobjects/Event",
             "referenceId": "bad", "body": {"Subject": subject, "StartDateTime": START,
                                            "DurationInMinutes": 5000}},
            {"method": "GET", "url": "/services/data/v62.0/sobjects/Event/@{ok.id}",
             "referenceId": "after"},
        ]})
    codes = [(r["referenceId"], r["httpStatusCode"], r["body"][0]["errorCode"])
             for r in response["compositeResponse"]]
    assert codes == [("ok", 400, "PROCESSING_HALTED"),
                     ("bad", 400, "FIELD_INTEGRITY_EXCEPTION"),
                     ("after", 400, "PROCESSING_HALTED")]
    assert sf.query(f"SELECT Id FROM Event WHERE Subject = '{subject}'")["totalSize"] == 0
    usage = clean_sandbox.state.stats.snapshot()["salesforce"]["byOperation"]
    assert usage["composite"] == 1  # one API request, whatever it holds


def test_updated_and_deleted_replication(sf: Salesforce) -> None:
    start = datetime.now(UTC) - timedelta(minutes=1)
    changed = _event(sf, "Replicated")
    removed = _event(sf, "Replicated and deleted")
    sf.Event.delete(removed)
    end = datetime.now(UTC) + timedelta(minutes=1)
    updated = sf.Event.updated(start, end)
    assert changed in updated["ids"] and removed not in updated["ids"]
    assert "latestDateCovered" in updated
    deleted = sf.Event.deleted(start, end)
    assert removed in [row["id"] for row in deleted["deletedRecords"]]
    assert {"earliestDateAvailable", "latestDateCovered"} <= set(deleted)


def test_error_classes(sf: Salesforce, salesforce_for: object,
                       clean_sandbox: SandboxRuntime) -> None:
    with pytest.raises(SalesforceMalformedRequest) as malformed:
        sf.query("SELECT Id FROM Event GROUP BY Subject")
    assert malformed.value.content[0]["errorCode"] == "MALFORMED_QUERY"
    with pytest.raises(SalesforceResourceNotFound):
        sf.Contact.get("003000000000999AAA")
    expired = Salesforce(instance_url=clean_sandbox.origins["salesforce"],
                         session_id="not-a-token", version="62.0", session=sf.session)
    with pytest.raises(SalesforceExpiredSession) as expired_error:
        expired.query("SELECT Id FROM User")
    assert expired_error.value.content[0]["errorCode"] == "INVALID_SESSION_ID"
    limit = clean_sandbox.state.setting("salesforce.dailyApiLimit")
    org_app = clean_sandbox.apps["salesforce"]
    try:
        clean_sandbox.state.update_settings({"salesforce.dailyApiLimit": 0})
        with pytest.raises(SalesforceRefusedRequest) as refused:
            sf.query("SELECT Id FROM User")
        assert refused.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    finally:
        clean_sandbox.state.update_settings({"salesforce.dailyApiLimit": limit})
    assert org_app is not None


def test_limit_header_counts_requests(sf: Salesforce) -> None:
    sf.query("SELECT Id FROM User LIMIT 1")
    used, limit = sf.api_usage["api-usage"].used, sf.api_usage["api-usage"].total
    sf.query("SELECT Id FROM User LIMIT 1")
    assert sf.api_usage["api-usage"].used == used + 1
    assert limit == 15000
    versions = sf.session.get(f"{sf.base_url.split('/services/data/')[0]}/services/data/",
                              timeout=10)
    assert versions.status_code == 200  # free, so Salesforce reports no usage on it
    assert "Sforce-Limit-Info" not in versions.headers


def _client(runtime: SandboxRuntime, email: str) -> Salesforce:
    session = requests.Session()
    session.verify, session.trust_env = runtime.ca_path, False
    return Salesforce(instance_url=runtime.origins["salesforce"], version="62.0",
                      session_id=runtime.state.tokens.issue("salesforce", email),
                      session=session)


def test_an_external_id_field_added_through_the_tooling_api(own_sandbox: SandboxRuntime) -> None:
    """The Tooling API adds an External ID to Activity; upsert by it creates once and then
    updates; the record reads back by it; a second record cannot take the same value."""
    sf = _client(own_sandbox, AVA)
    field = {"FullName": "Activity.Addin_Request_Id__c",
             "Metadata": {"label": "Addin Request Id", "type": "Text", "length": 64,
                          "externalId": True, "unique": True}}
    with pytest.raises(SalesforceRefusedRequest):  # a user without Customize Application
        _client(own_sandbox, BEN).restful("tooling/sobjects/CustomField", method="POST",
                                      json=field)
    added = sf.restful("tooling/sobjects/CustomField", method="POST", json=field)
    assert added["success"] is True and added["id"].startswith("00N")
    with pytest.raises(SalesforceMalformedRequest) as again:
        sf.restful("tooling/sobjects/CustomField", method="POST", json=field)
    assert again.value.content[0]["errorCode"] == "DUPLICATE_DEVELOPER_NAME"
    described = {f["name"]: f for f in sf.Event.describe()["fields"]}
    assert described["Addin_Request_Id__c"]["externalId"] is True
    body = {"Subject": "Upserted", "StartDateTime": START, "DurationInMinutes": 30}
    assert sf.Event.upsert("Addin_Request_Id__c/req-1", body) == 201
    assert sf.Event.upsert("Addin_Request_Id__c/req-1", {**body, "Location": "HQ"}) == 200
    record = sf.Event.get_by_custom_id("Addin_Request_Id__c", "req-1")
    assert record["Location"] == "HQ" and record["Addin_Request_Id__c"] == "req-1"
    found = sf.query("SELECT Id FROM Event WHERE Addin_Request_Id__c = 'req-1'")
    assert [r["Id"] for r in found["records"]] == [record["Id"]]
    with pytest.raises(SalesforceMalformedRequest) as duplicate:
        sf.Event.create({**body, "Addin_Request_Id__c": "REQ-1"})
    assert duplicate.value.content[0]["errorCode"] == "DUPLICATE_VALUE"
    with pytest.raises(SalesforceResourceNotFound):
        sf.Event.get_by_custom_id("Addin_Request_Id__c", "req-2")
    with pytest.raises(SalesforceResourceNotFound):
        sf.Event.upsert("Subject/Upserted", body)  # not an External ID
