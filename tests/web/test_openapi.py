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
