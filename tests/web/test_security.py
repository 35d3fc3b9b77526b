from typing import Any


def test_cors_allows_only_the_add_in_origins(client: Any) -> None:
    allowed = client.options("/api/v1/events", headers={
        "Origin": "https://outlook.office.com", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Authorization, Content-Type, Idempotency-Key"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://outlook.office.com"
    assert "idempotency-key" in allowed.headers["Access-Control-Allow-Headers"].lower()
    refused = client.options("/api/v1/events", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in refused.headers


def test_pages_may_be_framed_only_by_outlook_and_gmail(client: Any) -> None:
    page = client.get("/outlook/pane")
    policy = page.headers["Content-Security-Policy"]
    ancestors = policy.split("frame-ancestors ", 1)[1].split(";")[0].split()
    assert "https://outlook.office.com" in ancestors and "https://mail.google.com" in ancestors
    assert "*" not in ancestors
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in page.headers


def test_api_answers_carry_the_basic_headers(client: Any) -> None:
    response = client.get("/healthz")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
