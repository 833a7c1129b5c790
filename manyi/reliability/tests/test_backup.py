"""``manyi backup`` and ``manyi restore``: identical data, taken while a server writes.

A real server (gunicorn, on its own database — a SQLite file, or a PostgreSQL database named
after the test run's) takes notes on a case through the API without pause while ``manyi
backup`` runs. The archive is restored into a fresh database and data directory, and every
table's rows are compared by checksum with the source: everything restored is identical, and
what is missing is only the notes written after the backup's snapshot — a gapless run of the
newest ones, never a hole. The uploaded files come back byte for byte.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

PORT = 8106
ROOT = Path(__file__).resolve().parents[3]

SETUP = """
import json
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from manyi.org import actions
from manyi.org.models import Role, UnitKind, Industry, Staff
from django.contrib.auth import get_user_model
from manyi.customers.actions import create_customer
from manyi.workorders.actions import take_order

company = actions.create_company(name="备份公司", code="B")
user = get_user_model().objects.create_user("head", password="Test-pass-2026")
Staff.objects.create(
    user=user, company=company, unit=company, role=Role.DEPARTMENT_HEAD, name="主管"
)
region = actions.create_unit(
    actor=user, parent=company, kind=UnitKind.REGION, code="R", name="片区"
)
outlet = actions.create_unit(
    actor=user, parent=region, kind=UnitKind.OUTLET, code="R1", name="门店",
    industry=Industry.PAINT_DEALER,
)
customer = create_customer(
    actor=user, data={"name": "王小明", "phone": "13900001111", "home_outlet": outlet}
)
case = take_order(actor=user, customer=customer, site_address="漕溪北路88号")
_token, raw = actions.create_api_token(user=user, name="writer")
default_storage.save("backup-test/photo.bin", ContentFile(bytes(range(256)) * 40))
print(json.dumps({"token": raw, "case": case.pk}))
"""

CHECKSUMS = """
import json
from manyi.org.models import ApiToken
from manyi.reliability.backup import checksums
# The writer's requests touch its token's last use (at most once a minute): not data.
ApiToken.objects.update(last_used_at=None)
print(json.dumps(checksums()))
"""


def _env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "PYTEST", "DJANGO_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="manyi.settings",
        MANYI_DATA=str(data_dir),
        MANYI_STATIC_MANIFEST="0",
        SECRET_KEY="backup-test-key-" + "x" * 40,
        PYTHONPATH=str(ROOT),
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _python(env: dict[str, str], code: str) -> str:
    script = "import django; django.setup()\n" + code
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def _manyi(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "manyi.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def _migrate(env: dict[str, str]) -> None:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "migrate", "-v", "0"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]


class Writer(threading.Thread):
    """Takes numbered notes on the case through the API until stopped; remembers the acks."""

    def __init__(self, token: str, case: int) -> None:
        super().__init__(daemon=True)
        self.token, self.case = token, case
        self.acked: list[int] = []
        self.stop = threading.Event()
        self.errors: list[str] = []

    def run(self) -> None:
        number = 0
        while not self.stop.is_set():
            body = json.dumps({"text": f"note {number}"}).encode()
            request = urllib.request.Request(  # noqa: S310 - loopback
                f"http://127.0.0.1:{PORT}/api/v1/cases/{self.case}/notes",
                data=body,
                headers={
                    "Authorization": f"Bearer {self.token}",
                    "Content-Type": "application/json",
                },
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                    if response.status == 201:
                        self.acked.append(number)
            except (urllib.error.URLError, OSError) as exc:
                self.errors.append(f"{number}: {exc}")
                return
            number += 1


def _serve(env: dict[str, str], log: Path) -> subprocess.Popen:
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable, "-m", "gunicorn", "manyi.wsgi:application",
            "--bind", f"127.0.0.1:{PORT}", "--workers", "2", "--access-logfile", "/dev/null",
            "--timeout", "600",  # a loaded machine boots workers slowly
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )  # fmt: skip
    deadline = time.monotonic() + 300  # a loaded CI machine imports Django slowly
    while time.monotonic() < deadline and server.poll() is None:
        try:
            # One patient request: the first one loads the URLconf and the API.
            with urllib.request.urlopen(  # noqa: S310
                f"http://127.0.0.1:{PORT}/login/", timeout=240
            ):
                return server
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    server.terminate()
    pytest.fail("the server did not start: " + log.read_text(errors="replace")[-2000:])


def _round_trip(tmp_path: Path, source_url: str | None, target_url: str | None) -> None:
    source = _env(tmp_path / "source", source_url)
    target = _env(tmp_path / "target", target_url)
    _migrate(source)
    made = json.loads(_python(source, SETUP))
    server = _serve(source, tmp_path / "server.log")
    writer = Writer(made["token"], made["case"])
    try:
        writer.start()
        while len(writer.acked) < 5 and writer.is_alive():
            time.sleep(0.05)
        before = len(writer.acked)
        archive = tmp_path / "backup.tar.gz"
        done = _manyi(source, "backup", str(archive))
        during = len(writer.acked) - before
        assert done.returncode == 0, done.stderr[-3000:]
        time.sleep(0.5)  # a few notes more after the snapshot
    finally:
        writer.stop.set()
        writer.join(timeout=30)
        server.terminate()
        server.wait(timeout=30)
    assert not writer.errors, writer.errors
    assert during > 0, "no write happened while the backup ran"

    restored = _manyi(target, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr[-3000:]
    # A database with data is not overwritten by accident.
    again = _manyi(target, "restore", str(archive))
    assert again.returncode != 0 and "--force" in again.stderr

    live = json.loads(_python(source, CHECKSUMS))
    copy = json.loads(_python(target, CHECKSUMS))
    assert set(copy) == set(live)
    for table, rows in live.items():
        kept = copy[table]
        changed = [pk for pk in kept if rows.get(pk) != kept[pk]]
        assert not changed, f"{table}: rows differ from the source: {changed[:5]}"
        missing = sorted(int(pk) for pk in set(rows) - set(kept))
        if missing:
            # Only the newest notes, written after the snapshot, are missing: no holes.
            assert table == "cases_caseevent", f"{table}: rows missing {missing[:5]}"
            assert missing[0] > max(int(pk) for pk in kept)
    notes = _python(
        target,
        "from manyi.cases.models import CaseEvent\n"
        "print(sorted(int(e.text.split()[1]) for e in CaseEvent.objects.filter(kind='note')))",
    )
    numbers = json.loads(notes)
    assert numbers == list(range(len(numbers))), "the restored notes have a hole"
    assert before <= len(numbers) <= len(writer.acked)
    photo = (tmp_path / "target" / "media" / "backup-test" / "photo.bin").read_bytes()
    assert photo == bytes(range(256)) * 40


def test_sqlite_backup_while_writing_restores_identical_data(tmp_path):
    _round_trip(tmp_path, None, None)


def _pg_urls() -> tuple[str, str, str]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("PostgreSQL round trip: run with DATABASE_URL naming a PostgreSQL database")
    parts = urlsplit(url)
    base = parts.path.lstrip("/") or "manyi"

    def named(name: str) -> str:
        return urlunsplit(parts._replace(path=f"/{name}"))

    return named("postgres"), named(f"{base}_backup_src"), named(f"{base}_backup_dst")


def test_postgresql_backup_while_writing_restores_identical_data(tmp_path):
    import psycopg

    admin, source, target = _pg_urls()
    names = [urlsplit(u).path.lstrip("/") for u in (source, target)]
    with psycopg.connect(admin, autocommit=True) as db:
        for name in names:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            db.execute(f'CREATE DATABASE "{name}"')
    try:
        _round_trip(tmp_path, source, target)
    finally:
        with psycopg.connect(admin, autocommit=True) as db:
            for name in names:
                db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
