"""Each organization's Salesforce API budget: read from Sforce-Limit-Info on every answer,
counted across processes, shown to the admin, and syncing slows down before it runs dry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from addin.jobs import tasks
from addin.providers.salesforce import budget
from addin.store.models import MailboxRun, SalesforceUsage, User

AVA = "ava.martin@acme-sales.example"  # the seeded org's admin


@pytest.mark.parametrize(("header", "figure"), [
    ("api-usage=18/5000", (18, 5000)),
    ("api-usage=25/5000; per-app-api-usage=17/250(appName=sample-connected-app)", (25, 5000)),
    ("api-usage=110018/100000; api-bursts=1/750", (110018, 100000)),
    ("per-app-api-usage=17/250(appName=x)", None),
    ("", None),
    (None, None),
    ("api-usage=3/0", None),
])
def test_the_limit_header_is_read_as_salesforce_documents_it(
        header: str | None, figure: tuple[int, int] | None) -> None:
    assert budget.parse_limit_info(header) == figure


def _ava(services: Any) -> tuple[int, int]:
    with services.db.session() as session:
        user = session.scalar(select(User).where(User.email == AVA))
        assert user is not None
        return user.id, user.organization_id


def _reported(services: Any, organization_id: int, used: int, limit: int) -> None:
    with services.db.session() as session:
        session.merge(SalesforceUsage(organization_id=organization_id,
                                      day=datetime.now(UTC).date(), requests=0,
                                      reported_used=used, reported_max=limit,
                                      reported_at=datetime.now(UTC)))


def test_every_salesforce_answer_is_counted_and_its_figure_kept(
        client: Any, services: Any, bearer: Any, clean_sandbox: Any) -> None:
    _user_id, organization_id = _ava(services)
    # the shared sandbox's org has served the tests before this one: a limit 40 above
    # what it has used so far (learnt from one answer's Sforce-Limit-Info)
    assert client.get("/api/v1/records?q=Acme&types=Account",
                      headers=bearer(AVA)).status_code == 200
    before = budget.usage(services, organization_id)
    assert before.used is not None
    limit = before.used + 40
    clean_sandbox.state.update_settings({"salesforce.dailyApiLimit": limit})
    clean_sandbox.state.stats.reset()
    assert client.get("/api/v1/records?q=Acme&types=Account",
                      headers=bearer(AVA)).status_code == 200
    calls = clean_sandbox.state.stats.snapshot()["salesforce"]["requests"]
    after = budget.usage(services, organization_id)
    assert after.requests - before.requests == calls >= 1
    assert after.limit == limit and after.used is not None and after.used >= calls
    answer = client.get("/api/v1/admin/salesforce-usage", headers=bearer(AVA))
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["requestsByProduct"] == after.requests
    assert (body["apiUsage"], body["apiLimit"]) == (after.used, limit)
    # how far the shared org has got depends on the tests before this one in the process
    assert body["syncing"] == ("normal" if after.used < 0.8 * limit
                               else "slow" if after.used < 0.95 * limit else "stop")
    assert body["slowAbovePercent"] == 80.0 and body["stopAbovePercent"] == 95.0


def test_only_admins_see_the_figure(client: Any, bearer: Any) -> None:
    answer = client.get("/api/v1/admin/salesforce-usage",
                        headers=bearer("cleo.nguyen@acme-sales.example"))
    assert answer.status_code == 403
    assert answer.get_json()["error"]["code"] == "forbidden"


def test_polls_space_out_then_stop_as_the_org_runs_dry(services: Any) -> None:
    user_id, organization_id = _ava(services)
    now = datetime.now(UTC)
    assert (user_id, "backfill") in tasks.due_polls(services, now)  # never synced yet
    with services.db.session() as session:  # ava's last pass began 61 s ago (interval 60)
        session.add(MailboxRun(user_id=user_id, job="sync", reason="poll", worker="t",
                               started_at=now - timedelta(seconds=61),
                               finished_at=now - timedelta(seconds=60), outcome="done"))
    assert (user_id, "poll") in tasks.due_polls(services, now)
    _reported(services, organization_id, 8_500, 10_000)  # 85 %: slow
    assert budget.pressure(services, organization_id) == budget.SLOW
    assert (user_id, "poll") not in tasks.due_polls(services, now)
    assert (user_id, "poll") in tasks.due_polls(services, now + timedelta(seconds=180))  # x4
    _reported(services, organization_id, 9_600, 10_000)  # 96 %: stop
    assert (user_id, "poll") not in tasks.due_polls(services, now + timedelta(days=1))


def test_passes_nobody_waits_for_are_deferred_and_the_others_run(services: Any) -> None:
    user_id, organization_id = _ava(services)
    ran: list[str] = []

    def pass_(_services: Any, _user_id: int, reason: str) -> None:
        ran.append(reason)

    _reported(services, organization_id, 8_500, 10_000)  # slow: a backfill waits
    assert tasks.sync_mailbox(services, user_id, "backfill", pass_) == "deferred"
    assert tasks.sync_mailbox(services, user_id, "poll", pass_) == "done"
    _reported(services, organization_id, 9_900, 10_000)  # stop: polls wait too
    assert tasks.sync_mailbox(services, user_id, "poll", pass_) == "deferred"
    assert tasks.sync_mailbox(services, user_id, "graph:updated", pass_) == "done"
    assert ran == ["poll", "graph:updated"]
    with services.db.session() as session:
        runs = list(session.scalars(select(MailboxRun).where(MailboxRun.user_id == user_id)))
    assert [(r.reason, r.outcome) for r in runs] == [("poll", "done"),
                                                     ("graph:updated", "done")]


def test_old_run_records_are_forgotten(services: Any) -> None:
    user_id, _org = _ava(services)
    now = datetime.now(UTC)
    with services.db.session() as session:
        for age in (timedelta(days=3), timedelta(hours=1)):
            session.add(MailboxRun(user_id=user_id, job="sync", reason="poll", worker="t",
                                   started_at=now - age, finished_at=now - age,
                                   outcome="done"))
    assert tasks.prune_runs(services, now) == 1  # the 3-day-old one
    with services.db.session() as session:
        assert len(list(session.scalars(select(MailboxRun)))) == 1
    assert tasks.prune_runs(services, now + timedelta(minutes=1)) == 0  # at most every 5 min
    assert tasks.prune_runs(services, now + timedelta(days=2, minutes=1)) == 1
