"""Soak: the production server (gunicorn, several sync workers), the task worker and a bounded
mixed load for a fixed time (``MANYI_SOAK_SECONDS``, 20 s in ``make test``); every acknowledged
write is then in the database exactly once, nothing answered 5xx.

The same run with the tasks on Redis (RQ workers) and more web workers proves that nothing
assumes one process: requests of one client land on different workers, tasks run in other
processes than the ones that queued them.
"""

from __future__ import annotations

import pytest

from tests.soak import run

CASES = [
    pytest.param("sqlite", "db", 3, 1, id="sqlite-db_worker"),
    pytest.param("postgresql", "db", 3, 2, id="postgresql-db_worker"),
    pytest.param("postgresql", "rq", 4, 2, id="postgresql-rq-4_web_workers"),
]


@pytest.mark.parametrize(("database", "tasks", "workers", "task_workers"), CASES)
def test_every_acknowledged_write_is_stored_once_and_nothing_fails(
    soak_dirs, database, tasks, workers, task_workers
):
    name = f"soak-{database}-{tasks}"
    result = run.run(
        database=database,
        tasks=tasks,
        workers=workers,
        task_workers=task_workers,
        clients=6,
        workdir=soak_dirs["base"] / name,
        data=soak_dirs["data"],
        template=soak_dirs["template"],
        report=soak_dirs["reports"] / name,
    )
    figures = result["figures"]
    assert result["checks"]["ok"], result["checks"]["problems"]
    assert result["server_errors"] == 0, figures["total"]["errors"]
    # Every request was valid: anything but 2xx is a bug (a conflict, a refusal, a timeout).
    for op, f in figures["operations"].items():
        assert set(f["statuses"]) <= {"200", "201"}, (op, f["statuses"], f["errors"])
        assert f["no_answer"] == 0, (op, f["errors"])
        assert f["ok"] > 0, op
    counts = result["checks"]["counts"]
    assert counts["work_orders"] and counts["complaints"] and counts["responses"]
    assert counts["moves"] and counts["messages"] >= counts["complaints"]
    # The worker caught up: every complaint's text message went out.
    assert not result["pending_after_drain"].get("tasks", {}).get("READY")
