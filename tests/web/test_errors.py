from flask import Flask

from addin.errors import ValidationFailed


def test_unknown_api_path_gets_the_envelope(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_api_error_and_unexpected_error_envelopes(app: Flask) -> None:
    @app.get("/api/test-validation")
    def _validation() -> None:
        raise ValidationFailed("bad", fields={"end": "must be after start"})

    @app.get("/api/test-crash")
    def _crash() -> None:
        raise RuntimeError("secret internals")

    client = app.test_client()
    response = client.get("/api/test-validation")
    assert response.status_code == 400
    assert response.json == {"error": {"code": "validation_failed", "message": "bad",
                                       "fields": {"end": "must be after start"}}}
    response = client.get("/api/test-crash")
    assert response.status_code == 500
    assert "secret internals" not in response.get_data(as_text=True)
    assert response.json["error"]["code"] == "internal_error"
