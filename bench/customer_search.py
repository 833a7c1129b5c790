"""The customer search benchmark: ``python -m bench.customer_search --customers N``.

For each database asked for, a fresh database is made (SQLite: a file under ``--workdir``;
PostgreSQL: ``manyi_bench`` on the server of ``scripts/ensure-postgres.sh``), then a child
process migrates it, generates N customers (bench/generate.py) and times the search
(bench/measure.py). A child per database because Django reads its settings, and so its
database, once per process. The parent prints one table and writes the figures as JSON to
bench/results/ (git-ignored).

``--reuse`` keeps an existing benchmark database whose company already has customers and only
adds what is missing, so measuring again at 2,000,000 customers doesn't regenerate them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
BENCH_DB = "manyi_bench"
DATABASES = ("sqlite", "postgresql")
LABELS = {
    "pk_baseline": "pk baseline",
    "name_fragment": "name fragment",
    "phone_tail": "phone tail",
    "address_word": "address word",
}


# -- the parent: databases, children, the table ----------------------------------------------


def postgres_server_url(explicit: str | None) -> str:
    """The URL of a PostgreSQL server to create the bench database on.

    ``--postgres-url``, else a PostgreSQL ``DATABASE_URL`` from the environment (as
    ``make test-postgres`` sets it), else the project's own test server, started on demand.
    """
    if explicit:
        return explicit
    current = os.environ.get("DATABASE_URL", "")
    if current.startswith(("postgres://", "postgresql://")):
        return current
    bash = shutil.which("bash") or "/bin/bash"
    script = ROOT / "scripts" / "ensure-postgres.sh"
    # Our own script on loopback; it prints `export DATABASE_URL=…`.
    out = subprocess.run(  # noqa: S603
        [bash, str(script)], check=True, capture_output=True, text=True
    ).stdout
    found = re.search(r"DATABASE_URL=(\S+)", out)
    if not found:
        raise SystemExit(f"{script} printed no DATABASE_URL: {out!r}")
    return found.group(1)


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def prepare_postgresql(server_url: str, *, reuse: bool) -> str:
    """Create (or, unless reusing, drop and recreate) the bench database; returns its URL."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(server_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone()
        if exists and not reuse:
            # Not WITH (FORCE): that must signal every backend, and an autovacuum worker is the
            # superuser's; a plain DROP ends autovacuum on the database by itself.
            conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(BENCH_DB)))
        if not exists or not reuse:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB)))
    return _with_database(server_url, BENCH_DB)


def prepare_sqlite(workdir: Path, *, reuse: bool) -> str:
    """The bench SQLite file (removed first unless reusing); returns its URL."""
    workdir.mkdir(parents=True, exist_ok=True)
    path = (workdir / "customers.sqlite3").resolve()
    if not reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def machine() -> dict[str, Any]:
    """What the figures were measured on (absolute times only mean something with this)."""
    info: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8")
        model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
        info["cpu"] = model.group(1).strip() if model else ""
        meminfo = Path("/proc/meminfo").read_text(encoding="utf-8")
        total = re.search(r"MemTotal:\s*(\d+) kB", meminfo)
        info["memory_gib"] = round(int(total.group(1)) / 2**20, 1) if total else None
    except OSError:
        pass
    return info


def source_version() -> dict[str, Any]:
    """The commit measured, and whether the app's code differed from it (figures need both)."""
    git = shutil.which("git")
    if not git:
        return {}
    try:
        # Read-only git queries on this repository.
        commit = subprocess.run(  # noqa: S603
            [git, "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        changed = subprocess.run(  # noqa: S603
            [git, "status", "--porcelain", "--", "manyi"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return {}
    return {"commit": commit, "app_modified": bool(changed)}


def run_child(database: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run one database's benchmark in a child process; returns its report."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        output = Path(handle.name)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "MANYI_DATA": str(args.workdir.resolve()),
        "DJANGO_SETTINGS_MODULE": "manyi.settings",
    }
    command = [
        sys.executable, "-m", "bench.customer_search", "--worker", database,
        "--customers", str(args.customers), "--queries", str(args.queries),
        "--seed", str(args.seed), "--output", str(output),
    ]  # fmt: skip
    try:
        # Our own module, by the running interpreter: no shell, no outside input.
        subprocess.run(command, check=True, cwd=ROOT, env=env)  # noqa: S603
        return json.loads(output.read_text(encoding="utf-8"))
    finally:
        output.unlink(missing_ok=True)


def format_table(reports: list[dict[str, Any]]) -> str:
    """The figures as a fixed-width table, one row per database and measure."""
    header = (
        f"{'database':<11} {'customers':>10} {'measure':<14} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'p50/pk':>7} {'missing':>7}"
    )
    lines = [header, "-" * len(header)]
    for report in reports:
        for measure, figures in report["measures"].items():
            missing = figures.get("missing")
            lines.append(
                f"{report['database']:<11} {report['customers']:>10,} {LABELS[measure]:<14} "
                f"{figures['p50']:>8.2f} {figures['p95']:>8.2f} {figures['p99']:>8.2f} "
                f"{figures['ratio_p50']:>6.1f}× {'' if missing is None else missing:>7}"
            )
        gen = report["generation"]
        if gen["inserted"]:
            lines.append(
                f"{'':<11} generated {gen['inserted']:,} customers in {gen['seconds']:.0f} s "
                f"({gen['rows_per_second']:,.0f} rows/s, of which search index "
                f"{gen.get('index_seconds', 0):.0f} s); database {report['size_mb']:,.0f} MB"
            )
        else:
            lines.append(f"{'':<11} reused {gen['total']:,} customers")
    return "\n".join(lines)


def parent(args: argparse.Namespace) -> int:
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    unknown = set(databases) - set(DATABASES)
    if unknown:
        raise SystemExit(f"unknown database(s): {', '.join(sorted(unknown))}")
    source = source_version()  # before the run: commits may land while it goes on
    reports = []
    for database in databases:
        print(f"== {database}: {args.customers:,} customers", file=sys.stderr, flush=True)
        if database == "postgresql":
            url = prepare_postgresql(postgres_server_url(args.postgres_url), reuse=args.reuse)
        else:
            url = prepare_sqlite(args.workdir, reuse=args.reuse)
        reports.append(run_child(database, url, args))
    table = format_table(reports)
    print(table)
    args.results.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = args.results / f"customer_search-{args.customers}-{stamp}.json"
    result = {
        "benchmark": "customer_search",
        "source": source,
        "machine": machine(),
        "runs": reports,
    }
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"figures written to {path}", file=sys.stderr)
    return 0


# -- the child: one database ------------------------------------------------------------------


def child(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench import generate, measure

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrated = time.perf_counter() - started
    print(f"  migrated in {migrated:.1f} s", file=sys.stderr, flush=True)

    result = generate.generate(args.customers, seed=args.seed, progress=True)
    print(
        f"  {result.total:,} customers ({result.inserted:,} inserted in {result.seconds:.1f} s)",
        file=sys.stderr,
        flush=True,
    )
    # The load average beside the figures: on a shared 2-core machine other work slows every
    # measure alike, which the ratios to the baseline absorb and the absolute times don't.
    load_before = os.getloadavg()
    report = measure.run(result.org, queries=args.queries, seed=args.seed, plans=True)
    load_after = os.getloadavg()

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database()), version()")
            size, version = cursor.fetchone()
        else:
            cursor.execute("SELECT sqlite_version()")
            (version,) = cursor.fetchone()
            size = Path(connection.settings_dict["NAME"]).stat().st_size
    report.update(
        database=args.worker,
        version=version,
        customers=result.total,
        size_mb=size / 2**20,
        load_average={"before": load_before, "after": load_after},
        generation={
            "inserted": result.inserted,
            "total": result.total,
            "seconds": result.seconds,
            "index_seconds": result.index_seconds,
            "rows_per_second": result.rows_per_second,
        },
    )
    Path(args.output).write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200_000, help="customers to generate")
    parser.add_argument(
        "--databases", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql"
    )
    parser.add_argument("--queries", type=int, default=200, help="timed queries per measure")
    parser.add_argument("--seed", type=int, default=20261122, help="random seed of data/samples")
    parser.add_argument(
        "--reuse", action="store_true", help="keep an existing bench database, add what's missing"
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(os.environ.get("MANYI_DATA", ROOT / "var")) / "bench",
        help="where the SQLite file and the child's data directory go",
    )
    parser.add_argument("--postgres-url", help="server to create manyi_bench on")
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder for the JSON figures")
    parser.add_argument("--worker", choices=DATABASES, help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.customers < 1 or args.queries < 1:
        raise SystemExit("--customers and --queries must be positive")
    return child(args) if args.worker else parent(args)


if __name__ == "__main__":
    sys.exit(main())
