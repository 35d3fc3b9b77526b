"""Shared fixtures: one sandbox per test session, a fresh app and database per test."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import settings as hypothesis_settings
from sqlalchemy import select, text

from addin import create_app
from addin.config import Settings, settings_for_tests
from addin.sandbox import SandboxRuntime
from addin.sandbox.state import DEFAULT_SETTINGS
from addin.store import upgrade_to_head
from addin.store.database import make_engine
from addin.store.models import User
from tests.processes import SandboxProcess, ServeProcess

pytest_plugins = ["tests.leaks"]  # threads or processes left running fail the run

# In CI (CI=true) every property test draws the same examples on every run: a red run is
# a defect to read, not a draw of luck. Locally Hypothesis explores anew each time.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    hypothesis_settings.load_profile("ci")

ARTIFACTS = Path(__file__).parent / "artifacts"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxRuntime]:
    runtime = SandboxRuntime(tmp_path_factory.mktemp("sandbox")).start()
    yield runtime
    runtime.stop()


@pytest.fixture(scope="module")
def own_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxRuntime]:
    """A sandbox for one test module alone: for tests that change the org for everyone in
    it (a custom field added through the Tooling API)."""
    runtime = SandboxRuntime(tmp_path_factory.mktemp("own-sandbox")).start()
    yield runtime
    runtime.stop()


@pytest.fixture
def clean_sandbox(sandbox: SandboxRuntime) -> SandboxRuntime:
    """The shared sandbox with an empty mail log, zeroed stats, no pending faults and the
    default behaviour settings."""
    sandbox.state.update_settings(dict(DEFAULT_SETTINGS))
    sandbox.state.mail.clear()
    sandbox.state.stats.reset()
    sandbox.state.faults.clear()
    return sandbox


@pytest.fixture
def upstream(sandbox: SandboxRuntime) -> requests.Session:
    """A plain HTTP client that trusts the sandbox CA (for talking to emulators directly)."""
    session = requests.Session()
    session.verify = sandbox.ca_path
    session.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise override verify
    return session


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to head once per test process, copied for each test's app
    (create_app then finds nothing to migrate). tests/store/test_migrations.py runs the real
    migrations, one by one, on databases of their own."""
    path = tmp_path_factory.mktemp("template") / "migrated.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    engine.dispose()
    return path


@pytest.fixture
def settings(tmp_path: Path, migrated_database: Path) -> Settings:
    settings = settings_for_tests(str(tmp_path / "instance"))
    database = Path(settings.database_url.removeprefix("sqlite:///"))
    database.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(migrated_database, database)
    return settings


@pytest.fixture
def app(settings: Settings, clean_sandbox: SandboxRuntime):  # type: ignore[no-untyped-def]
    application = create_app(settings, sandbox=clean_sandbox)
    yield application
    application.extensions["addin"].db.dispose()


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def services(app):  # type: ignore[no-untyped-def]
    return app.extensions["addin"]


@pytest.fixture(scope="session")
def postgres_url(worker_id: str) -> str | None:
    """ADDIN_TEST_POSTGRES_URL, or under pytest-xdist a database of this worker's own beside
    it (``<name>_gw0``, ...), created empty for the run: workers never share a schema."""
    url = os.environ.get("ADDIN_TEST_POSTGRES_URL") or None
    if not url or worker_id == "master":
        return url
    return worker_database(url, worker_id)


def worker_database(url: str, worker_id: str) -> str:
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker_id}"
    admin = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path,
                 postgres_url: str | None) -> str:
    """Storage tests run against SQLite always, and PostgreSQL when it is configured."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    if not postgres_url:
        pytest.skip("ADDIN_TEST_POSTGRES_URL is not set")
    _reset_postgres(postgres_url)
    return postgres_url


@pytest.fixture
def live_server(app):  # type: ignore[no-untyped-def]
    """The app served over real HTTP on a free port (threaded, like production)."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def bearer(services: Any) -> Callable[[str], dict[str, str]]:
    def headers(email: str) -> dict[str, str]:
        with services.db.session() as session:
            user_id = session.scalar(select(User.id).where(User.email == email))
        assert user_id is not None, email
        return {"Authorization": f"Bearer {services.api_tokens.mint(user_id)}"}

    return headers


@pytest.fixture
def sandbox_process(tmp_path: Path) -> Iterator[SandboxProcess]:
    """`addin sandbox` as a subprocess on free ports, keeping its state in a temporary
    folder (``.kill()`` then ``.start()`` continues the same world)."""
    with SandboxProcess(tmp_path, tmp_path / "sandbox-state") as process:
        yield process


@pytest.fixture
def serve_process(tmp_path: Path, sandbox_process: SandboxProcess) -> Iterator[ServeProcess]:
    """`addin serve` as a subprocess against ``sandbox_process`` (ADDIN_SANDBOX_URL), with a
    SQLite database that outlives it (``.kill()`` then ``.start()`` is a crash and a
    restart). For other databases or settings build a ``ServeProcess`` directly."""
    with ServeProcess(tmp_path, sandbox_process.url,
                      f"sqlite:///{tmp_path / 'product.sqlite3'}") as process:
        yield process


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--soak", action="store_true",
                     help="the long fault soak (300 operations, or SOAK_OPERATIONS) instead "
                          "of the suite's short seeded one")


# The longest tests (seconds to minutes each) go first, so that pytest-xdist hands them out
# while every worker is free and the run does not end waiting on one of them.
LONGEST_FIRST = (
    "tests/soak/", "tests/web/test_openapi_fuzz.py", "tests/services/test_sync_state_machine.py",
    "tests/jobs/", "tests/e2e/", "tests/test_standalone_sandbox.py", "tests/test_cli.py",
    "tests/services/test_series_state_machine.py", "tests/test_leaks.py",
    "tests/test_processes.py", "tests/store/test_mailbox_lock.py", "tests/browser/",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid
        return next((n for n, prefix in enumerate(LONGEST_FIRST) if path.startswith(prefix)),
                    len(LONGEST_FIRST))

    items.sort(key=rank)  # stable: the order within each group stays


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """What the crash suite and the fault soak counted, after the test results."""
    from tests.figures import FIGURES

    if FIGURES:
        terminalreporter.section("figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
