"""The load generator the benchmarks and the soak share: bounded, on loopback, plain HTTP.

- ``call``: one request on a fresh ``http.client`` connection (no keep-alive: each request
  pays its connection, as a phone behind a carrier's NAT does);
- ``Load``: ``concurrency`` threads sending one kind of request for a fixed number of seconds
  and at most ``limit`` requests (the benchmarks);
- ``Mix``: threads drawing weighted operations (survey answers, case moves, list pages…) until
  a deadline or ``stop()`` (the soak, tests/soak/);
- ``figures``: count, throughput and p50/p95/p99 of a run;
- ``Server``: ``manyi serve`` on loopback in a subprocess, stopped by its PID.

Nothing here imports Django: the load runs in the parent process, which only speaks HTTP.
"""

from __future__ import annotations

import http.client
import json
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
API = "/api/v1"
ROOT = Path(__file__).resolve().parent.parent


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (a time that was actually measured); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def call(
    port: int,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: Any = None,
    timeout: float = 30.0,
) -> tuple[int, bytes]:
    """One request on its own connection; ``body`` is JSON-encoded unless it is bytes."""
    sent = {"Accept": "application/json", **(headers or {})}
    payload = None
    if body is not None:
        if isinstance(body, bytes):
            payload = body
        else:
            payload = json.dumps(body, ensure_ascii=False).encode()
            sent.setdefault("Content-Type", "application/json")
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=payload, headers=sent)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class Stats:
    """Latencies (of 2xx), statuses and the first errors of one kind of request."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.errors: list[str] = []
        self.failures = 0  # sent, no answer: reset, timed out (may or may not have been done)
        self.refused = 0  # the connection was refused: nothing was sent

    def answered(self, status: int, raw: bytes, elapsed_ms: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if 200 <= status < 300:
            self.latencies.append(elapsed_ms)
        elif len(self.errors) < 20:
            self.errors.append(f"{status}: {raw[:300]!r}")

    def failed(self, exc: BaseException) -> None:
        if isinstance(exc, ConnectionRefusedError):
            self.refused += 1
            return
        self.failures += 1
        if len(self.errors) < 20:
            self.errors.append(repr(exc))

    def figures(self, seconds: float) -> dict[str, Any]:
        ok = len(self.latencies)
        return {
            "seconds": seconds,
            "requests": sum(self.statuses.values()),
            "ok": ok,
            "no_answer": self.failures,
            "refused": self.refused,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "errors": self.errors[:20],
            "per_second": ok / seconds if seconds else 0.0,
            "p50": percentile(self.latencies, 50),
            "p95": percentile(self.latencies, 95),
            "p99": percentile(self.latencies, 99),
            "max": max(self.latencies, default=0.0),
        }


class Load:
    """``concurrency`` threads sending one kind of request until ``seconds`` or ``limit``.

    ``path`` is a string or a callable returning the next path (None: nothing left to send);
    ``body`` None or a callable(rng) returning the JSON body; ``created`` None or a
    callable(status, raw, path) returning what to keep of an answer (None: nothing). What it
    returns is kept also during the warm-up, whose requests are not timed.
    """

    def __init__(
        self,
        port: int,
        method: str,
        path: str | Callable[[], str | None],
        *,
        headers: dict[str, str] | None = None,
        body: Callable[[random.Random], Any] | None = None,
        created: Callable[[int, bytes, str], Any] | None = None,
        concurrency: int = 8,
        seconds: float = 20.0,
        limit: int = 100_000,
        timeout: float = 60.0,
    ):
        self.port, self.method, self.path = port, method, path
        self.headers = dict(headers or {})
        self.body, self.keep = body, created
        self.concurrency, self.seconds, self.limit, self.timeout = (
            concurrency,
            seconds,
            limit,
            timeout,
        )
        self.lock = threading.Lock()
        self.sent = 0
        self.stats = Stats()
        self.created: list[Any] = []

    def _take(self) -> bool:
        with self.lock:
            if self.sent >= self.limit:
                return False
            self.sent += 1
            return True

    def _worker(self, index: int, deadline: float, record: bool) -> None:
        rng = random.Random(index * 7919 + int(deadline))
        while time.perf_counter() < deadline and self._take():
            path = self.path() if callable(self.path) else self.path
            if path is None:
                return
            body = self.body(rng) if self.body is not None else None
            started = time.perf_counter()
            try:
                status, raw = call(
                    self.port, self.method, path, headers=self.headers, body=body,
                    timeout=self.timeout,
                )  # fmt: skip
            except (OSError, http.client.HTTPException) as exc:
                with self.lock:
                    self.stats.failed(exc)
                continue
            elapsed = (time.perf_counter() - started) * 1000
            kept = self.keep(status, raw, path) if self.keep is not None else None
            with self.lock:
                if kept is not None:
                    self.created.append(kept)
                if record:
                    self.stats.answered(status, raw, elapsed)

    def run(self, *, warmup: float = 1.0) -> dict[str, Any]:
        """Warm up (not timed), then load; returns the figures."""
        elapsed = 0.0
        for seconds, record in ((warmup, False), (self.seconds, True)):
            if seconds <= 0:
                continue
            self.sent = 0
            deadline = time.perf_counter() + seconds
            threads = [
                threading.Thread(target=self._worker, args=(i, deadline, record), daemon=True)
                for i in range(self.concurrency)
            ]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(seconds + self.timeout + 5)
            elapsed = time.perf_counter() - started
        figures = self.stats.figures(elapsed)
        return {
            "method": self.method,
            "path": self.path if isinstance(self.path, str) else "(one per request)",
            "concurrency": self.concurrency,
            **figures,
        }


# -- a realistic mix --------------------------------------------------------------------------


@dataclass
class Request:
    """One request an operation wants sent, and what it needs to remember about it."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    context: Any = None


class Operation:
    """One kind of client action in a mix: what to send next, and what an answer means.

    Subclasses implement ``next`` (a Request, or None when there is nothing to do now) and
    may override ``answered``/``failed`` (called from the sending thread, not under a lock:
    keep their state thread-safe).
    """

    name = "operation"
    weight = 1

    def next(self, rng: random.Random) -> Request | None:
        raise NotImplementedError

    def answered(self, request: Request, status: int, raw: bytes) -> None:
        """Called with every answer (any status)."""

    def failed(self, request: Request, exc: BaseException) -> None:
        """Called when no answer came: refused (``ConnectionRefusedError``: nothing was sent),
        or reset or timed out (the write may or may not have happened)."""


class Mix:
    """``concurrency`` threads, each drawing operations by weight until ``seconds`` pass or
    ``stop()`` is called; per-operation figures. ``pause`` seconds between requests keep the
    load bounded on a shared machine."""

    def __init__(
        self,
        port: int,
        operations: list[Operation],
        *,
        concurrency: int = 6,
        seconds: float = 60.0,
        timeout: float = 30.0,
        pause: float = 0.0,
        seed: int = 1,
    ):
        self.port, self.operations = port, operations
        self.concurrency, self.seconds, self.timeout, self.pause = (
            concurrency,
            seconds,
            timeout,
            pause,
        )
        self.seed = seed
        self.lock = threading.Lock()
        self.stats = {op.name: Stats() for op in operations}
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self.started = self.finished = 0.0

    def _worker(self, index: int, deadline: float) -> None:
        rng = random.Random(self.seed * 7919 + index)
        weights = [op.weight for op in self.operations]
        idle = 0
        while time.perf_counter() < deadline and not self.stopping.is_set():
            op = rng.choices(self.operations, weights)[0]
            request = op.next(rng)
            if request is None:
                idle += 1
                if idle > 20:  # nothing to do for any operation just now
                    time.sleep(0.05)
                    idle = 0
                continue
            idle = 0
            started = time.perf_counter()
            try:
                status, raw = call(
                    self.port, request.method, request.path, headers=request.headers,
                    body=request.body, timeout=self.timeout,
                )  # fmt: skip
            except (OSError, http.client.HTTPException) as exc:
                with self.lock:
                    self.stats[op.name].failed(exc)
                op.failed(request, exc)
                if self.stopping.wait(0.1):
                    return
                continue
            elapsed = (time.perf_counter() - started) * 1000
            with self.lock:
                self.stats[op.name].answered(status, raw, elapsed)
            op.answered(request, status, raw)
            if self.pause:
                self.stopping.wait(self.pause)

    def start(self) -> Mix:
        """Start the threads; returns at once."""
        self.started = time.perf_counter()
        deadline = self.started + self.seconds
        self.threads = [
            threading.Thread(target=self._worker, args=(i, deadline), daemon=True)
            for i in range(self.concurrency)
        ]
        for thread in self.threads:
            thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()

    def join(self) -> dict[str, Any]:
        """Wait for the threads; returns the figures per operation and in total."""
        for thread in self.threads:
            thread.join(self.seconds + self.timeout + 10)
        self.finished = time.perf_counter()
        return self.figures()

    def run(self) -> dict[str, Any]:
        return self.start().join()

    def figures(self) -> dict[str, Any]:
        seconds = (self.finished or time.perf_counter()) - self.started
        total = Stats()
        for stats in self.stats.values():
            total.latencies += stats.latencies
            total.failures += stats.failures
            total.refused += stats.refused
            for status, n in stats.statuses.items():
                total.statuses[status] = total.statuses.get(status, 0) + n
        return {
            "concurrency": self.concurrency,
            "seconds": seconds,
            "total": total.figures(seconds),
            "operations": {name: s.figures(seconds) for name, s in self.stats.items()},
        }


def server_errors(figures: dict[str, Any]) -> int:
    """How many answers of a Mix's figures were 5xx."""
    return sum(n for status, n in figures["total"]["statuses"].items() if status.startswith("5"))


def format_figures(figures: dict[str, Any]) -> str:
    """A plain-text table of a Mix's figures (one line per operation and the total)."""
    header = (
        f"{'operation':<16} {'requests':>8} {'ok':>7} {'req/s':>7} {'p50 ms':>7} "
        f"{'p95 ms':>7} {'p99 ms':>7} {'max ms':>7}  statuses"
    )
    lines = [header, "-" * len(header)]
    rows = [*figures["operations"].items(), ("total", figures["total"])]
    for name, f in rows:
        lines.append(
            f"{name:<16} {f['requests']:>8} {f['ok']:>7} {f['per_second']:>7.1f} "
            f"{f['p50']:>7.1f} {f['p95']:>7.1f} {f['p99']:>7.1f} {f['max']:>7.1f}  "
            f"{f['statuses']}{' no answer ' + str(f['no_answer']) if f['no_answer'] else ''}"
        )
    return "\n".join(lines)


# -- the server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_ready(
    port: int,
    token: str,
    *,
    alive: Callable[[], bool] = lambda: True,
    log: Path | None = None,
    timeout: float = 180.0,
) -> None:
    """Until ``GET /api/v1/me`` answers 200 with ``token``; SystemExit if ``alive()`` turns
    false or the time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise SystemExit(f"the server exited; see {log}")
        try:
            status, _raw = call(
                port, "GET", f"{API}/me", headers={"Authorization": f"Bearer {token}"}, timeout=5
            )
            if status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.3)
    raise SystemExit(f"the server did not answer within {timeout:.0f} s; see {log}")


class Server:
    """``manyi serve`` on loopback in a subprocess, stopped by its PID."""

    def __init__(self, env: dict[str, str], workers: int, log: Path):
        self.env, self.workers, self.log = env, workers, log
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        manyi = Path(sys.executable).parent / "manyi"
        command = (
            [str(manyi)] if manyi.exists() else [sys.executable, "-m", "manyi.cli"]
        ) + [
            "serve", "--host", HOST, "--port", str(self.port), "--no-demo",
            "--workers", str(self.workers),
        ]  # fmt: skip
        self.log.parent.mkdir(parents=True, exist_ok=True)
        handle = self.log.open("ab")
        # Our own command on loopback, fixed arguments.
        self.proc = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT
        )
        handle.close()
        return self

    def wait_ready(self, token: str, timeout: float = 180.0) -> None:
        wait_ready(
            self.port,
            token,
            alive=lambda: self.proc.poll() is None,
            log=self.log,
            timeout=timeout,
        )

    def __exit__(self, *exc: object) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # its own PID; it stops gunicorn and the worker
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
