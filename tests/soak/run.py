"""Soak and crash runs against the production server: ``python -m tests.soak.run --help``.

What runs, all on loopback and all started (and stopped, by process group) here:

- gunicorn with ``--workers`` sync workers (the production server, ``manyi.wsgi``);
- the task worker(s): ``manage.py db_worker`` (django-tasks-db) or, with ``--tasks rq``,
  ``manage.py rqworker`` on a private Redis (scripts/ensure-redis.sh);
- the ticker (periodic work: SLA sweeps, the notification sweep);
- a bounded load generator (bench/load.py, ``--clients`` threads) with a realistic mix:
  survey answers on their public links, work-order intake, work orders moved along their
  workflow (assign, dispatch, call, first visit, contacted, visit, hand in), complaint intake
  (each acknowledged to the customer by SMS through the task worker), API lists and the queue
  page.

Every acknowledged write (the ids and numbers the server answered) is recorded; after the load
and once the worker has caught up, tests/soak/site.py checks each is in the database exactly
once, nothing half-written, counters and timelines consistent, messages delivered and the
rollups equal to a recompute. With ``--crash N`` the server and the worker are killed with
SIGKILL N times mid-load and restarted. Figures (throughput, p50/p95/p99 per operation) go to
``--report`` as JSON and markdown.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.load import (
    API,
    HOST,
    ROOT,
    Mix,
    Operation,
    Request,
    format_figures,
    server_errors,
    wait_ready,
)

PORT = int(os.environ.get("MANYI_SOAK_PORT", "8107"))
PG_DATABASE = "manyi_soak"
PG_TEMPLATE = "manyi_soak_template"
REDIS_DB = 5  # of the private Redis on 127.0.0.1:63799; flushed at the start of a run


def default_seconds() -> float:
    """``MANYI_SOAK_SECONDS``, else 20 s (the shortened run of ``make test``)."""
    return float(os.environ.get("MANYI_SOAK_SECONDS", "20"))


# -- the Django side, in children ---------------------------------------------------------------


def site(step: str, env: dict[str, str], given: dict[str, Any]) -> dict[str, Any]:
    """Run one step of tests/soak/site.py in a child with the server's environment."""
    with tempfile.TemporaryDirectory() as tmp:
        given_path, output = Path(tmp) / "in.json", Path(tmp) / "out.json"
        given_path.write_text(json.dumps(given, ensure_ascii=False), encoding="utf-8")
        # Our own module, by the running interpreter: no shell, no outside input.
        subprocess.run(  # noqa: S603
            [sys.executable, "-m", "tests.soak.site", step, str(given_path), str(output)],
            check=True,
            cwd=ROOT,
            env=env,
        )
        return json.loads(output.read_text(encoding="utf-8"))


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "django", *args], check=True, cwd=ROOT, env=env
    )


# -- the processes ------------------------------------------------------------------------------


class Cluster:
    """gunicorn, the task worker(s) and the ticker, each in its own process group (session),
    so that a kill reaches a master and its workers and nothing this class did not start."""

    def __init__(
        self, env: dict[str, str], *, workers: int, task_workers: int, tasks: str, logs: Path
    ):
        self.env, self.workers, self.task_workers, self.tasks = env, workers, task_workers, tasks
        self.logs = logs
        self.procs: dict[str, subprocess.Popen] = {}
        self.starts = 0

    def commands(self) -> dict[str, list[str]]:
        py = sys.executable
        gunicorn = [
            py, "-m", "gunicorn", "manyi.wsgi:application", "--bind", f"{HOST}:{PORT}",
            "--workers", str(self.workers), "--worker-class", "sync", "--timeout", "120",
            "--access-logfile", "/dev/null",
        ]  # fmt: skip
        if self.tasks == "rq":
            worker = [py, "-m", "django", "rqworker", "--job-class", "django_tasks_rq.Job",
                      "default"]  # fmt: skip
        else:
            worker = [py, "-m", "django", "db_worker", "--queue-name", "*", "--no-reload",
                      "-v", "0"]  # fmt: skip
        commands = {"gunicorn": gunicorn, "ticker": [py, "-m", "django", "ticker"]}
        for n in range(self.task_workers):
            commands[f"worker{n + 1}"] = worker
        return commands

    def start(self, token: str) -> None:
        self.starts += 1
        self.logs.mkdir(parents=True, exist_ok=True)
        for name, command in self.commands().items():
            with (self.logs / f"{name}.log").open("ab") as log:
                # Our own commands, fixed arguments; a new session = its own process group.
                self.procs[name] = subprocess.Popen(  # noqa: S603
                    command,
                    cwd=ROOT,
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        gunicorn = self.procs["gunicorn"]
        wait_ready(PORT, token, alive=lambda: gunicorn.poll() is None, log=self.logs, timeout=120)

    def _signal(self, signum: int) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signum)  # the group this class created, nothing else
                except ProcessLookupError:
                    pass

    def kill(self) -> None:
        """SIGKILL: the server (master and workers), the task workers and the ticker."""
        self._signal(signal.SIGKILL)
        for proc in self.procs.values():
            proc.wait()
        self.procs.clear()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL whatever is left after 20 s."""
        self._signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        self.kill()


# -- the client's record of acknowledged writes ------------------------------------------------


class Acks:
    """What the server acknowledged, and how many writes got no answer (may or may not exist)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.work_orders: list[dict] = []
        self.complaints: list[dict] = []
        self.responses: list[dict] = []
        self.events: list[dict] = []
        self.moves: list[dict] = []
        self.cases: dict[int, dict] = {}
        self.unanswered: collections.Counter = collections.Counter()

    def count(self) -> int:
        """How many writes were acknowledged so far."""
        with self.lock:
            kept = (self.work_orders, self.complaints, self.responses, self.events, self.moves)
            return sum(len(x) for x in kept)

    def as_json(self) -> dict[str, Any]:
        with self.lock:
            return {
                "work_orders": list(self.work_orders),
                "complaints": list(self.complaints),
                "responses": list(self.responses),
                "events": list(self.events),
                "moves": list(self.moves),
                "cases": {str(k): dict(v) for k, v in self.cases.items()},
                "unanswered": dict(self.unanswered),
            }


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


class SurveyAnswer(Operation):
    """A customer answers the CSI survey on their link (public, no login)."""

    name, weight = "survey_answer", 4

    def __init__(self, seed: dict[str, Any], acks: Acks):
        self.links = collections.deque(seed["links"])
        self.bodies = seed["bodies"]
        self.acks = acks

    def next(self, rng):
        try:
            token = self.links.popleft()
        except IndexError:
            return None
        return Request(
            "POST", f"{API}/survey-answers/{token}", body={"answers": rng.choice(self.bodies)},
            context=token,
        )  # fmt: skip

    def answered(self, request, status, raw):
        if status == 201:
            with self.acks.lock:
                self.acks.responses.append({"id": _json(raw)["id"], "token": request.context})

    def failed(self, request, exc):
        if isinstance(exc, ConnectionRefusedError):
            self.links.append(request.context)  # never sent: the link is still unanswered
            return
        with self.acks.lock:
            self.acks.unanswered[self.name] += 1


class Intake(Operation):
    """A clerk takes a work order (and the case joins the ones moved along), or a complaint."""

    def __init__(self, seed: dict[str, Any], acks: Acks, pool: CasePool, *, complaint: bool):
        self.outlets, self.acks, self.pool, self.complaint = seed["outlets"], acks, pool, complaint
        self.name = "complaint" if complaint else "work_order"
        self.weight = 1 if complaint else 2

    def next(self, rng):
        outlet = rng.choice(self.outlets)
        customer = rng.choice(outlet["customers"])
        if self.complaint:
            body = {
                "customer_id": customer,
                "description": rng.choice(
                    [
                        "墙面刷完两周出现开裂，希望尽快有人上门看看",
                        "施工师傅态度不好，地面没有清理",
                        "同一批次的漆颜色不一致，很不满意",
                    ]
                ),  # fmt: skip
                "channel": "phone",
            }
            path = f"{API}/complaints"
        else:
            start = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=3)
            body = {
                "customer_id": customer,
                "products": "立邦净味五合一 5L×2",
                "installer_name": "刘师傅",
                "planned_start": start.isoformat(),
            }
            path = f"{API}/work-orders"
        return Request("POST", path, headers=_bearer(outlet["clerk"]), body=body, context=outlet)

    def answered(self, request, status, raw):
        if status != 201:
            return
        case = _json(raw)["case"]
        ack = {"id": case["id"], "number": case["number"]}
        with self.acks.lock:
            (self.acks.complaints if self.complaint else self.acks.work_orders).append(ack)
            if not self.complaint:
                self.acks.cases[case["id"]] = {
                    "stage": case["stage"], "version": case["version"], "uncertain": False,
                }  # fmt: skip
        if not self.complaint:
            self.pool.put({"id": case["id"], "outlet": request.context, "step": 0})

    def failed(self, request, exc):
        if isinstance(exc, ConnectionRefusedError):
            return  # never sent
        with self.acks.lock:
            self.acks.unanswered["open"] += 1


class CasePool:
    """Work orders waiting for their next step; each is held by one client at a time."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.cases: collections.deque = collections.deque()

    def put(self, case: dict) -> None:
        with self.lock:
            self.cases.append(case)

    def take(self) -> dict | None:
        with self.lock:
            return self.cases.popleft() if self.cases else None


# The work order's path through its workflow, one request per step (002 第三章): who takes it,
# and whether its answer is the case (with its new version) or a timeline line.
STEPS = ("assign", "dispatch", "call", "first_visit", "contacted", "visit", "hand_in")


class CaseStep(Operation):
    """The next step of a work order: the head assigns and dispatches it, the technician calls
    the customer, agrees the first visit, moves it on, logs a visit and hands the record in."""

    name, weight = "case_step", 4

    def __init__(self, seed: dict[str, Any], acks: Acks, pool: CasePool):
        self.head, self.acks, self.pool = seed["head"], acks, pool

    def next(self, rng):
        case = self.pool.take()
        if case is None:
            return None
        with self.acks.lock:
            version = self.acks.cases[case["id"]]["version"]
        if "tech" not in case:
            case["tech"] = rng.choice(case["outlet"]["technicians"])
        step, pk, tech = STEPS[case["step"]], case["id"], case["tech"]
        as_tech = _bearer(tech["token"])
        if step == "assign":
            return Request(
                "POST", f"{API}/cases/{pk}/assign", _bearer(self.head),
                {"assignee_id": tech["staff_id"], "version": version}, case,
            )  # fmt: skip
        if step == "dispatch":
            return Request(
                "POST", f"{API}/cases/{pk}/moves", _bearer(self.head),
                {"move": "dispatch", "version": version}, case,
            )  # fmt: skip
        if step == "call":
            return Request(
                "POST", f"{API}/cases/{pk}/calls", as_tech,
                {"outcome": "reached", "party": "customer", "note": "约好周六上午上门"}, case,
            )  # fmt: skip
        if step == "first_visit":
            at = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=2)
            return Request(
                "POST", f"{API}/work-orders/{pk}/first-visit", as_tech, {"at": at.isoformat()}, case
            )
        if step == "visit":
            return Request(
                "POST", f"{API}/work-orders/{pk}/visits", as_tech,
                {"step": rng.choice(["基层处理", "底漆", "第一遍面漆"]), "customer_informed": True},
                case,
            )  # fmt: skip
        return Request(
            "POST", f"{API}/cases/{pk}/moves", as_tech, {"move": step, "version": version}, case
        )

    def answered(self, request, status, raw):
        case = request.context
        step = STEPS[case["step"]]
        if not 200 <= status < 300:
            return  # counted in the figures; the case is left where it is
        body = _json(raw)
        with self.acks.lock:
            if step in ("call", "visit"):
                self.acks.events.append({"id": body["id"], "case_id": case["id"], "kind": step})
            else:
                detail = body.get("case", body)
                self.acks.cases[case["id"]].update(stage=detail["stage"], version=detail["version"])
                if step in ("dispatch", "contacted", "hand_in"):
                    self.acks.moves.append({"case_id": case["id"], "move": step})
        case["step"] += 1
        if case["step"] < len(STEPS):
            self.pool.put(case)

    def failed(self, request, exc):
        if isinstance(exc, ConnectionRefusedError):
            self.pool.put(request.context)  # never sent: the same step again later
            return
        # No answer: the step may or may not have happened; the case leaves the load.
        with self.acks.lock:
            self.acks.cases[request.context["id"]]["uncertain"] = True
            self.acks.unanswered[self.name] += 1


class Lists(Operation):
    """The reads: the queue and a technician's jobs by the API, complaints, the queue page."""

    name, weight = "lists", 3

    def __init__(self, seed: dict[str, Any]):
        self.head, self.outlets, self.session = seed["head"], seed["outlets"], seed["session"]

    def next(self, rng):
        tech = rng.choice(rng.choice(self.outlets)["technicians"])
        return rng.choice(
            [
                Request("GET", f"{API}/cases", _bearer(self.head)),
                Request("GET", f"{API}/cases?overdue=true", _bearer(self.head)),
                Request("GET", f"{API}/cases/mine", _bearer(tech["token"])),
                Request("GET", f"{API}/complaints", _bearer(self.head)),
            ]
        )


class QueuePage(Operation):
    """The department queue as a page (HTML, a session cookie)."""

    name, weight = "queue_page", 1

    def __init__(self, seed: dict[str, Any]):
        self.cookie = {"Cookie": f"sessionid={seed['session']}", "Accept": "text/html"}

    def next(self, rng):
        return Request("GET", "/cases/", dict(self.cookie))


def operations(seed: dict[str, Any], acks: Acks) -> list[Operation]:
    pool = CasePool()
    return [
        SurveyAnswer(seed, acks),
        Intake(seed, acks, pool, complaint=False),
        Intake(seed, acks, pool, complaint=True),
        CaseStep(seed, acks, pool),
        Lists(seed),
        QueuePage(seed),
    ]


# -- a run --------------------------------------------------------------------------------------


def _pg_server() -> str:
    server = os.environ.get("MANYI_SOAK_PG_URL") or os.environ.get("DATABASE_URL", "")
    return server if server.startswith("postgres") else ensure_postgres()


def _pg_admin(server: str, *statements: Any) -> None:
    import psycopg

    with psycopg.connect(f"{server.rsplit('/', 1)[0]}/postgres", autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def _pg_recreate(server: str, name: str, template: str | None = None) -> str:
    """Drop and create ``name`` (a copy of ``template`` when given); returns its URL."""
    from psycopg import sql

    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        create = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template)
        )
    _pg_admin(
        server,
        sql.SQL("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = {}").format(
            sql.Literal(name)
        ),
        sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)),
        create,
    )
    return f"{server.rsplit('/', 1)[0]}/{name}"


def _sqlite_files(path: Path) -> list[Path]:
    return [Path(f"{path}{suffix}") for suffix in ("", "-wal", "-shm")]


def fresh_database(database: str, workdir: Path, template: Path | None) -> tuple[str, bool]:
    """A fresh database for a run: a copy of the seeded template when there is one (migrating
    and seeding cost minutes on a busy machine), else an empty one. Returns its URL and
    whether it is already seeded."""
    seeded = template is not None and (template / f"{database}.json").exists()
    if database == "sqlite":
        path = (workdir / "soak.sqlite3").resolve()
        for file in _sqlite_files(path):
            file.unlink(missing_ok=True)
        if seeded:
            for source, target in zip(
                _sqlite_files(template / "soak.sqlite3"), _sqlite_files(path), strict=True
            ):
                if source.exists():
                    shutil.copyfile(source, target)
        return f"sqlite:///{path}", seeded
    server = _pg_server()
    return _pg_recreate(server, PG_DATABASE, PG_TEMPLATE if seeded else None), seeded


def keep_as_template(database: str, url: str, seed: dict[str, Any], template: Path) -> None:
    """Keep a freshly seeded database (and its seed) for the next runs to copy."""
    template.mkdir(parents=True, exist_ok=True)
    if database == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        for source, target in zip(
            _sqlite_files(path), _sqlite_files(template / "soak.sqlite3"), strict=True
        ):
            if source.exists():
                shutil.copyfile(source, target)
    else:
        _pg_recreate(_pg_server(), PG_TEMPLATE, PG_DATABASE)
    (template / f"{database}.json").write_text(json.dumps(seed, ensure_ascii=False), "utf-8")


def _exported(script: str, name: str) -> str:
    """Run one of scripts/ensure-*.sh and return the value of the variable it exports."""
    out = subprocess.run(  # noqa: S603 - our own script
        ["bash", str(ROOT / "scripts" / script)],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    for line in out.splitlines():
        if line.startswith(f"export {name}="):
            return line.split("=", 1)[1].strip()
    raise RuntimeError(f"{script} printed no {name}")


def ensure_postgres() -> str:
    return _exported("ensure-postgres.sh", "DATABASE_URL")


def ensure_redis() -> str:
    """The private Redis (scripts/ensure-redis.sh); the soak's database number, flushed."""
    url = os.environ.get("MANYI_REDIS_URL") or _exported("ensure-redis.sh", "MANYI_REDIS_URL")
    import redis

    url = f"{url.rsplit('/', 1)[0]}/{REDIS_DB}"
    redis.Redis.from_url(url).flushdb()
    return url


def environment(database_url: str, tasks: str, workdir: Path, data: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "manyi.settings",
        "DATABASE_URL": database_url,
        "MANYI_DATA": str(data.resolve()),
        "MANYI_SMS_BACKEND": "file",
        "MANYI_SMS_FILE": str((workdir / "sms.jsonl").resolve()),
        "MANYI_TASK_BACKEND": "rq" if tasks == "rq" else "django_tasks_db.DatabaseBackend",
        "PORT": str(PORT),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    if tasks == "rq":
        env["MANYI_REDIS_URL"] = ensure_redis()
    return env


def drain(env: dict[str, str], seed: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Wait until the worker delivered the run's messages and ran every waiting task."""
    deadline = time.monotonic() + timeout
    while True:
        waiting = site("pending", env, {"marks": seed["marks"]})
        left = sum(v for k, v in waiting["messages"].items() if k not in ("sent", "failed"))
        # Waiting tasks; a task that was running when its worker was killed stays "running"
        # (reported, not waited for).
        left += waiting.get("tasks", {}).get("READY", 0)
        if left == 0 or time.monotonic() > deadline:
            waiting["seconds_left"] = max(0.0, deadline - time.monotonic())
            return waiting
        time.sleep(2)


def run(
    *,
    database: str = "sqlite",
    tasks: str = "db",
    seconds: float | None = None,
    clients: int = 6,
    workers: int = 3,
    task_workers: int = 1,
    crashes: int = 0,
    workdir: Path,
    data: Path | None = None,
    template: Path | None = None,
    report: Path | None = None,
) -> dict[str, Any]:
    """One soak (``crashes`` = 0) or crash run; returns the figures and the checks.

    ``data`` is the server's MANYI_DATA (default WORKDIR/data; its collected static files are
    reused when present); ``template`` a directory where the seeded database is kept for the
    next runs (the tests share one per session)."""
    seconds = default_seconds() if seconds is None else seconds
    workdir.mkdir(parents=True, exist_ok=True)
    data = data or workdir / "data"
    started = time.perf_counter()
    url, seeded = fresh_database(database, workdir, template)
    env = environment(url, tasks, workdir, data)
    if seeded:
        seed = json.loads((template / f"{database}.json").read_text(encoding="utf-8"))
    else:
        seed = site("seed", env, {"seconds": seconds})
        if template is not None:
            keep_as_template(database, url, seed, template)
    if not (data / "static" / "staticfiles.json").exists():
        manage(env, "collectstatic", "--noinput", "-v", "0")
    setup_seconds = time.perf_counter() - started
    acks = Acks()
    cluster = Cluster(
        env, workers=workers, task_workers=task_workers, tasks=tasks, logs=workdir / "logs"
    )
    restarts: list[dict[str, float]] = []
    try:
        cluster.start(seed["head"])
        # The load runs ``seconds`` in all, cut into crashes + 1 equal phases with a kill and
        # a restart between two phases (the time the server is down does not count).
        mix = Mix(
            PORT,
            operations(seed, acks),
            concurrency=clients,
            seconds=seconds * 100 + 3600,
            # as patient as gunicorn (manyi serve's 120 s): a slow answer on a busy machine is
            # not a lost one
            timeout=120.0,
        ).start()
        phase = seconds / (crashes + 1)
        for _n in range(crashes):
            time.sleep(phase)
            killed = time.perf_counter()
            cluster.kill()
            time.sleep(1.0)  # clients meet a closed port for a moment
            cluster.start(seed["head"])
            restarts.append({"down_seconds": time.perf_counter() - killed})
        acks_at_restart = acks.count()
        time.sleep(phase)
        mix.stop()
        figures = mix.join()
        swept = site("sweep_later", env, {}) if crashes else {}
        waiting = drain(env, seed, timeout=max(60.0, seconds))
    finally:
        cluster.stop()
    checks = site(
        "check",
        env,
        {"acks": acks.as_json(), "marks": seed["marks"], "company_id": seed["company_id"]},
    )
    result = {
        "database": database,
        "tasks": tasks,
        "workers": workers,
        "task_workers": task_workers,
        "clients": clients,
        "seconds": seconds,
        "crashes": crashes,
        "restarts": restarts,
        "acknowledged_after_last_restart": acks.count() - acks_at_restart,
        "setup_seconds": setup_seconds,
        "seed_seconds": seed["seconds"],
        "figures": figures,
        "server_errors": server_errors(figures),
        "pending_after_drain": waiting,
        "swept": swept,
        "checks": checks,
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "load_average": os.getloadavg(),
    }
    if report is not None:
        write_report(result, report)
    return result


def markdown(result: dict[str, Any]) -> str:
    """The report's figures as a markdown section."""
    lines = [
        f"### {result['database']}, tasks on {result['tasks']}, "
        f"{result['workers']} web workers, {result['task_workers']} task worker(s), "
        f"{result['clients']} clients, {result['seconds']:.0f} s"
        + (f", {result['crashes']} × kill -9" if result["crashes"] else ""),
        "",
        "| operation | requests | ok | req/s | p50 ms | p95 ms | p99 ms | statuses |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    figures = result["figures"]
    for name, f in [*figures["operations"].items(), ("**total**", figures["total"])]:
        statuses = ", ".join(f"{k}: {v}" for k, v in f["statuses"].items())
        if f["no_answer"]:
            statuses += f", no answer: {f['no_answer']}"
        if f.get("refused"):
            statuses += f", refused (server down): {f['refused']}"
        lines.append(
            f"| {name} | {f['requests']} | {f['ok']} | {f['per_second']:.1f} | {f['p50']:.0f} "
            f"| {f['p95']:.0f} | {f['p99']:.0f} | {statuses} |"
        )
    counts = result["checks"]["counts"]
    lines += [
        "",
        f"Acknowledged writes checked: {counts['work_orders']} work orders, "
        f"{counts['complaints']} complaints, {counts['moves']} moves, {counts['events']} "
        f"timeline lines, {counts['responses']} survey answers; {counts['messages']} text "
        f"messages. Lost: {0 if result['checks']['ok'] else 'see problems'}; 5xx: "
        f"{result['server_errors']}; load average {result['load_average'][0]:.1f}.",
    ]
    if not result["checks"]["ok"]:
        lines += ["", "Problems: `" + json.dumps(result["checks"]["problems"])[:2000] + "`"]
    return "\n".join(lines) + "\n"


def write_report(result: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.with_suffix(".json").write_text(
        json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    path.with_suffix(".md").write_text(markdown(result), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--tasks", choices=["db", "rq"], default="db")
    parser.add_argument("--seconds", type=float, default=None, help="MANYI_SOAK_SECONDS or 20")
    parser.add_argument("--clients", type=int, default=6, help="client threads (keep it small)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--task-workers", type=int, default=1)
    parser.add_argument("--crash", type=int, default=0, help="kill -9 everything N times")
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "soak")
    parser.add_argument("--report", type=Path, default=None, help="default: WORKDIR/report")
    args = parser.parse_args(argv)
    result = run(
        database=args.database,
        tasks=args.tasks,
        seconds=args.seconds,
        clients=args.clients,
        workers=args.workers,
        task_workers=args.task_workers,
        crashes=args.crash,
        workdir=args.workdir,
        report=args.report or args.workdir / "report",
    )
    print(format_figures(result["figures"]))
    print(markdown(result).rsplit("\n\n", 1)[-1] if result["checks"]["ok"] else result["checks"])
    return 0 if result["checks"]["ok"] and not result["server_errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
