"""The scale benchmark (issue 9, "Scale"; issue 8's cockpit): the hot paths at 2M customers, 5M
cases and 20M survey answers on PostgreSQL, each beside a baseline measured in the same process.

```sh
.venv/bin/python -m bench.scale                 # build manyi_bench_scale, then measure
.venv/bin/python -m bench.scale --reuse         # measure the kept database again
```

The data set is built once by :mod:`bench.generate_scale` into the PostgreSQL database
``manyi_bench_scale`` and kept; ``--reuse`` migrates it, completes whatever step is missing and
measures again. The measures run in this process through the app's own code (no server: what
is measured is the app's work, not gunicorn's or the loopback's):

======================  ==========================================================  ========
measure                 what runs                                                    baseline
======================  ==========================================================  ========
case_queue              ``cases.queries.queue_page`` — the department queue's first  pk
                        page of 50, company-wide (the department head)
case_queue_outlet       the same, filtered to one outlet                             pk
technician_jobs         ``cases.queries.my_jobs`` of a technician                     pk
case_page               ``GET /cases/<pk>/`` through the test client (work orders     page
                        and complaints), the head logged in
phone_tail              the customer list's search by the phone's last four digits    pk
                        (``customer_list`` + ``keyset_page``), as ``bench.measure``
survey_submit           ``surveys.answering.submit_invitation`` on a fresh            insert
                        invitation (CSI answers as the generator draws them)
complaint_analytics     ``complaints.analytics.report`` for the last 12 months        pk
cockpit                 ``insights.queries.cockpit`` of the company, this month       pk
cockpit_outlet          the same, drilled down to one outlet                          pk
cockpit_page            ``GET`` of the cockpit page (``insights:cockpit``)            page
======================  ==========================================================  ========

Baselines: **pk** — ``Customer.objects.get(pk=…)`` of a random customer; **page** — ``GET
/api/v1/me`` with the same logged-in client (the whole middleware stack, a trivial view);
**insert** — the response row alone (``SurveyResponse.objects.create`` with the same columns:
no token lookup, scoring, factor and answer rows, rollups or follow-up), as the survey
benchmark's baseline endpoint. Measure and baseline alternate in a shuffled order, sample by
sample, so a slower moment of the shared machine hits both; ``ratio`` is the measure's p50
over its baseline's. Percentiles are nearest-rank. Every measure also checks its result (the
queue's order, the customer found, the submission stored, …), never its time.

Then, outside the timings, every SQL statement of one run of each measure is explained
(:func:`plan_problems`): no sequential scan of a big table (the data and rollup tables). The
test (``test_scale.py``) does the same on a small data set, with the planner told to avoid
sequential scans where it can, so the answer is "is there an index for it", not "is the table
small".
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
BENCH_DB = "manyi_bench_scale"
PAGE_SIZE = 50

# measure -> (figure judged, limit, where the target comes from). None: no target was set.
TARGETS: dict[str, tuple[str | None, float | None, str]] = {
    "case_queue": ("p95", 100.0, "issue 3: queue pages p95 < 100 ms (at 1M cases, PostgreSQL)"),
    "case_queue_outlet": ("p95", 100.0, "issue 3: queue pages p95 < 100 ms"),
    "technician_jobs": ("p95", 100.0, "issue 3: the technician's list, p95 < 100 ms"),
    "case_page": (None, None, "issue 3 set none for the case page"),
    "phone_tail": ("p95", 100.0, "issue 2: search p95 < 100 ms on PostgreSQL"),
    "survey_submit": (
        "throughput",
        0.5,
        "issue 5: >= 50 % of the baseline's throughput (here: baseline mean / submit mean)",
    ),
    "complaint_analytics": (None, None, "issue 4 set none"),
    "cockpit": ("p95", 300.0, "issue 8: renders in < 300 ms"),
    "cockpit_outlet": ("p95", 300.0, "issue 8: renders in < 300 ms"),
    "cockpit_page": ("p95", 300.0, "issue 8: the cockpit renders in < 300 ms (judged on p95)"),
}


# -- figures ----------------------------------------------------------------------------------


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile: a time that was actually measured (0.0 for none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def summary(times: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(times),
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
        "p99": percentile(times, 99),
        "mean": sum(times) / len(times) if times else 0.0,
        "max": max(times) if times else 0.0,
    }


def judge(name: str, figures: dict[str, Any]) -> dict[str, Any]:
    """The target of a measure and whether its figures meet it."""
    what, limit, source = TARGETS.get(name, (None, None, ""))
    verdict: dict[str, Any] = {"figure": what, "limit": limit, "source": source, "met": None}
    if what == "throughput":
        mean, base = figures["measure"]["mean"], figures["baseline"]["mean"]
        share = base / mean if mean else 0.0
        verdict.update(value=share, met=share >= limit)
    elif what is not None:
        value = figures["measure"][what]
        verdict.update(value=value, met=value < limit)
    return verdict


# -- the measures -----------------------------------------------------------------------------


@dataclass
class Measure:
    """One hot path: its samples, the timed call, the check of its result, its baseline."""

    name: str
    baseline: str  # "pk", "page" or "insert"
    samples: list[Any]
    run: Callable[[Any], Any]
    check: Callable[[Any, Any], str | None] = lambda sample, result: None
    notes: dict[str, Any] = field(default_factory=dict)


class Context:
    """What the measures share: the bench company, its people, scopes and logged-in clients."""

    def __init__(self, seed: int):
        from django.contrib.auth import get_user_model
        from django.test import Client

        from bench import generate, generate_cases
        from manyi.customers.models import Customer
        from manyi.org.scopes import scope_for

        self.rng = random.Random(seed)
        self.seed = seed
        org = generate.ensure_org()
        self.company = org.company
        self.outlets = org.outlets
        user = get_user_model().objects.select_related("staff__unit").get(pk=org.head.pk)
        self.head = user
        self.scope = scope_for(user)
        self.case_org = generate_cases.ensure_case_org(0)
        ids = Customer.objects.filter(company=self.company).order_by("pk")
        self.customer_low = ids.values_list("pk", flat=True).first()
        self.customer_high = ids.reverse().values_list("pk", flat=True).first()
        self.client = Client()
        self.client.force_login(user)

    def random_customer(self) -> int:
        return self.rng.randint(self.customer_low, self.customer_high)


def _timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return (time.perf_counter() - started) * 1000, result


def baselines(ctx: Context) -> dict[str, Callable[[], Any]]:
    """The three baselines, each a call of the same shape as a measure."""
    from manyi.customers.models import Customer

    def pk() -> Any:
        return Customer.objects.get(pk=ctx.random_customer())

    def page() -> Any:
        response = ctx.client.get("/api/v1/me")
        assert response.status_code == 200, response.status_code
        return response

    return {"pk": pk, "page": page}


def queue_measures(ctx: Context, n: int) -> list[Measure]:
    from manyi.cases.queries import QueueFilters, my_jobs, queue_page
    from manyi.org.scopes import scope_for

    def ordered(_sample: Any, page: Any) -> str | None:
        keys = [(c.rank, c.due_key, c.pk) for c in page.items]
        if keys != sorted(keys):
            return "queue out of order"
        if any(c.closed_at is not None for c in page.items):
            return "closed case in the queue"
        if page.next_cursor is not None and len(page.items) != PAGE_SIZE:
            return f"{len(page.items)} rows on a page with a next one"
        return None

    def outlet_ordered(outlet_id: int, page: Any) -> str | None:
        if any(c.unit_id != outlet_id for c in page.items):
            return "another outlet's case"
        return ordered(outlet_id, page)

    technicians = [s for crew in ctx.case_org.technicians.values() for s in crew]
    tech_scopes = []
    for staff in ctx.rng.sample(technicians, min(n, len(technicians))):
        scope_user = staff.user
        tech_scopes.append((staff.pk, scope_for(scope_user)))
    while len(tech_scopes) < n:
        tech_scopes.append(ctx.rng.choice(tech_scopes[: len(technicians)]))

    def own_jobs(sample: tuple[int, Any], jobs: Any) -> str | None:
        cases = jobs.overdue + jobs.today + jobs.next
        if any(c.assignee_id != sample[0] or c.closed_at is not None for c in cases):
            return "someone else's or a closed case"
        return None

    outlets = [o.pk for o in ctx.outlets]
    return [
        Measure(
            "case_queue",
            "pk",
            [None] * n,
            lambda _s: queue_page(ctx.scope, None, size=PAGE_SIZE),
            ordered,
        ),
        Measure(
            "case_queue_outlet",
            "pk",
            [ctx.rng.choice(outlets) for _ in range(n)],
            lambda outlet: queue_page(ctx.scope, QueueFilters(outlet=outlet), size=PAGE_SIZE),
            outlet_ordered,
        ),
        Measure(
            "technician_jobs",
            "pk",
            tech_scopes,
            lambda sample: my_jobs(sample[1]),
            own_jobs,
        ),
    ]


def case_page_measure(ctx: Context, n: int) -> Measure:
    from manyi.cases.models import Case

    cases = Case.objects.filter(company=ctx.company).order_by("pk").values_list("pk", flat=True)
    low, high = cases.first(), cases.reverse().first()
    picked: dict[int, str] = {}
    while len(picked) < n:
        wanted = {ctx.rng.randint(low, high) for _ in range(n - len(picked))}
        picked.update(Case.objects.filter(pk__in=wanted).values_list("pk", "number"))
    samples = list(picked.items())
    ctx.rng.shuffle(samples)

    def check(sample: tuple[int, str], response: Any) -> str | None:
        if response.status_code != 200:
            return f"status {response.status_code}"
        if sample[1] not in response.content.decode():
            return "the case number is not on its page"
        return None

    return Measure("case_page", "page", samples, lambda s: ctx.client.get(f"/cases/{s[0]}/"), check)


def phone_tail_measure(ctx: Context, n: int) -> Measure:
    from bench.measure import sample_customers
    from manyi.customers.queries import CustomerFilters, customer_list
    from manyi.pagination import keyset_page

    samples = sample_customers(ctx.company.pk, n, ctx.rng)

    def check(sample: Any, page: Any) -> str | None:
        term = sample.phone[-4:]
        if any(not (c.phone.endswith(term) or term in c.full_address) for c in page.items):
            return "a row without the term"
        found = customer_list(ctx.scope, CustomerFilters(q=term)).filter(pk=sample.pk).exists()
        return None if found else "the sampled customer was not found"

    return Measure(
        "phone_tail",
        "pk",
        samples,
        lambda s: keyset_page(
            customer_list(ctx.scope, CustomerFilters(q=s.phone[-4:])), size=PAGE_SIZE
        ),
        check,
    )


def survey_measure(ctx: Context, n: int) -> tuple[Measure, Callable[[Any], Any], Callable]:
    """Submissions to fresh invitations of a campaign launched through the app for the
    purpose (a small audience: consenting customers of one outlet, narrowed by segment until
    a few hundred remain), the invitations marked sent as the sweep would."""
    from django.utils import timezone

    from bench import survey_generate
    from manyi import clock
    from manyi.customers.models import Customer
    from manyi.surveys import actions
    from manyi.surveys.answering import submit_invitation
    from manyi.surveys.models import (
        Invitation,
        ResponseSource,
        SurveyChannel,
        SurveyResponse,
    )

    org = survey_generate.ensure_survey_org()
    outlet = ctx.rng.choice(org.outlets)
    base = Customer.objects.filter(company=org.company, home_outlet=outlet, survey_consent=True)
    target: dict[str, Any] = {"outlets": [outlet.pk]}
    for key, value in (("age_band", "25_34"), ("income_band", "middle"), ("education", "bachelor")):
        narrower = base.filter(**{key: value})
        if narrower.count() < 2 * n:
            break
        base = narrower
        target[key] = value
    now = clock.now()
    campaign = actions.create_campaign(
        actor=org.head,
        data={
            "name": f"规模基准提交 {timezone.localtime(now):%Y-%m-%d %H:%M:%S}",
            "unit": org.company.pk,
            "version": org.versions["csi"].pk,
            "channels": ["sms"],
            "starts_at": now,
            "deadline_at": now + dt.timedelta(days=30),
            "target": target,
        },
    )
    actions.launch_campaign(actor=org.head, campaign=campaign)
    invitations = Invitation.objects.filter(campaign=campaign)
    invitations.update(sent_at=now)
    survey_generate.count_sent(invitations)
    tokens = list(invitations.values_list("token", flat=True))
    if len(tokens) < n:
        raise ValueError(f"only {len(tokens)} invitations for {n} submissions")
    ctx.rng.shuffle(tokens)
    answers = survey_generate.Answers(org.versions, ctx.seed)
    samples = [(t, survey_generate.submission_answers(answers, ctx.rng)) for t in tokens[:n]]
    version = org.versions["csi"]

    def submit(sample: tuple[str, dict]) -> Any:
        return submit_invitation(token=sample[0], answers=sample[1])

    def check(sample: tuple[str, dict], result: Any) -> str | None:
        response, new = result
        if not new or response.invitation.token != sample[0]:
            return "not stored as a new response to its invitation"
        return None

    def insert(sample: tuple[str, dict]) -> Any:
        moment = clock.now()
        local = timezone.localtime(moment)
        return SurveyResponse.objects.create(
            version=version,
            answers=sample[1],
            index=90.0,
            company_id=org.company.pk,
            unit_id=outlet.pk,
            region_id=outlet.parent_id,
            source=ResponseSource.CAMPAIGN,
            channel=SurveyChannel.LINK,  # "link" without an invitation: removed afterwards
            submitted_at=moment,
            month=local.date().replace(day=1),
            day=local.date(),
        )

    def cleanup() -> int:
        rows = SurveyResponse.objects.filter(
            company=org.company, channel=SurveyChannel.LINK, invitation__isnull=True
        )
        return rows.delete()[0]

    measure = Measure(
        "survey_submit",
        "insert",
        samples,
        submit,
        check,
        notes={"campaign": campaign.pk, "invited": len(tokens), "target": target},
    )
    return measure, insert, cleanup


def complaint_measure(ctx: Context, n: int) -> Measure:
    from manyi.complaints import analytics
    from manyi.complaints.models import Complaint

    filters = analytics.default_filters()
    expected = Complaint.objects.filter(
        company=ctx.company,
        received_month__gte=filters.start,
        received_month__lte=filters.end,
        merged_into__isnull=True,
    ).count()

    def check(_sample: Any, report: Any) -> str | None:
        if report.total != expected:
            return f"{report.total} complaints counted, {expected} in the period"
        return None

    return Measure(
        "complaint_analytics",
        "pk",
        [None] * n,
        lambda _s: analytics.report(ctx.scope, ctx.company, filters),
        check,
        notes={
            "complaints_in_period": expected,
            "from": str(filters.start),
            "to": str(filters.end),
        },
    )


def cockpit_measures(ctx: Context, n: int) -> list[Measure]:
    """The cockpit, if the insights app has it yet (an empty list otherwise)."""
    try:
        from manyi.insights.queries import cockpit, parse_period
    except ImportError:
        return []
    from django.urls import NoReverseMatch, reverse

    period = parse_period({})
    outlets = [o.pk for o in ctx.outlets]

    def run(unit: int | None) -> Any:
        return cockpit(ctx.scope, unit=unit, start=period.start, end=period.end)

    measures = [
        Measure("cockpit", "pk", [None] * n, run),
        Measure("cockpit_outlet", "pk", [ctx.rng.choice(outlets) for _ in range(n)], run),
    ]
    try:
        url = reverse("insights:cockpit")
    except NoReverseMatch:
        return measures

    def page_ok(_sample: Any, response: Any) -> str | None:
        return None if response.status_code == 200 else f"status {response.status_code}"

    measures.append(
        Measure("cockpit_page", "page", [None] * n, lambda _s: ctx.client.get(url), page_ok)
    )
    return measures


def time_measure(
    measure: Measure, baseline: Callable[[Any], Any], rng: random.Random, warmup: int
) -> dict[str, Any]:
    """Alternate measure and baseline over the samples (the first ``warmup`` untimed)."""
    times: dict[str, list[float]] = {"measure": [], "baseline": []}
    problems: list[str] = []
    for index, sample in enumerate(measure.samples):
        order = ["measure", "baseline"]
        rng.shuffle(order)
        for side in order:
            if side == "baseline":
                elapsed, _result = _timed(lambda s=sample: baseline(s))
            else:
                elapsed, result = _timed(lambda s=sample: measure.run(s))
                problem = measure.check(sample, result)
                if problem:
                    problems.append(problem)
            if index >= warmup:
                times[side].append(elapsed)
    figures: dict[str, Any] = {
        "measure": summary(times["measure"]),
        "baseline": summary(times["baseline"]),
        "baseline_kind": measure.baseline,
        "problems": problems[:20],
        "problem_count": len(problems),
        **measure.notes,
    }
    base = figures["baseline"]["p50"]
    figures["ratio_p50"] = figures["measure"]["p50"] / base if base else None
    figures["target"] = judge(measure.name, figures)
    return figures


# -- query plans ------------------------------------------------------------------------------


def big_tables() -> set[str]:
    """Tables that grow with the data: the bench's big tables and every rollup table."""
    from django.apps import apps

    from bench.generate_scale import BIG_TABLES

    names = set(BIG_TABLES)
    names |= {m._meta.db_table for m in apps.get_models() if "rollup" in m._meta.db_table}
    return names


_EXPLAINABLE = re.compile(r"^\s*(SELECT|WITH|UPDATE|DELETE|INSERT)\b", re.IGNORECASE)
_SQLITE_SCAN = re.compile(r"^SCAN (\S+)(?: AS (\S+))?$")


def statements(action: Callable[[], Any]) -> list[str]:
    """The SQL statements one call of ``action`` runs (with their parameters inlined)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        action()
    return [q["sql"] for q in captured.captured_queries if _EXPLAINABLE.match(q["sql"])]


def _pg_nodes(node: dict[str, Any]):
    yield node
    for child in node.get("Plans", []):
        yield from _pg_nodes(child)


def _sqlite_aliases(sql: str) -> dict[str, str]:
    """alias -> table of the statement's FROM/JOIN clauses (Django writes ``"t" U0``)."""
    pairs = re.findall(r'(?:FROM|JOIN)\s+"?(\w+)"?(?:\s+(?:AS\s+)?"?(\w+)"?)?', sql, re.I)
    found = {}
    for table, alias in pairs:
        found[table] = table
        if alias and alias.upper() not in ("ON", "WHERE", "INNER", "LEFT", "ORDER", "GROUP"):
            found[alias] = table
    return found


def plan_problems(sql_list: Sequence[str], *, avoid_seqscan: bool) -> list[dict[str, str]]:
    """The statements that read a big table without an index: PostgreSQL ``Seq Scan`` nodes
    (with ``enable_seqscan`` off when ``avoid_seqscan``, so a small table still shows whether
    an index could serve), SQLite ``SCAN <table>`` without an index."""
    from django.db import connection, transaction

    big = big_tables()
    problems: list[dict[str, str]] = []
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql" and avoid_seqscan:
            cursor.execute("SET LOCAL enable_seqscan = off")
        for sql in sql_list:
            if connection.vendor == "postgresql":
                cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
                (plan,) = cursor.fetchone()
                plan = plan if isinstance(plan, list) else json.loads(plan)
                for node in _pg_nodes(plan[0]["Plan"]):
                    table = node.get("Relation Name")
                    if node.get("Node Type") == "Seq Scan" and table in big:
                        problems.append({"table": table, "sql": sql[:2000]})
            else:
                cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
                aliases = _sqlite_aliases(sql)
                for row in cursor.fetchall():
                    match = _SQLITE_SCAN.match(row[-1])
                    if match:
                        table = aliases.get(match.group(1), match.group(1))
                        if table in big:
                            problems.append({"table": table, "sql": sql[:2000]})
    return problems


def measure_plans(measures: Sequence[Measure], *, avoid_seqscan: bool) -> dict:
    """Each measure's statements (one run on its last sample) and their problems."""
    report: dict[str, Any] = {}
    for measure in measures:
        sample = measure.samples[-1]
        sql = statements(lambda m=measure, s=sample: m.run(s))
        report[measure.name] = {
            "statements": len(sql),
            "problems": plan_problems(sql, avoid_seqscan=avoid_seqscan),
        }
    return report


# -- the run ----------------------------------------------------------------------------------


def build_measures(ctx: Context, queries: int, heavy: int) -> tuple[list[Measure], dict]:
    """Every measure (``heavy`` samples for the slow aggregates, ``queries`` for the rest)."""
    measures = [
        *queue_measures(ctx, queries),
        case_page_measure(ctx, queries),
        phone_tail_measure(ctx, queries),
    ]
    survey, insert, cleanup = survey_measure(ctx, queries)
    measures.append(survey)
    measures.append(complaint_measure(ctx, heavy))
    measures += cockpit_measures(ctx, heavy)
    return measures, {"insert": insert, "cleanup": cleanup}


def run(
    *, queries: int = 200, heavy: int = 30, warmup: int = 5, seed: int = 20261122,
    only: Sequence[str] = (), plans: bool = True, avoid_seqscan: bool = True,
) -> dict[str, Any]:  # fmt: skip
    """Measure every hot path in this process; returns the figures (JSON-ready).

    ``avoid_seqscan``: explain with PostgreSQL's sequential scans discouraged (on a small data
    set: "could an index serve it"); off, the plans are the planner's own choice (at scale)."""
    ctx = Context(seed)
    measures, extra = build_measures(ctx, queries + warmup, heavy + warmup)
    if only:
        measures = [m for m in measures if m.name in only]
    base = baselines(ctx)
    base["insert"] = extra["insert"]
    report: dict[str, Any] = {"queries": queries, "heavy": heavy, "warmup": warmup, "measures": {}}
    for measure in measures:
        started = time.perf_counter()
        baseline = base[measure.baseline]
        call = baseline if measure.baseline == "insert" else (lambda _s, b=baseline: b())
        figures = time_measure(measure, call, ctx.rng, warmup)
        figures["seconds"] = time.perf_counter() - started
        report["measures"][measure.name] = figures
        print(f"  {measure.name}: {_line(measure.name, figures)}", file=sys.stderr, flush=True)
    report["removed_baseline_rows"] = extra["cleanup"]()
    names = {m.name for m in measures}
    report["not_measured"] = [n for n in TARGETS if n not in names]
    if plans:
        # The survey measure's samples are used: explain a fresh submission's statements.
        fresh = [m for m in measures if m.name != "survey_submit"]
        survey = [m for m in measures if m.name == "survey_submit"]
        if survey:
            spare, _insert, _cleanup = survey_measure(ctx, 1)
            fresh.append(spare)
        report["plans"] = measure_plans(fresh, avoid_seqscan=avoid_seqscan)
        report["plans_avoid_seqscan"] = avoid_seqscan
    return report


def _line(name: str, f: dict[str, Any]) -> str:
    m, b, t = f["measure"], f["baseline"], f["target"]
    verdict = "" if t["met"] is None else ("met" if t["met"] else "MISSED")
    return (
        f"p50 {m['p50']:.1f} p95 {m['p95']:.1f} p99 {m['p99']:.1f} ms; "
        f"{f['baseline_kind']} p50 {b['p50']:.2f} ms; ratio {f['ratio_p50'] or 0:.1f}x "
        f"{verdict} {f['problem_count']} problems"
    )


def format_table(report: dict[str, Any]) -> str:
    head = (
        "| measure | n | p50 ms | p95 ms | p99 ms | baseline | base p50 | ratio | target "
        "| met |\n|---|---:|---:|---:|---:|---|---:|---:|---|---|"
    )
    lines = [head]
    for name, f in report["measures"].items():
        m, b, t = f["measure"], f["baseline"], f["target"]
        if t["figure"] == "throughput":
            target = f"≥ {t['limit']:.0%} of baseline (got {t['value']:.0%})"
        elif t["figure"]:
            target = f"{t['figure']} < {t['limit']:.0f} ms"
        else:
            target = "none set"
        met = {None: "—", True: "met", False: "**missed**"}[t["met"]]
        lines.append(
            f"| {name} | {m['n']} | {m['p50']:.1f} | {m['p95']:.1f} | {m['p99']:.1f} "
            f"| {f['baseline_kind']} | {b['p50']:.2f} | {f['ratio_p50'] or 0:.1f}× "
            f"| {target} | {met} |"
        )
    return "\n".join(lines)


# -- the command ------------------------------------------------------------------------------


def prepare_database(server_url: str, *, reuse: bool) -> str:
    """Create ``manyi_bench_scale`` (dropped first unless ``reuse``); returns its URL."""
    import psycopg
    from psycopg import sql

    from bench.customer_search import _with_database

    with psycopg.connect(server_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone()
        if exists and not reuse:
            conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(BENCH_DB)))
            exists = None
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB)))
    return _with_database(server_url, BENCH_DB)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database, complete it, measure"
    )
    parser.add_argument("--customers", type=int, help="default: generate_scale.Plan's")
    parser.add_argument("--workorders", type=int, help="default: generate_scale.Plan's")
    parser.add_argument("--complaints", type=int, help="default: generate_scale.Plan's")
    parser.add_argument("--responses", type=int, help="default: generate_scale.Plan's")
    parser.add_argument("--replicas", type=int, help="default: generate_scale.Plan's")
    parser.add_argument("--queries", type=int, default=200, help="samples per fast measure")
    parser.add_argument("--heavy", type=int, default=30, help="samples per aggregate measure")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--only", default="", help="comma-separated measure names")
    parser.add_argument("--insights", action="store_true", help="rebuild the insights rollups")
    parser.add_argument("--no-plans", action="store_true", help="skip the EXPLAIN pass")
    parser.add_argument("--postgres-url", help="a PostgreSQL server (default: the test server)")
    parser.add_argument("--results", type=Path, default=RESULTS)
    return parser.parse_args(argv)  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from bench.customer_search import machine, postgres_server_url, source_version

    url = prepare_database(postgres_server_url(args.postgres_url), reuse=args.reuse)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "manyi.settings")
    # Plain static file names: the manifest is collectstatic's output, a deployment step the
    # bench does not run (its lookup is a dictionary read either way).
    os.environ["MANYI_STATIC_MANIFEST"] = "0"
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    from bench import generate_scale

    setup_test_environment()  # the test client's host, mail kept in memory
    call_command("migrate", verbosity=0, interactive=False)
    sizes = ("customers", "workorders", "complaints", "responses", "replicas")
    plan = generate_scale.Plan(
        **{k: getattr(args, k) for k in sizes if getattr(args, k) is not None}
    )
    print(f"== {BENCH_DB}: {plan}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    built = generate_scale.build(plan, progress=True, insights=args.insights)
    print(f"  data ready in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    report = run(
        queries=args.queries,
        heavy=args.heavy,
        warmup=args.warmup,
        seed=args.seed,
        only=[n for n in args.only.split(",") if n],
        plans=not args.no_plans,
        # At full size the planner's own choice is what matters (the test asks the other way).
        avoid_seqscan=False,
    )
    report.update(
        plan=plan.__dict__,
        build=built.as_json(),
        machine=machine(),
        commit=source_version(),
        at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    args.results.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = args.results / f"scale-{plan.cases}-{stamp}.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    print(format_table(report))
    problems = {k: v["problems"] for k, v in report.get("plans", {}).items() if v["problems"]}
    shown = json.dumps(problems, ensure_ascii=False)[:3000]
    print(f"\nplans without an index on a big table: {shown}")
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
