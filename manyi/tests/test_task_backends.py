"""The task backend is a setting: the database's by default, RQ on Redis to scale out."""

import json
import os
import subprocess
import sys
from pathlib import Path

from manyi import cli

ROOT = Path(__file__).resolve().parents[2]


def _tasks_settings(tmp_path, **env: str) -> dict:
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps({'tasks': settings.TASKS, 'apps': settings.INSTALLED_APPS, "
        "'queues': getattr(settings, 'RQ_QUEUES', None)}))"
    )
    out = subprocess.run(  # noqa: S603 - the running interpreter, fixed code
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("MANYI_")},
            "DJANGO_SETTINGS_MODULE": "manyi.settings",
            "MANYI_DATA": str(tmp_path),
            **env,
        },
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_rq_backend_puts_the_tasks_on_the_redis_given(tmp_path):
    found = _tasks_settings(
        tmp_path, MANYI_TASK_BACKEND="rq", MANYI_REDIS_URL="redis://10.0.0.5:6380/2"
    )
    assert found["tasks"]["default"] == {
        "BACKEND": "django_tasks_rq.RQBackend",
        "QUEUES": ["default"],
    }
    assert found["queues"]["default"]["URL"] == "redis://10.0.0.5:6380/2"
    assert {"django_rq", "django_tasks_rq"} <= set(found["apps"])


def test_database_backend_is_the_default(tmp_path):
    found = _tasks_settings(tmp_path)
    assert found["tasks"]["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    assert found["queues"] is None and "django_rq" not in found["apps"]


def test_serve_starts_the_worker_of_the_backend():
    rq = cli._worker_command("django_tasks_rq.RQBackend")
    assert rq[3:] == ["rqworker", "--job-class", "django_tasks_rq.Job", "default"]
    assert cli._worker_command("django_tasks_db.DatabaseBackend")[3] == "db_worker"
