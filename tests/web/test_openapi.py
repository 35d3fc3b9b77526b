from typing import Any


def test_openapi_document_describes_the_api(client: Any) -> None:
    document = client.get("/api/openapi.json").json
    assert document["openapi"].startswith("3.")
    assert {"/api/v1/events", "/api/v1/events/{event_id}", "/api/v1/records",
            "/api/v1/context"} <= set(document["paths"])
    create = document["paths"]["/api/v1/events"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/EventCreate"}
    properties = document["components"]["schemas"]["EventCreate"]["properties"]
    assert {"subject", "start", "end", "isAllDay", "whoId", "whatId", "showAs"} <= set(properties)
    assert "subject" in document["components"]["schemas"]["EventCreate"]["required"]
    assert set(document["paths"]["/api/v1/events/{event_id}"]) == {"get", "delete"}
    put = document["paths"]["/api/v1/events/{event_id}/attendees"]["put"]
    assert put["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AttendeesUpdate"}
    assert {"held", "removedInSalesforce", "record"} <= set(
        document["components"]["schemas"]["AttendeeView"]["properties"])
    assert set(document["paths"]["/api/v1/records"]) == {"get", "post"}
    records = document["paths"]["/api/v1/records"]["get"]["parameters"]
    assert {p["name"] for p in records} == {"q", "types", "limit"}
    draft = document["paths"]["/api/v1/records/draft"]["get"]
    assert {p["name"] for p in draft["parameters"]} == {"email", "name", "type"}
    assert {"firstName", "lastName", "account", "newAccountName"} <= set(
        document["components"]["schemas"]["RecordDraft"]["properties"])


def test_every_status_and_format_the_api_answers_is_documented(client: Any) -> None:
    document = client.get("/api/openapi.json").json
    operations = {(method, path): operation for path, item in document["paths"].items()
                  for method, operation in item.items()}
    assert len(operations) == 19
    for (method, path), operation in operations.items():
        statuses = set(operation["responses"])
        assert {"400", "401", "409", "413", "503"} <= statuses, (method, path)
        assert any(s.startswith("2") for s in statuses)
        if "{event_id}" in path or (method, path) == ("post", "/api/v1/records"):
            assert "404" in statuses, (method, path)
        for status, response in operation["responses"].items():
            if not status.startswith("2"):
                assert response["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/ErrorEnvelope"}
    assert "422" in operations[("post", "/api/v1/events")]["responses"]  # Idempotency-Key
    assert "403" in operations[("patch", "/api/v1/admin/settings")]["responses"]
    assert "403" in operations[("get", "/api/v1/admin/salesforce-usage")]["responses"]
    schemas = document["components"]["schemas"]
    assert schemas["EventCreate"]["properties"]["start"]["format"] == "date-time"
    assert schemas["EventCreate"]["properties"]["description"]["maxLength"] == 32000
    assert schemas["AttendeeInput"]["properties"]["email"]["format"] == "email"
    assert schemas["NewRecord"]["properties"]["email"]["format"] == "email"
    assert "reference" in schemas["Error"]["properties"]
    types = next(p for p in operations[("get", "/api/v1/records")]["parameters"]
                 if p["name"] == "types")
    assert types["schema"]["items"]["enum"] == ["Contact", "Lead", "Account", "Opportunity",
                                                "Case", "User"]
    assert types["style"] == "form" and types["explode"] is False
    emails = next(p for p in operations[("get", "/api/v1/context")]["parameters"]
                  if p["name"] == "emails")
    assert emails["schema"]["items"]["format"] == "email"
