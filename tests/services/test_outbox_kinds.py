"""Every outbox kind runs in a process that imported nothing but the outbox.

Handlers used to register themselves when their module was imported: a worker that never
imported the module of a kind failed its operations with a KeyError at dispatch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

KINDS = ("save_calendar_item", "create_event", "mirror_event")

SCRIPT = """
import json, sys
from sqlalchemy import insert
from addin.config import Settings
from addin.container import Container
from addin.services.outbox import queue
from addin.store import upgrade_to_head
from addin.store.models import OutboxOperation

kinds = json.loads(sys.argv[2])
imported_before = sorted(m for m in sys.modules if m.startswith("addin.services.")
                         and not m.startswith("addin.services.outbox"))
settings = Settings(database_url="sqlite:///" + sys.argv[1], secret_key="s" * 32,
                    testing=True)
container = Container.build(settings)
upgrade_to_head(container.db.engine)
results = {}
for kind in kinds:
    with container.db.engine.connect() as connection:  # an operation of a user now gone
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        op_id = connection.execute(insert(OutboxOperation).values(
            user_id=424242, kind=kind, payload={}).returning(OutboxOperation.id)).scalar_one()
        connection.commit()
    results[kind] = queue.run_operation(container, op_id)
print(json.dumps({"before": imported_before, "results": results}))
"""


def test_a_fresh_process_dispatches_every_kind(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "outbox.db"),
                           json.dumps(KINDS)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.splitlines()[-1])
    assert answer["before"] == [] or not any(
        name.rsplit(".", 1)[-1] in ("calendar_items", "event_creation", "events")
        for name in answer["before"])
    # the user is gone: each handler finds nothing to do, and the operation is done
    assert answer["results"] == dict.fromkeys(KINDS, "done")


def test_the_table_names_every_kind_and_nothing_else() -> None:
    from addin.services.outbox.handlers import HANDLERS

    assert sorted(HANDLERS) == sorted(KINDS)
    assert all(callable(function) for function in HANDLERS.values())
