"""Fixtures of the job tests: PostgreSQL (skipped cleanly when it does not answer), a
standalone sandbox, and the product against both, in this process, to set the scene."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import text

from addin import create_app
from addin.config import Settings
from addin.store.database import make_engine
from tests.processes import SandboxProcess

# every process of one deployment shares the secret key (it encrypts the stored tokens)
SECRET_KEY = "jobs-test-secret-shared-by-every-process"


def _reachable(url: str) -> bool:
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=3).close()
    except Exception:
        return False
    return True


@pytest.fixture
def jobs_database(postgres_url: str | None) -> str:
    """An empty PostgreSQL database (ADDIN_TEST_POSTGRES_URL)."""
    if not postgres_url:
        pytest.skip("ADDIN_TEST_POSTGRES_URL is not set")
    if not _reachable(postgres_url):
        pytest.skip(f"PostgreSQL does not answer at {postgres_url}")
    engine = make_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return postgres_url


@pytest.fixture
def world(tmp_path: Path, jobs_database: str) -> Iterator[SandboxProcess]:
    """`addin sandbox` in memory, each emulated request 20 ms slower (passes take time);
    only for the tests on PostgreSQL (skipped, without starting it, when there is none)."""
    with SandboxProcess(tmp_path / "sandbox", ADDIN_SANDBOX_LATENCY_MS="20") as sandbox:
        yield sandbox


@pytest.fixture
def product(tmp_path: Path, world: SandboxProcess, jobs_database: str) -> Iterator[Any]:
    """The product in this process (migrated, seeded users connected), no worker of its
    own: the API creates the scene, worker processes do the jobs."""
    settings = Settings.from_env({
        "ADDIN_INSTANCE_PATH": str(tmp_path / "instance"),
        "ADDIN_DATABASE_URL": jobs_database, "ADDIN_SANDBOX_URL": world.url,
        "ADDIN_RUN_WORKER": "false", "ADDIN_SECRET_KEY": SECRET_KEY})
    app = create_app(settings)
    yield app
    app.extensions["addin"].db.dispose()


def upstream_token(world: SandboxProcess, email: str, service: str) -> dict[str, str]:
    person = next(u for u in world.index()["users"] if u["email"] == email)
    return {"Authorization": f"Bearer {person['upstreamTokens'][service]}"}


def add_invitee_in_salesforce(world: SandboxProcess, event_id: str, email: str) -> None:
    """A Lightning user adds an invitee in Salesforce's UI (no email from Salesforce)."""
    answer = world.upstream().post(
        f"{world.index()['services']['salesforce']}/sandbox-ui/events/{event_id}/invitees",
        json={"add": [email]}, timeout=10)
    assert answer.status_code == 200, answer.text


def mail_to(world: SandboxProcess, email: str, subject: str) -> list[str]:
    session = requests.Session()
    session.trust_env = False
    body = session.get(f"{world.url}/mail", timeout=10).json()
    return [m["kind"] for m in body["messages"]
            if m["to"].lower() == email and m["subject"] == subject]
