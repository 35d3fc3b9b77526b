def test_healthz(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/healthz").json == {"status": "ok"}


def test_readyz_reports_migrations(client) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/readyz").json
    assert body["status"] == "ready"
    assert body["migrations"]["current"] == body["migrations"]["head"]


def test_readyz_unavailable_before_migrations(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from addin import create_app
    from addin.config import settings_for_tests

    # an empty database, not the suite's migrated copy (the settings fixture)
    app = create_app(settings_for_tests(str(tmp_path / "instance")), migrate=False)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
