"""The case engine under load: ``python -m bench.case_engine --cases 1000000``.

For each database asked for, through the production server (``manyi serve``, gunicorn, on
127.0.0.1 only) and its API, with a bounded load generator on loopback (threads, one
``http.client`` connection per request, a fixed number of seconds and of requests):

- **empty**: ``POST /api/v1/work-orders`` (intake by a front-line clerk) on a database with the
  organisation and customers but no case;
- **full**: the same after N cases were loaded (bench/generate_cases.py), then the department
  queue's first page ``GET /api/v1/cases`` (as the department head) and a technician's list
  ``GET /api/v1/cases/mine`` (as the busiest technician);
- beside each, the baseline ``GET /api/v1/me`` with the same token and concurrency, measured in
  the same run just before (ratio = p50 / baseline p50, throughput / baseline throughput).

After each load it checks, in the database: every 201 response's case exists exactly once with
the number the response gave, no case was created without a 201, and the run's numbers are
unique and gapless, continuing the counter. The figures go to bench/results/ as JSON
(git-ignored). Setup, checks and the bulk load run in child processes (Django reads its
database settings once per process); the parent only speaks HTTP.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.customer_search import (
    ROOT,
    _with_database,
    machine,
    postgres_server_url,
    source_version,
)
from bench.load import HOST, Load, Server, percentile  # noqa: F401 - the benches' shared names

RESULTS = Path(__file__).resolve().parent / "results"
BENCH_DB = "manyi_bench_cases"
DATABASES = ("sqlite", "postgresql")
API = "/api/v1"


# -- the load (bench/load.py) ---------------------------------------------------------------


def _case_created(status: int, raw: bytes, _path: str) -> dict[str, Any] | None:
    """What a 201 of an intake acknowledged: the case's id and number."""
    if status != 201:
        return None
    case = json.loads(raw)["case"]
    return {"id": case["id"], "number": case["number"]}


def _load(port: int, token: str, method: str, path: str, **options: Any) -> Load:
    """The shared load generator with the token's Authorization header."""
    return Load(
        port, method, path, headers={"Authorization": f"Bearer {token}"},
        created=_case_created, timeout=30.0, **options,
    )  # fmt: skip


def measure_pair(
    port: int,
    token: str,
    path: str,
    *,
    method: str = "GET",
    body: Any = None,
    args: argparse.Namespace,
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """The baseline (GET /me, same token and concurrency), then the measure; with ratios."""
    common = {
        "concurrency": args.concurrency,
        "seconds": args.seconds,
        "limit": args.max_requests,
    }
    baseline = _load(port, token, "GET", f"{API}/me", **common).run(warmup=args.warmup)
    load = _load(port, token, method, path, body=body, **common)
    figures = load.run(warmup=0.0 if method == "POST" else args.warmup)
    figures["ratio_p50"] = figures["p50"] / baseline["p50"] if baseline["p50"] else 0.0
    figures["ratio_p95"] = figures["p95"] / baseline["p95"] if baseline["p95"] else 0.0
    figures["ratio_rate"] = (
        figures["per_second"] / baseline["per_second"] if baseline["per_second"] else 0.0
    )
    return baseline, figures, load.created


# -- children (Django, one database) ----------------------------------------------------------


def run_child(step: str, env: dict[str, str], args: argparse.Namespace, **extra: Any) -> Any:
    """Run one step in a child process with the database's environment; returns its JSON."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        output = Path(handle.name)
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False, mode="w") as handle:
        json.dump(extra, handle)
        given = Path(handle.name)
    command = [
        sys.executable, "-m", "bench.case_engine", "--step", step, "--cases", str(args.cases),
        "--seed", str(args.seed), "--customers", str(args.customers),
        "--input", str(given), "--output", str(output),
    ]  # fmt: skip
    try:
        # Our own module, by the running interpreter: no shell, no outside input.
        subprocess.run(command, check=True, cwd=ROOT, env=env)  # noqa: S603
        return json.loads(output.read_text(encoding="utf-8"))
    finally:
        output.unlink(missing_ok=True)
        given.unlink(missing_ok=True)


def _counter_value() -> int:
    from django.utils import timezone

    from manyi import clock
    from manyi.cases.models import CaseCounter
    from manyi.workorders.workflow import KIND

    year = timezone.localtime(clock.now()).year
    counter = CaseCounter.objects.filter(kind=KIND, year=year).first()
    return counter.value if counter else 0


def _max_case_id() -> int:
    from manyi.cases.models import Case

    return Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _token(user, name: str) -> str:
    from manyi.org.actions import create_api_token

    return create_api_token(user=user, name=name)[1]


def step_setup(args: argparse.Namespace, given: dict[str, Any]) -> dict[str, Any]:
    """Migrate; the organisation and customers; no case; tokens of the clerk and the head."""
    from bench import generate_cases
    from manyi.customers.models import Customer

    started = time.perf_counter()
    customers = args.customers or max(1_000, args.cases // 5)
    from bench import generate

    generate.generate(customers, progress=True)
    org = generate_cases.ensure_case_org(args.cases)
    generate_cases.remove_cases(org)
    outlet = org.outlets[0]
    clerk = org.clerks[outlet.pk]
    ids = list(
        Customer.objects.filter(home_outlet=outlet).order_by("pk").values_list("pk", flat=True)
    )
    sample = random.Random(args.seed).sample(ids, min(len(ids), 5_000))
    return {
        "customers": customers,
        "seconds": time.perf_counter() - started,
        "clerk_token": _token(clerk.user, "bench clerk"),
        "head_token": _token(org.head, "bench head"),
        "customer_ids": sample,
        "counter": _counter_value(),
        "max_id": _max_case_id(),
        "technicians": sum(len(t) for t in org.technicians.values()),
    }


def check_created(created: list[dict[str, Any]], counter: int, max_id: int) -> dict[str, Any]:
    """Every 201 is one case with its number; nothing else was created; numbers gapless."""
    from django.db.models import Count

    from manyi.cases.models import Case, CaseEvent
    from manyi.workorders.models import WorkOrder

    ids = [c["id"] for c in created]
    found = dict(Case.objects.filter(pk__in=ids).values_list("pk", "number"))
    after = list(Case.objects.filter(pk__gt=max_id).values_list("pk", "number"))
    numbers = [n for _pk, n in after]
    seqs = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    expected = list(range(counter + 1, counter + len(created) + 1))
    orders = WorkOrder.objects.filter(case_id__in=ids).count()
    opened = (
        CaseEvent.objects.filter(case_id__in=ids, kind="opened")
        .values("case_id")
        .annotate(n=Count("id"))
        .filter(n=1)
        .count()
    )
    problems = {
        "duplicate_responses": len(ids) - len(set(ids)),
        "missing": sum(1 for c in created if c["id"] not in found),
        "wrong_number": sum(1 for c in created if found.get(c["id"], c["number"]) != c["number"]),
        "without_201": len(after) - len(set(ids)),
        "duplicate_numbers": len(numbers) - len(set(numbers)),
        "not_gapless": int(seqs != expected),
        "counter_off": _counter_value() - (counter + len(created)),
        "missing_work_orders": len(set(ids)) - orders,
        "missing_opened_events": len(set(ids)) - opened,
    }
    return {"created": len(created), "first": counter + 1, "last": counter + len(created),
            "problems": problems, "ok": not any(problems.values())}  # fmt: skip


def step_check_and_load(args: argparse.Namespace, given: dict[str, Any]) -> dict[str, Any]:
    """Check the empty run's creations, remove them, load N cases, a technician's token."""
    from django.db import connection
    from django.db.models import Count

    from bench import generate_cases
    from manyi.cases.models import Case

    check = check_created(given["created"], given["counter"], given["max_id"])
    org = generate_cases.ensure_case_org(args.cases)
    removed = generate_cases.remove_cases(org)
    result = generate_cases.generate_cases(
        args.cases, customers=given["customers"], seed=args.seed, progress=True
    )
    busiest = (
        Case.objects.filter(company=org.company, closed_at__isnull=True, assignee__isnull=False)
        .values("assignee")
        .annotate(n=Count("id"))
        .order_by("-n", "assignee")
        .first()
    )
    tech = next(t for ts in org.technicians.values() for t in ts if t.pk == busiest["assignee"])
    open_cases = Case.objects.filter(company=org.company, closed_at__isnull=True).count()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database()), version()")
            size, version = cursor.fetchone()
        else:
            cursor.execute("SELECT sqlite_version()")
            (version,) = cursor.fetchone()
            size = Path(connection.settings_dict["NAME"]).stat().st_size
    return {
        "check_empty": check,
        "removed": removed,
        "generation": {
            "cases": result.total,
            "seconds": result.seconds,
            "analyze_seconds": result.analyze_seconds,
            "rows_per_second": result.rows_per_second,
            "stages": result.stages,
            "overdue": result.overdue,
            "open": open_cases,
        },
        "technician_open_cases": busiest["n"],
        "tech_token": _token(tech.user, "bench technician"),
        "counter": _counter_value(),
        "max_id": _max_case_id(),
        "size_mb": size / 2**20,
        "version": version,
    }


def step_check(args: argparse.Namespace, given: dict[str, Any]) -> dict[str, Any]:
    return check_created(given["created"], given["counter"], given["max_id"])


STEPS = {"setup": step_setup, "check_and_load": step_check_and_load, "check": step_check}


def child(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.management import call_command

    # Every step migrates first (a no-op when current): the app may gain a migration between
    # two steps of a long run.
    call_command("migrate", verbosity=0, interactive=False)
    given = json.loads(Path(args.input).read_text(encoding="utf-8"))
    result = STEPS[args.step](args, given)
    Path(args.output).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return 0


# -- the parent -------------------------------------------------------------------------------


def prepare_postgresql(server_url: str) -> str:
    import psycopg
    from psycopg import sql

    with psycopg.connect(server_url, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone():
            conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(BENCH_DB)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB)))
    return _with_database(server_url, BENCH_DB)


def prepare_sqlite(workdir: Path) -> str:
    workdir.mkdir(parents=True, exist_ok=True)
    path = (workdir / "cases.sqlite3").resolve()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def work_order_body(customer_ids: list[int]):
    def body(rng: random.Random) -> dict[str, Any]:
        return {
            "customer_id": rng.choice(customer_ids),
            "products": "立邦净味五合一 5L×2",
            "installer_name": "刘师傅",
            "planned_start": (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=3)).isoformat(),
        }

    return body


def run_database(database: str, args: argparse.Namespace) -> dict[str, Any]:
    print(f"== {database}: {args.cases:,} cases", file=sys.stderr, flush=True)
    if database == "postgresql":
        url = prepare_postgresql(postgres_server_url(args.postgres_url))
    else:
        url = prepare_sqlite(args.workdir)
    data = (args.workdir / f"data-{database}").resolve()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "MANYI_DATA": str(data),
        "DJANGO_SETTINGS_MODULE": "manyi.settings",
    }
    log = args.workdir / f"serve-{database}.log"
    report: dict[str, Any] = {"database": database, "cases": args.cases, "load_average": {}}
    setup = run_child("setup", env, args)
    report["customers"] = setup["customers"]
    report["technicians"] = setup["technicians"]
    body = work_order_body(setup["customer_ids"])
    clerk, head = setup["clerk_token"], setup["head_token"]
    measures: dict[str, Any] = {}

    print("  empty database: creations", file=sys.stderr, flush=True)
    report["load_average"]["empty"] = os.getloadavg()
    with Server(env, args.workers, log) as server:
        server.wait_ready(clerk)
        base, create, created = measure_pair(
            server.port, clerk, f"{API}/work-orders", method="POST", body=body, args=args
        )
    measures["create_empty"] = {"baseline": base, "measure": create}
    loaded = run_child(
        "check_and_load",
        env,
        args,
        created=created,
        counter=setup["counter"],
        max_id=setup["max_id"],
        customers=setup["customers"],
    )
    report.update(
        check_empty=loaded["check_empty"],
        generation=loaded["generation"],
        technician_open_cases=loaded["technician_open_cases"],
        size_mb=loaded["size_mb"],
        version=loaded["version"],
    )

    print(f"  {args.cases:,} cases: creations, queue, my jobs", file=sys.stderr, flush=True)
    report["load_average"]["full"] = os.getloadavg()
    with Server(env, args.workers, log) as server:
        server.wait_ready(clerk)
        base, create, created = measure_pair(
            server.port, clerk, f"{API}/work-orders", method="POST", body=body, args=args
        )
        measures["create_full"] = {"baseline": base, "measure": create}
        base, queue, _ = measure_pair(server.port, head, f"{API}/cases", args=args)
        measures["queue_full"] = {"baseline": base, "measure": queue}
        tech = loaded["tech_token"]
        base, mine, _ = measure_pair(server.port, tech, f"{API}/cases/mine", args=args)
        measures["mine_full"] = {"baseline": base, "measure": mine}
    report["load_average"]["after"] = os.getloadavg()
    report["check_full"] = run_child(
        "check", env, args, created=created, counter=loaded["counter"], max_id=loaded["max_id"]
    )
    report["measures"] = measures
    return report


LABELS = {
    "create_empty": "create, empty",
    "create_full": "create, full",
    "queue_full": "queue, full",
    "mine_full": "mine, full",
}


def format_table(reports: list[dict[str, Any]]) -> str:
    header = (
        f"{'database':<11} {'measure':<14} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'base req/s':>10} {'base p50':>8} {'base p95':>8} {'p50/base':>8} {'errors':>6}"
    )
    lines = [header, "-" * len(header)]
    for report in reports:
        for name, pair in report["measures"].items():
            m, b = pair["measure"], pair["baseline"]
            lines.append(
                f"{report['database']:<11} {LABELS[name]:<14} {m['per_second']:>8.1f} "
                f"{m['p50']:>8.1f} {m['p95']:>8.1f} {b['per_second']:>10.1f} {b['p50']:>8.1f} "
                f"{b['p95']:>8.1f} {m['ratio_p50']:>7.1f}× {m['requests'] - m['ok']:>6}"
            )
        gen = report["generation"]
        lines.append(
            f"{'':<11} {gen['cases']:,} cases loaded in {gen['seconds']:.0f} s "
            f"({gen['rows_per_second']:,.0f}/s), {gen['open']:,} open; database "
            f"{report['size_mb']:,.0f} MB; checks: empty "
            f"{'ok' if report['check_empty']['ok'] else report['check_empty']['problems']}, full "
            f"{'ok' if report['check_full']['ok'] else report['check_full']['problems']}"
        )
    return "\n".join(lines)


def parent(args: argparse.Namespace) -> int:
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    unknown = set(databases) - set(DATABASES)
    if unknown:
        raise SystemExit(f"unknown database(s): {', '.join(sorted(unknown))}")
    source = source_version()
    started = dt.datetime.now(dt.UTC)
    reports = [run_database(database, args) for database in databases]
    table = format_table(reports)
    print(table)
    args.results.mkdir(parents=True, exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    path = args.results / f"case_engine-{args.cases}-{stamp}.json"
    result = {
        "benchmark": "case_engine",
        "source": source,
        "machine": machine(),
        "started": started.isoformat(),
        "options": {
            "seconds": args.seconds,
            "concurrency": args.concurrency,
            "workers": args.workers,
            "max_requests": args.max_requests,
        },
        "runs": reports,
    }
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"figures written to {path}", file=sys.stderr)
    ok = all(r["check_empty"]["ok"] and r["check_full"]["ok"] for r in reports)
    return 0 if ok else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases to load")
    parser.add_argument("--customers", type=int, default=0, help="default: cases / 5")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=float, default=20.0, help="per measure")
    parser.add_argument("--warmup", type=float, default=2.0, help="unrecorded seconds first")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--max-requests", type=int, default=100_000, help="per measure")
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(os.environ.get("MANYI_DATA", ROOT / "var")) / "bench",
        help="the SQLite file, the server's data directory and logs",
    )
    parser.add_argument("--postgres-url", help=f"server to create {BENCH_DB} on")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.cases < 1 or args.seconds <= 0 or args.concurrency < 1:
        raise SystemExit("--cases, --seconds and --concurrency must be positive")
    return child(args) if args.step else parent(args)


if __name__ == "__main__":
    sys.exit(main())
