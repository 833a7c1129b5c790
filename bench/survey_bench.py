"""Surveys under load: ``python -m bench.survey_bench --responses 1000000``.

For each database asked for, through the production server (``manyi serve``: gunicorn, sync
workers, on 127.0.0.1 only) with a bounded load generator on loopback (threads, one
``http.client`` connection per request, a fixed number of seconds and of requests):

- **submissions** (the burst path: a campaign to ~100,000 customers): ``POST
  /api/v1/survey-answers/<token>`` with a CSI answer set, each request a different invitation
  of a launched campaign; beside it, in the same run, the baseline ``POST
  /bench/survey-baseline/<token>`` — the same body through the same framework, inserting the
  same response row with no business logic (bench/survey_urls.py, served only by the bench's
  settings, bench/survey_settings.py). Measured on the database with the organisation only,
  and again after N responses were loaded;
- **results** at N responses: the results page ``GET /survey-results/?instrument=<CSI>`` (the
  last twelve months, as the department head, with a session) and the API ``GET
  /api/v1/survey-results``, by one reader at a time and by ``--concurrency`` readers; the API
  as an outlet manager (whose scope is a subtree), and the comments behind a theme (raw rows,
  keyset page); beside each, the trivial ``GET /api/v1/me`` with the same credentials and
  concurrency, measured just before.

``--reuse`` measures the databases of an earlier run again: no setup, no load, only the
full-size measures (with fresh tokens and the submissions campaign's unanswered invitations).

After each load it checks, in the database: every 201 is one response to its invitation with
its factor and answer rows, no response exists without a 201, and the rollups of the
submissions' campaign equal the raw rows; at full size, the results' figures from the rollups
equal those computed from the raw rows (timed: the reason for the rollups). The figures go to
bench/results/ as JSON (git-ignored). Setup, checks and the bulk load run in child processes
(Django reads its database settings once per process); the parent only speaks HTTP.
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
import threading
import time
from pathlib import Path
from typing import Any

from bench.customer_search import ROOT, _with_database, machine, postgres_server_url, source_version
from bench.load import Load, Server

RESULTS = Path(__file__).resolve().parent / "results"
BENCH_DB = "manyi_bench_surveys"
DATABASES = ("sqlite", "postgresql")
API = "/api/v1"


# -- the load (bench/load.py) ---------------------------------------------------------------


def _submitted(status: int, raw: bytes, path: str) -> dict[str, Any] | None:
    """What a 201 of a submission acknowledged: the response's id and the path it answered."""
    return {"id": json.loads(raw)["id"], "path": path} if status == 201 else None


def _ratios(figures: dict[str, Any], baseline: dict[str, Any]) -> None:
    figures["ratio_p50"] = figures["p50"] / baseline["p50"] if baseline["p50"] else 0.0
    figures["ratio_p95"] = figures["p95"] / baseline["p95"] if baseline["p95"] else 0.0
    figures["ratio_rate"] = (
        figures["per_second"] / baseline["per_second"] if baseline["per_second"] else 0.0
    )


class Tokens:
    """The invitations' tokens, each handed out once, across threads."""

    def __init__(self, tokens: list[str]):
        self.tokens = list(reversed(tokens))
        self.lock = threading.Lock()

    def __call__(self) -> str | None:
        with self.lock:
            if not self.tokens:
                return None
            return f"{API}/survey-answers/{self.tokens.pop()}"


def measure_submissions(
    port: int, tokens: list[str], bodies: list[dict[str, Any]], args: argparse.Namespace
) -> dict[str, Any]:
    """Baseline POSTs, then the real submissions (a different invitation each), both with
    answer sets drawn from ``bodies``."""
    common = {"concurrency": args.concurrency, "seconds": args.seconds, "limit": args.max_requests}

    def body(rng: random.Random) -> dict[str, Any]:
        return {"answers": rng.choice(bodies)}

    baseline = Load(port, "POST", "/bench/survey-baseline/bench-baseline-token-0000000000",
                    headers={}, body=body, **common)  # fmt: skip
    base = baseline.run(warmup=args.warmup)
    load = Load(port, "POST", Tokens(tokens), body=body, created=_submitted, **common)
    figures = load.run(warmup=args.warmup)
    _ratios(figures, base)
    return {"baseline": base, "measure": figures, "created": load.created}


def measure_get(
    port: int,
    path: str,
    headers: dict[str, str],
    args: argparse.Namespace,
    concurrency: int | None = None,
) -> dict[str, Any]:
    """The baseline ``GET /api/v1/me`` (same credentials), then ``path``."""
    common = {
        "concurrency": concurrency or args.concurrency,
        "seconds": args.seconds,
        "limit": args.max_requests,
    }
    base = Load(port, "GET", f"{API}/me", headers=headers, **common).run(warmup=args.warmup)
    figures = Load(port, "GET", path, headers=headers, **common).run(warmup=args.warmup)
    _ratios(figures, base)
    return {"baseline": base, "measure": figures}


# -- children (Django, one database) ----------------------------------------------------------


def run_child(step: str, env: dict[str, str], args: argparse.Namespace, **extra: Any) -> Any:
    """Run one step in a child process with the database's environment; returns its JSON."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        output = Path(handle.name)
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False, mode="w") as handle:
        json.dump(extra, handle)
        given = Path(handle.name)
    command = [
        sys.executable, "-m", "bench.survey_bench", "--step", step,
        "--responses", str(args.responses), "--seed", str(args.seed),
        "--customers", str(args.customers), "--input", str(given), "--output", str(output),
    ]  # fmt: skip
    try:
        # Our own module, by the running interpreter: no shell, no outside input.
        subprocess.run(command, check=True, cwd=ROOT, env=env)  # noqa: S603
        return json.loads(output.read_text(encoding="utf-8"))
    finally:
        output.unlink(missing_ok=True)
        given.unlink(missing_ok=True)


def _token(user, name: str) -> str:
    from manyi.org.actions import create_api_token

    return create_api_token(user=user, name=name)[1]


def _session(user) -> str:
    """A logged-in session for ``user`` (the page is read with a cookie, as a browser does)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def step_setup(args: argparse.Namespace, given: dict[str, Any]) -> dict[str, Any]:
    """Migrate; customers, the organisation; the submissions' campaign launched and its
    invitations marked sent; tokens and a session."""
    from django.utils import timezone

    from bench import generate, survey_generate
    from manyi import clock
    from manyi.surveys import actions
    from manyi.surveys.models import Invitation, SurveyResponse

    started = time.perf_counter()
    customers = args.customers or max(1_000, args.responses // 5)
    generate.generate(customers, progress=True)
    org = survey_generate.ensure_survey_org()
    now = clock.now()
    campaign = actions.create_campaign(
        actor=org.head,
        data={
            "name": "基准提交活动",
            "unit": org.company.pk,
            "version": org.versions["csi"].pk,
            "channels": ["sms"],
            "starts_at": now,
            "deadline_at": now + dt.timedelta(days=30),
        },
    )
    actions.launch_campaign(actor=org.head, campaign=campaign)
    # The sweep would send them one by one with an SMS each; the bench marks them sent at once
    # and counts them in the rollups as record_sent would.
    invitations = Invitation.objects.filter(campaign=campaign)
    invitations.update(sent_at=now)
    survey_generate.count_sent(invitations)
    tokens = list(invitations.values_list("token", flat=True))
    random.Random(args.seed).shuffle(tokens)
    # What customers submit: CSI answer sets as the generator draws them (a comment on 25 %).
    answers = survey_generate.Answers(org.versions, args.seed)
    rng = random.Random(args.seed + 1)
    bodies = [survey_generate.submission_answers(answers, rng) for _ in range(2000)]
    outlet = org.outlets[0]
    manager = org.managers[outlet.pk]
    return {
        "customers": customers,
        "seconds": time.perf_counter() - started,
        "campaign_id": campaign.pk,
        "invited": len(tokens),
        "tokens": tokens,
        "bodies": bodies,
        "head_token": _token(org.head, "bench head"),
        "manager_token": _token(manager.user, "bench manager"),
        "manager_unit": outlet.name,
        "session": _session(org.head),
        "instrument_id": org.versions["csi"].instrument_id,
        "max_response_id": SurveyResponse.objects.order_by("-pk")
        .values_list("pk", flat=True)
        .first()
        or 0,
        "row": {
            "company_id": org.company.pk,
            "unit_id": outlet.pk,
            "region_id": outlet.parent_id,
            "version_id": org.versions["csi"].pk,
            "index": 90.0,
        },
        "now": timezone.localtime(now).isoformat(),
    }


def remove_baseline_rows() -> int:
    """Delete the rows the baseline endpoint inserted (no invitation, channel "link"): they are
    in no rollup, and would make the raw figures differ from the rollups'."""
    from manyi.surveys.models import SurveyChannel, SurveyResponse

    removed, _by_model = SurveyResponse.objects.filter(
        invitation__isnull=True, channel=SurveyChannel.LINK, source="campaign"
    ).delete()
    return removed


def check_submitted(created: list[dict[str, Any]], campaign_id: int, max_id: int) -> dict:
    """Every 201 is one response to its invitation with its rows; nothing without a 201; the
    campaign's rollups equal its raw rows."""
    from django.db.models import Count

    from manyi.org.scopes import scope_for
    from manyi.surveys import results
    from manyi.surveys.models import (
        Campaign,
        Invitation,
        SurveyAnswer,
        SurveyFactorScore,
        SurveyResponse,
    )

    ids = [c["id"] for c in created]
    tokens = [c["path"].rsplit("/", 1)[1] for c in created]
    responses = dict(
        SurveyResponse.objects.filter(pk__in=ids).values_list("pk", "invitation__token")
    )
    after = SurveyResponse.objects.filter(pk__gt=max_id, campaign_id=campaign_id).count()
    answered = Invitation.objects.filter(token__in=tokens, answered_at__isnull=False).count()
    factors = (
        SurveyFactorScore.objects.filter(response_id__in=ids)
        .values("response_id")
        .annotate(n=Count("pk"))
        .filter(n=5)
        .count()
    )
    answers = (
        SurveyAnswer.objects.filter(response_id__in=ids)
        .values("response_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=16)
        .count()
    )
    # The closed loop, exactly once: an unhappy response has its follow-up, or is still
    # marked pending (its task not yet run when the server stopped; the sweep would open it);
    # never both, never neither.
    from manyi.surveys.models import FollowUp

    unhappy = SurveyResponse.objects.filter(pk__in=ids, unhappy=True)
    followed = set(
        FollowUp.objects.filter(response_id__in=ids).values_list("response_id", flat=True)
    )
    pending = set(unhappy.exclude(follow_up_pending="").values_list("pk", flat=True))
    unhappy_ids = set(unhappy.values_list("pk", flat=True))
    campaign = Campaign.objects.select_related("company").get(pk=campaign_id)
    head = campaign.created_by
    scope = scope_for(head)
    filters = results.parse_filters(
        scope, campaign.company, {"instrument": campaign.version.instrument_id,
                                  "campaign": campaign_id}
    )  # fmt: skip
    kept = results.report(scope, campaign.company, filters)
    raw = results.report(scope, campaign.company, filters, source=results.RAW)
    rollup_ok = kept.totals.figures() == raw.totals.figures() or all(
        abs((a or 0) - (b or 0)) < 1e-6
        for a, b in zip(kept.totals.figures().values(), raw.totals.figures().values(), strict=True)
    )
    problems = {
        "duplicate_responses": len(ids) - len(set(ids)),
        "missing": sum(1 for pk in ids if pk not in responses),
        "wrong_invitation": sum(
            1 for c in created if responses.get(c["id"], c["path"].rsplit("/", 1)[1])
            != c["path"].rsplit("/", 1)[1]
        ),
        "without_201": after - len(set(ids)),
        "invitation_not_answered": len(set(tokens)) - answered,
        "missing_factor_rows": len(set(ids)) - factors,
        "missing_answer_rows": len(set(ids)) - answers,
        "rollups_differ": int(not rollup_ok),
        "follow_up_lost": len(unhappy_ids - followed - pending),
        "follow_up_and_pending": len(followed & pending),
        "follow_up_of_a_happy_answer": len(followed - unhappy_ids),
    }  # fmt: skip
    return {
        "submitted": len(ids),
        "unhappy": len(unhappy_ids),
        "followed_up": len(followed),
        "follow_up_pending": len(pending),
        "campaign_responses": kept.totals.responses,
        "campaign_sent": kept.totals.sent,
        "problems": problems,
        "ok": not any(problems.values()),
    }


def step_check_and_load(args: argparse.Namespace, given: dict[str, Any]) -> dict[str, Any]:
    """Check the first submissions, then load N responses and rebuild the rollups."""
    from django.db import connection

    from bench import survey_generate
    from manyi.surveys.models import SurveyResponse

    removed = remove_baseline_rows()
    check = check_submitted(given["created"], given["campaign_id"], given["max_response_id"])
    result = survey_generate.generate_responses(args.responses, seed=args.seed, progress=True)
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
        "baseline_rows_removed": removed,
        "generation": {
            "responses": result.responses,
            "invitations": result.invitations,
            "answer_rows": result.answer_rows,
            "factor_rows": result.factor_rows,
            "seconds": result.seconds,
            "rows_per_second": result.rows_per_second,
            "rebuild_seconds": result.rebuild_seconds,
            "analyze_seconds": result.analyze_seconds,
            "rollup_rows": result.rollup_rows,
            "instruments": result.instruments,
        },
        "max_response_id": SurveyResponse.objects.order_by("-pk")
        .values_list("pk", flat=True)
        .first(),
        "size_mb": size / 2**20,
        "version": version,
    }


def compare_at_scale(instrument_id: int) -> dict[str, Any]:
    """The page's figures from the rollups against the raw rows (the head's scope, the last
    twelve months; per-item distributions over the last month, whose raw rows are streamed),
    with the time each took."""
    from bench import generate
    from manyi.org.scopes import scope_for
    from manyi.surveys import results

    org = generate.ensure_org()
    scope = scope_for(org.head)
    filters = results.parse_filters(scope, org.company, {"instrument": instrument_id})
    timings = {}
    sums = {}
    for name, source in (("rollups", results.ROLLUPS), ("raw", results.RAW)):
        started = time.perf_counter()
        by_month = source.sums(scope, org.company, filters, ("month",))
        cube = source.sums(scope, org.company, filters, ("unit", "region", "technician",
                                                          "campaign"))  # fmt: skip
        factors = source.factors(scope, org.company, filters, by_month=True)
        timings[f"{name}_seconds"] = time.perf_counter() - started
        sums[name] = (by_month, cube, factors)
    last = results.Filters(
        filters.instrument, filters.versions, filters.end, filters.end, filters.version
    )
    started = time.perf_counter()
    items_kept = results.ROLLUPS.items(scope, org.company, last)
    timings["rollup_items_last_month_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    items_raw = results.RAW.items(scope, org.company, last)
    timings["raw_items_last_month_seconds"] = time.perf_counter() - started

    def close(a: Any, b: Any) -> bool:
        if isinstance(a, float) or isinstance(b, float):
            return abs((a or 0.0) - (b or 0.0)) <= 1e-6 * max(1.0, abs(a or 0.0))
        return a == b

    def same_sums(a: dict, b: dict) -> bool:
        return a.keys() == b.keys() and all(
            close(getattr(a[k], n), getattr(b[k], n)) for k in a for n in results.Sums.FIELDS
        )

    def same_pairs(a: dict, b: dict) -> bool:
        return a.keys() == b.keys() and all(
            all(close(x, y) for x, y in zip(a[k], b[k], strict=True)) for k in a
        )

    # The twelve months' distributions the page reads (the outlet-level item rollup) against
    # the finer item rollup summed the same way.
    from django.db.models import Sum

    from manyi.surveys.models import SurveyItemRollup

    started = time.perf_counter()
    items_page = results.ROLLUPS.items(scope, org.company, filters)
    timings["rollup_items_seconds"] = time.perf_counter() - started
    finer = (
        SurveyItemRollup.objects.filter(
            company_id=org.company.pk,
            version_id__in=filters.versions,
            month__gte=filters.start,
            month__lte=filters.end,
        )
        .values_list("item_id", "value")
        .annotate(n=Sum("n"), a=Sum("answers"), k=Sum("scored"), s=Sum("score_sum"))
        .order_by()
    )
    items_finer = {(item, value): [n, a, k, s_] for item, value, n, a, k, s_ in finer}

    kept, raw = sums["rollups"], sums["raw"]
    problems = {
        "items_outlet_rollup_vs_finer": int(not same_pairs(items_page, items_finer)),
        "by_month": int(not same_sums(kept[0], raw[0])),
        "by_unit_region_technician_campaign": int(not same_sums(kept[1], raw[1])),
        "factors_by_month": int(not same_pairs(kept[2], raw[2])),
        "items_last_month": int(not same_pairs(items_kept, items_raw)),
    }
    return {
        **timings,
        "responses": sum(s.responses for s in kept[0].values()),
        "problems": problems,
        "ok": not any(problems.values()),
    }


def step_check(args: argparse.Namespace, given: dict[str, Any]) -> dict[str, Any]:
    remove_baseline_rows()
    check = check_submitted(given["created"], given["campaign_id"], given["max_response_id"])
    return {"check_full": check, "scale": compare_at_scale(given["instrument_id"])}


def step_reuse(args: argparse.Namespace, given: dict[str, Any]) -> dict[str, Any]:
    """For ``--reuse``: what the full-size measures need from a database an earlier run
    loaded — the submissions campaign's unanswered tokens, fresh API tokens and a session."""
    from django.core.management import call_command
    from django.db import connection

    from bench import survey_generate
    from manyi.customers.models import Customer
    from manyi.surveys.models import Campaign, Invitation, SurveyResponse

    # A database of an earlier commit: bring its schema (and data migrations) up to date.
    call_command("migrate", verbosity=0)
    remove_baseline_rows()
    org = survey_generate.ensure_survey_org()
    campaign = Campaign.objects.filter(company=org.company, name="基准提交活动").latest("pk")
    tokens = list(
        Invitation.objects.filter(campaign=campaign, answered_at__isnull=True).values_list(
            "token", flat=True
        )
    )
    random.Random(args.seed).shuffle(tokens)
    answers = survey_generate.Answers(org.versions, args.seed)
    rng = random.Random(args.seed + 1)
    outlet = org.outlets[0]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database()), version()")
            size, version = cursor.fetchone()
        else:
            cursor.execute("SELECT sqlite_version()")
            (version,) = cursor.fetchone()
            size = Path(connection.settings_dict["NAME"]).stat().st_size
    return {
        "customers": Customer.objects.filter(company=org.company).count(),
        "responses": SurveyResponse.objects.filter(company=org.company).count(),
        "campaign_id": campaign.pk,
        "invited": Invitation.objects.filter(campaign=campaign).count(),
        "tokens": tokens,
        "bodies": [survey_generate.submission_answers(answers, rng) for _ in range(2000)],
        "head_token": _token(org.head, "bench head"),
        "manager_token": _token(org.managers[outlet.pk].user, "bench manager"),
        "session": _session(org.head),
        "instrument_id": org.versions["csi"].instrument_id,
        "max_response_id": SurveyResponse.objects.order_by("-pk")
        .values_list("pk", flat=True)
        .first(),
        "row": {
            "company_id": org.company.pk,
            "unit_id": outlet.pk,
            "region_id": outlet.parent_id,
            "version_id": org.versions["csi"].pk,
            "index": 90.0,
        },
        "size_mb": size / 2**20,
        "version": version,
    }


STEPS = {
    "setup": step_setup,
    "check_and_load": step_check_and_load,
    "check": step_check,
    "reuse": step_reuse,
}


def child(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.management import call_command

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


def prepare_sqlite(workdir: Path, *, reuse: bool = False) -> str:
    workdir.mkdir(parents=True, exist_ok=True)
    path = (workdir / "surveys.sqlite3").resolve()
    if not reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def _server_env(base: dict[str, str], row: dict[str, Any]) -> dict[str, str]:
    return {
        **base,
        # gunicorn's workers load the bench settings (the baseline endpoint's URLconf).
        "GUNICORN_CMD_ARGS": "--env DJANGO_SETTINGS_MODULE=bench.survey_settings",
        "MANYI_BENCH_SURVEY_ROW": json.dumps(row),
    }


def run_database(database: str, args: argparse.Namespace) -> dict[str, Any]:
    print(f"== {database}: {args.responses:,} responses", file=sys.stderr, flush=True)
    if database == "postgresql":
        server_url = postgres_server_url(args.postgres_url)
        url = _with_database(server_url, BENCH_DB) if args.reuse else prepare_postgresql(server_url)
    else:
        url = prepare_sqlite(args.workdir, reuse=args.reuse)
    data = (args.workdir / f"surveys-data-{database}").resolve()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "MANYI_DATA": str(data),
        "DJANGO_SETTINGS_MODULE": "manyi.settings",
    }
    log = args.workdir / f"surveys-serve-{database}.log"
    report: dict[str, Any] = {
        "database": database,
        "responses": args.responses,
        "reused": args.reuse,
        "load_average": {},
    }
    measures: dict[str, Any] = {}
    if args.reuse:
        setup = run_child("reuse", env, args)
        report.update(
            customers=setup["customers"],
            invited=setup["invited"],
            responses=setup["responses"],
            check_empty={"ok": True, "skipped": "--reuse"},
            generation=None,
            size_mb=setup["size_mb"],
            version=setup["version"],
        )
        tokens = setup["tokens"]
        max_response_id = setup["max_response_id"]
        server_env = _server_env(env, setup["row"])
    else:
        setup = run_child("setup", env, args)
        report.update(customers=setup["customers"], invited=setup["invited"])
        half = len(setup["tokens"]) // 2
        tokens = setup["tokens"][half:]
        server_env = _server_env(env, setup["row"])
        print("  organisation only: submissions", file=sys.stderr, flush=True)
        report["load_average"]["empty"] = os.getloadavg()
        with Server(server_env, args.workers, log) as server:
            server.wait_ready(setup["head_token"])
            submit = measure_submissions(server.port, setup["tokens"][:half], setup["bodies"], args)
        created = submit.pop("created")
        measures["submit_empty"] = submit
        loaded = run_child(
            "check_and_load",
            env,
            args,
            created=created,
            campaign_id=setup["campaign_id"],
            max_response_id=setup["max_response_id"],
        )
        report.update(
            check_empty=loaded["check_empty"],
            generation=loaded["generation"],
            size_mb=loaded["size_mb"],
            version=loaded["version"],
        )
        max_response_id = loaded["max_response_id"]

    print(f"  {args.responses:,} responses: submissions, results", file=sys.stderr, flush=True)
    report["load_average"]["full"] = os.getloadavg()
    head = {"Authorization": f"Bearer {setup['head_token']}"}
    cookie = {"Cookie": f"sessionid={setup['session']}"}
    manager = {"Authorization": f"Bearer {setup['manager_token']}"}
    instrument = setup["instrument_id"]
    page = f"/survey-results/?instrument={instrument}"
    api = f"{API}/survey-results?instrument={instrument}"
    with Server(server_env, args.workers, log) as server:
        server.wait_ready(setup["head_token"])
        submit = measure_submissions(server.port, tokens, setup["bodies"], args)
        created = submit.pop("created")
        measures["submit_full"] = submit
        port = server.port
        # One reader at a time (a manager opening the page), then --concurrency readers.
        measures["page_full_1"] = measure_get(port, page, cookie, args, concurrency=1)
        measures["api_full_1"] = measure_get(port, api, head, args, concurrency=1)
        measures["page_full"] = measure_get(port, page, cookie, args)
        measures["api_full"] = measure_get(port, api, head, args)
        measures["api_manager_full"] = measure_get(port, api, manager, args)
        measures["comments_full"] = measure_get(
            port,
            f"{API}/survey-results/comments?instrument={instrument}&item=comment"
            "&word=%E4%BA%A4%E8%BD%A6",  # 交车
            head,
            args,
        )
    report["load_average"]["after"] = os.getloadavg()
    final = run_child(
        "check",
        env,
        args,
        created=created,
        campaign_id=setup["campaign_id"],
        max_response_id=max_response_id,
        instrument_id=instrument,
    )
    report.update(check_full=final["check_full"], scale=final["scale"])
    report["measures"] = measures
    return report


LABELS = {
    "submit_empty": "submit, org only",
    "submit_full": "submit, full",
    "page_full_1": "page, 1 reader",
    "api_full_1": "API, 1 reader",
    "page_full": "results page",
    "api_full": "results API",
    "api_manager_full": "API, manager",
    "comments_full": "comments API",
}


def format_table(reports: list[dict[str, Any]]) -> str:
    header = (
        f"{'database':<11} {'measure':<17} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'base req/s':>10} {'base p50':>8} {'base p95':>8} {'rate/base':>9} {'p50/base':>8} "
        f"{'errors':>6}"
    )
    lines = [header, "-" * len(header)]
    for report in reports:
        for name, pair in report["measures"].items():
            m, b = pair["measure"], pair["baseline"]
            lines.append(
                f"{report['database']:<11} {LABELS[name]:<17} {m['per_second']:>8.1f} "
                f"{m['p50']:>8.1f} {m['p95']:>8.1f} {b['per_second']:>10.1f} {b['p50']:>8.1f} "
                f"{b['p95']:>8.1f} {m['ratio_rate']:>8.0%} {m['ratio_p50']:>7.1f}× "
                f"{m['requests'] - m['ok']:>6}"
            )
        gen, scale = report["generation"], report["scale"]
        if gen:
            lines.append(
                f"{'':<11} {gen['responses']:,} responses ({gen['invitations']:,} invitations, "
                f"{gen['answer_rows']:,} answer rows) loaded in {gen['seconds']:.0f} s, rollups "
                f"rebuilt in {gen['rebuild_seconds']:.0f} s; database {report['size_mb']:,.0f} MB"
            )
        else:
            lines.append(f"{'':<11} database of an earlier run (--reuse), "
                         f"{report['size_mb']:,.0f} MB")  # fmt: skip
        lines.append(
            f"{'':<11} figures from rollups {scale['rollups_seconds'] * 1000:.0f} ms vs raw rows "
            f"{scale['raw_seconds']:.1f} s: {'equal' if scale['ok'] else scale['problems']}; "
            f"checks: org only "
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
    path = args.results / f"survey_bench-{args.responses}-{stamp}.json"
    result = {
        "benchmark": "survey_bench",
        "source": source,
        "machine": machine(),
        "started": started.isoformat(),
        "options": {
            "seconds": args.seconds,
            "warmup": args.warmup,
            "concurrency": args.concurrency,
            "workers": args.workers,
            "max_requests": args.max_requests,
        },
        "runs": reports,
    }
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"figures written to {path}", file=sys.stderr)
    ok = all(r["check_empty"]["ok"] and r["check_full"]["ok"] and r["scale"]["ok"] for r in reports)
    return 0 if ok else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000, help="responses to load")
    parser.add_argument("--customers", type=int, default=0, help="default: responses / 5")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=float, default=20.0, help="per measure")
    parser.add_argument("--warmup", type=float, default=2.0, help="untimed seconds first")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--max-requests", type=int, default=100_000, help="per measure")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(os.environ.get("MANYI_DATA", ROOT / "var")) / "bench",
        help="the SQLite file, the server's data directory and logs",
    )
    parser.add_argument("--postgres-url", help=f"server to create {BENCH_DB} on")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the databases of an earlier run again (no setup, no load)",
    )
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.responses < 1 or args.seconds <= 0 or args.concurrency < 1:
        raise SystemExit("--responses, --seconds and --concurrency must be positive")
    return child(args) if args.step else parent(args)


if __name__ == "__main__":
    sys.exit(main())
