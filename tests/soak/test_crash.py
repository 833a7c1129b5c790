"""Crash: kill -9 the server (gunicorn's master and workers), the task worker(s) and the ticker
in the middle of the load, restart them, and carry on. Afterwards every acknowledged write is
there exactly once; a write that got no answer is there at most once; no case is half-written
(its opening event, its work order row, its stage equal to its last move, its number from the
counter); every text message queued before the kill is delivered after the restart; the survey
and cockpit rollups equal a recompute from the raw rows.
"""

from __future__ import annotations

import pytest

from tests.soak import run


@pytest.mark.parametrize(
    ("database", "tasks"),
    [
        pytest.param("sqlite", "db", id="sqlite-db_worker"),
        pytest.param("postgresql", "rq", id="postgresql-rq"),
    ],
)
def test_nothing_acknowledged_is_lost_when_everything_is_killed(soak_dirs, database, tasks):
    name = f"crash-{database}-{tasks}"
    result = run.run(
        database=database,
        tasks=tasks,
        workers=3,
        task_workers=2 if tasks == "rq" else 1,
        clients=6,
        crashes=2,
        workdir=soak_dirs["base"] / name,
        data=soak_dirs["data"],
        template=soak_dirs["template"],
        report=soak_dirs["reports"] / name,
    )
    assert len(result["restarts"]) == 2
    assert result["checks"]["ok"], result["checks"]["problems"]
    assert result["server_errors"] == 0, result["figures"]["total"]["errors"]
    # The load went on after the restarts: writes were acknowledged after the last one.
    assert result["acknowledged_after_last_restart"] > 0
    assert result["checks"]["counts"]["messages"] >= result["checks"]["counts"]["complaints"]
