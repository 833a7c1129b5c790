"""Backup and restore of an installation: the database and the uploaded files, one archive.

The archive is a gzipped tar holding ``manifest.json`` (format, engine, time, row counts), the
database — a SQLite copy made with SQLite's online backup, or a ``pg_dump -Fc`` of PostgreSQL —
and ``media/…``, every file of Django's default storage. Both database copies are consistent
while the server keeps writing: SQLite's backup reads one snapshot (WAL lets writers go on),
pg_dump reads in one repeatable-read transaction.

Restore refuses a database that already holds data unless forced; it replaces the database
(SQLite's backup API into the live file; ``pg_restore --clean`` in one transaction) and puts the
files back through the storage API.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, connections
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manyi.errors import Conflict, InvalidInput, interpolate

FORMAT = "manyi-backup/1"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"


@dataclass
class BackupResult:
    """What a backup or a restore handled."""

    path: Path
    engine: str
    tables: int = 0
    rows: int = 0
    files: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def engine() -> str:
    """ "sqlite" or "postgresql": the default database's engine."""
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise InvalidInput(
            interpolate(_("Backups support SQLite and PostgreSQL, not %(v)s."), {"v": vendor})
        )
    return vendor


def row_counts() -> dict[str, int]:
    """Rows per table of every installed model (the manifest's, and a quick check after restore)."""
    counts = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            counts[model._meta.db_table] = model._default_manager.count()
    return counts


def checksums() -> dict[str, dict[str, str]]:
    """Per table, a hash of every row by primary key: two databases with equal checksums hold
    the same data."""
    result: dict[str, dict[str, str]] = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if not meta.managed or meta.proxy or meta.db_table in result:
            continue
        columns = [f.attname for f in meta.concrete_fields]
        rows = {}
        for values in model._default_manager.order_by("pk").values_list(*columns).iterator():
            row = dict(zip(columns, values, strict=True))
            rows[str(row[meta.pk.attname])] = hashlib.sha256(
                json.dumps(row, default=_plain, sort_keys=True).encode()
            ).hexdigest()
        result[meta.db_table] = rows
    return result


def _plain(value: Any) -> str:
    if isinstance(value, bytes | memoryview):
        return hashlib.sha256(bytes(value)).hexdigest()
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return str(value)


def has_data() -> bool:
    """Whether the database holds an installation's data (users or units), not just the schema."""
    from django.contrib.auth import get_user_model

    from manyi.org.models import Unit

    try:
        return get_user_model().objects.exists() or Unit.objects.exists()
    except DatabaseError:
        return False  # no tables yet


# -- backup ---------------------------------------------------------------------------------------


def backup(path: Path, *, media: bool = True) -> BackupResult:
    """Write the archive at ``path`` (a new file; its folder must exist)."""
    kind = engine()
    path = Path(path)
    if path.exists():
        raise Conflict(interpolate(_("%(path)s exists; choose a new file."), {"path": str(path)}))
    result = BackupResult(path=path, engine=kind)
    with tempfile.TemporaryDirectory(prefix="manyi-backup-") as tmp:
        dump = Path(tmp) / (SQLITE_MEMBER if kind == "sqlite" else PG_MEMBER)
        if kind == "sqlite":
            _sqlite_backup(dump)
            result.counts = _sqlite_counts(dump)
        else:
            _pg_dump(dump)
        partial = path.with_name(path.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(dump, arcname=dump.name)
            if media:
                for name in _storage_files():
                    with default_storage.open(name, "rb") as handle:
                        data = handle.read()
                    _add_bytes(archive, f"media/{name}", data)
                    result.files += 1
            manifest = {
                "format": FORMAT,
                "engine": kind,
                "created_at": timezone.now().isoformat(),
                "database": dump.name,
                "files": result.files,
                "counts": result.counts,
            }
            _add_bytes(archive, "manifest.json", json.dumps(manifest, indent=1).encode())
        partial.replace(path)  # the archive appears whole or not at all
    result.tables = len(result.counts)
    result.rows = sum(result.counts.values())
    return result


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    archive.addfile(info, io.BytesIO(data))


def _storage_files(folder: str = "") -> Iterator[str]:
    """Every file of the default storage, through the storage API (works for remote storages)."""
    try:
        folders, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(folders):
        yield from _storage_files(f"{folder}/{sub}" if folder else sub)


def _sqlite_path() -> str:
    name = str(settings.DATABASES["default"]["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        raise InvalidInput(_("An in-memory database cannot be backed up."))
    return name


def _sqlite_backup(target: Path) -> None:
    # SQLite's online backup copies one consistent snapshot; with WAL the server's writers go
    # on meanwhile (and a reader never blocks them).
    source = sqlite3.connect(_sqlite_path(), timeout=30)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()


def _sqlite_counts(path: Path) -> dict[str, int]:
    tables = set(row_counts())  # the project's tables
    db = sqlite3.connect(path)
    try:
        present = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return {
            table: db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]  # noqa: S608
            for table in sorted(tables & present)
        }
    finally:
        db.close()


def _pg_env() -> tuple[dict[str, str], str]:
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if db.get(key):
            env[var] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env, str(db["NAME"])


def _pg_tool(name: str) -> str:
    """The client tool matching the server's major version when several are installed."""
    connection.ensure_connection()
    major = connection.connection.info.server_version // 10000
    versioned = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    if versioned.exists():
        return str(versioned)
    found = shutil.which(name)
    if found is None:
        raise InvalidInput(
            interpolate(
                _("%(tool)s is missing: install postgresql-client (version %(major)s)."),
                {"tool": name, "major": major},
            )
        )
    return found


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise InvalidInput(
            interpolate(
                _("%(tool)s failed: %(error)s"),
                {"tool": Path(command[0]).name, "error": done.stderr.strip()[-500:]},
            )
        )


def _pg_dump(target: Path) -> None:
    env, name = _pg_env()
    # One repeatable-read snapshot: consistent while the server writes.
    _run([_pg_tool("pg_dump"), "-Fc", "--no-owner", "--no-acl", "-f", str(target), name], env)


# -- restore --------------------------------------------------------------------------------------


def read_manifest(path: Path) -> dict[str, Any]:
    """The archive's manifest (refuses what is not a manyi backup)."""
    try:
        with tarfile.open(path, "r:gz") as archive:
            member = archive.extractfile("manifest.json")
            manifest = json.loads(member.read()) if member else {}
    except (OSError, tarfile.TarError, KeyError, ValueError) as exc:
        raise InvalidInput(_("This file is not a manyi backup.")) from exc
    if manifest.get("format") != FORMAT:
        raise InvalidInput(_("This file is not a manyi backup."))
    return manifest


def restore(path: Path, *, force: bool = False) -> BackupResult:
    """Replace the database and the files with the archive's; refuses a database with data
    unless ``force``."""
    path = Path(path)
    manifest = read_manifest(path)
    kind = engine()
    if manifest["engine"] != kind:
        raise InvalidInput(
            interpolate(
                _("This backup is of a %(backup)s database; this installation uses %(here)s."),
                {"backup": manifest["engine"], "here": kind},
            )
        )
    if has_data() and not force:
        raise Conflict(_("The database already holds data. Restore with --force to replace it."))
    result = BackupResult(path=path, engine=kind)
    with tempfile.TemporaryDirectory(prefix="manyi-restore-") as tmp, tarfile.open(path) as archive:
        database = manifest["database"]
        archive.extract(database, tmp, filter="data")
        dump = Path(tmp) / database
        connections.close_all()
        if kind == "sqlite":
            _sqlite_restore(dump)
        else:
            _pg_restore(dump)
        for member in archive.getmembers():
            if member.isfile() and member.name.startswith("media/"):
                name = member.name.removeprefix("media/")
                handle = archive.extractfile(member)
                if handle is None:
                    continue
                if default_storage.exists(name):
                    default_storage.delete(name)
                default_storage.save(name, ContentFile(handle.read()))
                result.files += 1
    result.counts = row_counts()
    result.tables = len(result.counts)
    result.rows = sum(result.counts.values())
    return result


def _sqlite_restore(dump: Path) -> None:
    # Into the live file with the backup API: the server's connections see the new content at
    # their next transaction (the copy holds the write lock while it runs).
    source = sqlite3.connect(dump)
    try:
        live = sqlite3.connect(_sqlite_path(), timeout=30)
        try:
            source.backup(live)
        finally:
            live.close()
    finally:
        source.close()


def _pg_restore(dump: Path) -> None:
    env, name = _pg_env()
    _run(
        [
            _pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-acl",
            "--single-transaction",
            "--exit-on-error",
            "-d",
            name,
            str(dump),
        ],
        env,
    )
