from pathlib import Path

import pytest

from addin.config import Settings, settings_for_tests


def test_defaults_to_sandbox_without_credentials(tmp_path: Path) -> None:
    settings = Settings.from_env({"ADDIN_INSTANCE_PATH": str(tmp_path)}).resolve()
    assert settings.mode == "sandbox"
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'sandbox.sqlite3'}"
    assert settings.secret_key  # generated once and kept in the instance folder
    again = Settings.from_env({"ADDIN_INSTANCE_PATH": str(tmp_path)}).resolve()
    assert again.secret_key == settings.secret_key


def test_live_mode_when_real_credentials_are_configured(tmp_path: Path) -> None:
    env = {
        "ADDIN_INSTANCE_PATH": str(tmp_path),
        "ADDIN_SALESFORCE_CLIENT_ID": "sf-client",
        "ADDIN_MICROSOFT_CLIENT_ID": "ms-client",
    }
    settings = Settings.from_env(env).resolve()
    assert settings.mode == "live"
    assert settings.database_url.endswith("addin.sqlite3")


def test_environment_values_are_typed(tmp_path: Path) -> None:
    env = {
        "ADDIN_INSTANCE_PATH": str(tmp_path),
        "ADDIN_HTTP_RETRIES": "5",
        "ADDIN_HTTP_TIMEOUT_SECONDS": "2.5",
        "ADDIN_RUN_WORKER": "false",
        "ADDIN_UPSTREAM_GRAPH": "https://graph.example/",
    }
    settings = Settings.from_env(env)
    assert settings.http_retries == 5
    assert settings.http_timeout_seconds == 2.5
    assert settings.run_worker is False
    assert settings.upstream_urls["graph"] == "https://graph.example"
    assert settings.upstream_urls["salesforce_login"] == "https://login.salesforce.com"


def test_config_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    config_file = tmp_path / "addin.toml"
    config_file.write_text('public_url = "https://addin.example"\nhttp_retries = 7\n')
    settings = Settings.from_env(
        {"ADDIN_CONFIG_FILE": str(config_file), "ADDIN_HTTP_RETRIES": "2"}
    )
    assert settings.public_url == "https://addin.example"
    assert settings.http_retries == 2


def test_settings_for_tests_are_sandboxed(tmp_path: Path) -> None:
    settings = settings_for_tests(str(tmp_path))
    assert settings.is_sandbox and settings.testing and not settings.run_worker


def test_sync_defaults_are_configurable_and_checked(tmp_path: Path) -> None:
    env = {"ADDIN_INSTANCE_PATH": str(tmp_path), "ADDIN_GRAPH_CLASSIC_POLICY": "mirror",
           "ADDIN_SYNC_DIRECTION": "sf_to_calendar", "ADDIN_IGNORED_DOMAINS": "a.example"}
    settings = Settings.from_env(env)
    assert (settings.graph_classic_policy, settings.sync_direction) == ("mirror",
                                                                        "sf_to_calendar")
    with pytest.raises(ValueError, match="ADDIN_GRAPH_CLASSIC_POLICY must be one of hold"):
        Settings.from_env({**env, "ADDIN_GRAPH_CLASSIC_POLICY": "maybe"})


def test_a_sandbox_url_means_sandbox_mode_and_its_own_database(tmp_path: Path) -> None:
    settings = Settings.from_env({"ADDIN_SANDBOX_URL": "http://127.0.0.1:5050/",
                                  "ADDIN_INSTANCE_PATH": str(tmp_path)}).resolve()
    assert settings.mode == "sandbox" and settings.sandbox_url == "http://127.0.0.1:5050"
    assert not settings.sandbox_in_process
    assert settings.database_url.endswith("addin-sandbox.sqlite3")
    in_process = Settings.from_env({"ADDIN_INSTANCE_PATH": str(tmp_path)}).resolve()
    assert in_process.sandbox_in_process
    assert in_process.database_url.endswith("/sandbox.sqlite3")


@pytest.mark.parametrize("env, message", [
    ({"ADDIN_SANDBOX_URL": "127.0.0.1:5050"}, "http:// or https://"),
    ({"ADDIN_SANDBOX_URL": "http://127.0.0.1:5050", "ADDIN_MODE": "live"}, "ADDIN_MODE is live"),
])
def test_a_wrong_sandbox_url_is_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings.from_env(env)


def test_the_job_engine_follows_the_database_unless_named() -> None:
    sqlite = Settings.from_env({"ADDIN_DATABASE_URL": "sqlite:///x.sqlite3"})
    postgres = Settings.from_env({"ADDIN_DATABASE_URL": "postgresql://u@h/db"})
    assert not sqlite.uses_procrastinate and postgres.uses_procrastinate
    forced = Settings.from_env({"ADDIN_DATABASE_URL": "postgresql://u@h/db",
                                "ADDIN_JOB_ENGINE": "in_process"})
    assert not forced.uses_procrastinate
    with pytest.raises(ValueError, match="ADDIN_JOB_ENGINE"):
        Settings.from_env({"ADDIN_JOB_ENGINE": "celery"})


def test_settings_are_frozen_after_construction(tmp_path: Path) -> None:
    import dataclasses

    settings = Settings.from_env({"ADDIN_INSTANCE_PATH": str(tmp_path)}).resolve()
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.public_url = "https://elsewhere.example"  # type: ignore[misc]
    moved = dataclasses.replace(settings, public_url="https://elsewhere.example")
    assert moved.public_url == "https://elsewhere.example" != settings.public_url
