"""The scale data set of issue 9: 2M customers, 5M cases, 20M survey answers, on PostgreSQL.

The row generators of ``bench.generate`` (customers), ``bench.generate_cases`` (work orders)
and ``bench.survey_generate`` (survey responses) build rows in Python at 8,000–20,000 rows a
second: fine for 2M customers (two minutes), too slow for 5M cases with their work orders and
timelines and 2M responses with 20M answer rows on two shared cores (well over an hour). So
the cases and responses are built in two steps:

1. **a template** of 1/R of them (R = :attr:`Plan.replicas`, 10) by the existing generators,
   with ids (and case numbers) R apart and customers drawn from the first 1/R of the archive;
2. **R − 1 copies** made by PostgreSQL itself: one ``INSERT … SELECT … CROSS JOIN
   generate_series(1, R − 1) AS k`` per table, copy k taking id + k (so ids stay in time
   order), number + k, and the customer k × (customers / R) further on — the same outlet (the
   archive assigns outlets round-robin and the shift is a multiple of their count) and a
   disjoint range of customers for each copy, so "one invitation per customer per campaign"
   still holds. Invitation tokens end in "z" and the copy number instead of their last three
   characters.
   While the copies are written the tables' foreign keys and plain indexes are dropped, then
   rebuilt and validated in one pass (PostgreSQL's advice for bulk loads).

Complaints are few enough (5 % of the cases) to be generated directly
(:func:`generate_complaints`). Then the survey rollups are rebuilt by the app's own
``rollups.rebuild`` (what ``manage.py rebuild_survey_rollups`` runs), the insights rollups by
``manage.py rebuild_insights_rollups`` when the app has it, and every table is vacuumed and
analysed, as autovacuum would have left a live database.

What the copies change: a copy is its template's twin in everything but the customer — same
stage, times, deadline, technician, answers; the work order's title and site address still
name the template's customer. Every step is skipped when its rows are already there, so an
interrupted run continues where it stopped (each step is one transaction).
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from bench import generate as customers_generate
from bench import generate_cases, survey_generate
from manyi import clock
from manyi.calendars.service import calendar_for
from manyi.cases.models import Case, CaseCounter, CaseEvent
from manyi.cases.workflow import get_workflow
from manyi.complaints.models import CauseCategory, Complaint, Resolution
from manyi.complaints.policy import seed_causes
from manyi.complaints.workflow import KIND as COMPLAINT
from manyi.customers.models import Customer
from manyi.surveys import rollups
from manyi.surveys.models import Invitation, SurveyAnswer, SurveyFactorScore, SurveyResponse
from manyi.workorders.models import WorkOrder
from manyi.workorders.workflow import KIND as WORKORDER

SEED = 20261122


@dataclass(frozen=True)
class Plan:
    """How much to build. The defaults are issue 9's sizes."""

    customers: int = 2_000_000
    workorders: int = 4_750_000
    complaints: int = 250_000
    responses: int = 2_000_000  # ~10.5 answer rows each: ~21M answers
    replicas: int = 10

    def __post_init__(self) -> None:
        if not 1 <= self.replicas < 100:
            raise ValueError("replicas must be 1 … 99")
        outlets = len([o for _r, _n, _i, specs in customers_generate.OUTLETS for o in specs])
        if self.customers % (self.replicas * outlets):
            raise ValueError(f"customers must be a multiple of {self.replicas * outlets}")
        for name in ("workorders", "responses"):
            if getattr(self, name) % self.replicas:
                raise ValueError(f"{name} must be a multiple of replicas ({self.replicas})")

    @property
    def cases(self) -> int:
        return self.workorders + self.complaints

    @property
    def pool(self) -> int:
        """Customers a template draws from; copy k uses the k-th such range."""
        return self.customers // self.replicas


@dataclass
class ScaleResult:
    """What :func:`build` found or did, step by step (seconds), and the row counts."""

    steps: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _say(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


# -- bulk loading on PostgreSQL ---------------------------------------------------------------


@contextmanager
def loose_tables(tables: Sequence[str]) -> Iterator[None]:
    """Drop the tables' foreign keys and plain (non-constraint) indexes, then rebuild them.

    Keeping a dozen indexes and a trigger per foreign key current row by row costs several
    times the insert itself; building each index once from the finished table and validating
    each key with one join is PostgreSQL's own advice for bulk loads. Unique and primary-key
    indexes stay (they back constraints). Call inside a transaction: a failure restores all.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
            [list(tables)],
        )
        keys = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [list(tables)],
        )
        indexes = cursor.fetchall()
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, name, _definition in keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        for name, definition in indexes:
            started = time.perf_counter()
            cursor.execute(definition)
            _say(f"index {name}: {time.perf_counter() - started:.0f} s")
        for table, name, definition in keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def replicate(
    model: Any, *, where: str, params: Sequence[Any], copies: int, exprs: dict[str, str]
) -> int:
    """Insert ``copies`` copies of the model's rows matching ``where`` (SQL on alias ``t``),
    copy ``k`` (1 … copies) computed by ``exprs`` (column → SQL using ``t`` and ``k``); other
    columns are copied as they are, an auto ``id`` not named in ``exprs`` is left to its
    sequence. Returns the rows inserted."""
    meta = model._meta
    columns = [
        f.column
        for f in meta.concrete_fields
        if not (
            f.primary_key and f.column not in exprs and f.get_internal_type().endswith("AutoField")
        )
    ]
    select = ", ".join(exprs.get(c, f"t.{c}") for c in columns)
    sql = (
        f"INSERT INTO {meta.db_table} ({', '.join(columns)}) "  # noqa: S608 - names from the model
        f"SELECT {select} FROM {meta.db_table} t CROSS JOIN generate_series(1, %s) AS k "
        f"WHERE {where}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [copies, *params])
        return cursor.rowcount


def _set_sequence(table: str) -> None:
    """PostgreSQL: the id sequence after the explicit ids (SQLite's AUTOINCREMENT follows)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
            f"(SELECT coalesce(max(id), 1) FROM {table}))"
        )


def _customer_base(company_id: int, count: int) -> int:
    """The first customer id; the copies' customer shift needs the ids contiguous."""
    ids = Customer.objects.filter(company_id=company_id).order_by("pk")
    low = ids.values_list("pk", flat=True).first()
    high = ids.reverse().values_list("pk", flat=True).first()
    if low is None or high - low + 1 != count:
        raise ValueError("the bench customers' ids must be contiguous (generate them fresh)")
    return low


def _serial(column: str) -> str:
    """SQL: the case number's serial plus the copy number, at least six digits."""
    n = f"(split_part({column}, '-', 3)::int + k)"
    return (
        f"split_part({column}, '-', 1) || '-' || split_part({column}, '-', 2) || '-' || "
        f"lpad({n}::text, greatest(6, length({n}::text)), '0')"
    )


# -- the steps --------------------------------------------------------------------------------


def build_workorders(plan: Plan, result: ScaleResult, *, progress: bool = False) -> None:
    """The work orders: a template of workorders / R by ``generate_cases``, then its copies."""
    org = customers_generate.ensure_org()
    template = plan.workorders // plan.replicas
    cases = Case.objects.filter(company=org.company, kind=WORKORDER)
    have = cases.count()
    if have == plan.workorders:
        result.skipped.append("workorders")
        return
    if have == 0:
        started = time.perf_counter()
        generate_cases.generate_cases(
            template,
            customers=plan.customers,
            seed=SEED,
            progress=progress,
            stride=plan.replicas,
            customer_pool=plan.pool,
        )
        result.steps["workorder_template"] = time.perf_counter() - started
        have = template
    if have != template:
        raise ValueError(f"{have} work orders: neither the template ({template}) nor all")
    if plan.replicas == 1:
        return
    started = time.perf_counter()
    _customer_base(org.company.pk, plan.customers)  # the copies' shift needs contiguous ids
    low, high = (
        cases.order_by("pk").values_list("pk", flat=True)[0],
        cases.order_by("-pk").values_list("pk", flat=True)[0],
    )
    copies = plan.replicas - 1
    shift = f"{plan.pool} * k"
    with transaction.atomic():
        with loose_tables(("cases_case", "workorders_workorder", "cases_caseevent")):
            n = replicate(
                Case,
                where="t.company_id = %s AND t.kind = %s",
                params=[org.company.pk, WORKORDER],
                copies=copies,
                exprs={
                    "id": "t.id + k",
                    "number": _serial("t.number"),
                    "customer_id": f"t.customer_id + {shift}",
                },
            )
            _say(f"cases copied: {n:,}")
            n = replicate(
                WorkOrder,
                where="t.case_id BETWEEN %s AND %s",
                params=[low, high],
                copies=copies,
                exprs={"case_id": "t.case_id + k"},
            )
            _say(f"work orders copied: {n:,}")
            n = replicate(
                CaseEvent,
                where="t.case_id BETWEEN %s AND %s",
                params=[low, high],
                copies=copies,
                exprs={"case_id": "t.case_id + k"},
            )
            _say(f"events copied: {n:,}")
        _set_sequence("cases_case")
    result.steps["workorder_copies"] = time.perf_counter() - started


# Complaints: how far they get (a lognormal pace on typical days per stage), as the demo's.
COMPLAINT_STAGES: tuple[tuple[str, float], ...] = (
    ("first_contact", 0.08),
    ("preparation", 1.0),
    ("investigation", 3.0),
    ("ruling", 1.5),
    ("resolution", 4.0),
    ("follow_up", 2.0),
    ("return_visit", 20.0),
)
COMPLAINT_CAUSES = {
    # cause code -> (weight, responsibilities, remedies), after complaints/demo.py
    "product": (30, ("ours", "ours", "shared"), ("replace", "compensate", "refund", "rework")),
    "installation": (25, ("installer", "installer", "shared"), ("rework", "explain")),
    "operation": (20, ("customer",), ("explain", "explain", "rework")),
    "policy": (15, ("ours", "shared"), ("compensate", "refund", "explain")),
    "other": (10, ("undetermined",), ("explain",)),
}
COMPLAINT_TEXTS = (
    "墙面刷完一周出现起泡", "漆面发花，颜色不均匀", "木器漆干得很慢，三天还粘手",
    "刷完有刺鼻气味，家里有孩子很担心", "外墙漆下雨后掉粉", "地坪漆起皮", "卫生间防水做完还渗水",
    "店员态度不好，问问题不耐烦", "送货晚了两天，没有人通知", "装修工期一拖再拖",
)  # fmt: skip
CHANNELS = ("phone",) * 5 + ("store",) * 3 + ("online",) * 2 + ("return_visit", "survey")
COMPLAINT_CASE_FIELDS = generate_cases.CASE_FIELDS
COMPLAINT_FIELDS = (
    "case", "company", "received_month", "channel", "contact_name", "contact_phone",
    "site_address", "product", "batch_no", "installer_name", "installer_phone", "source_ref",
    "severity", "major_reasons", "amount_claimed", "acknowledged_at", "escalated_at",
    "first_contact_at", "visit_at", "visit_place", "likely_cause", "tools", "investigated_at",
    "present", "findings", "responsibility", "cause", "ruled_at", "resolved_at", "follow_up_at",
    "return_visit_outcome",
)  # fmt: skip
RESOLUTION_FIELDS = (
    "complaint", "kind", "amount", "cost", "status", "notes", "proposed_by", "proposed_at",
    "approved_by", "approved_at", "executed_at",
)  # fmt: skip


def generate_complaints(
    count: int, *, customers: int, seed: int = SEED, progress: bool = False
) -> dict[str, int]:
    """``count`` complaints over the three years up to now, straight into the tables (case,
    complaint, its resolution when resolved, an "opened" event): ~95 % finished, the newest
    spread over the open stages with the deadline of the workflow's SLA on the outlet's
    calendar. Ids follow the existing cases; numbers TS-YYYY-NNNNNN per year."""
    case_org = generate_cases.ensure_case_org(0)
    company = case_org.company
    seed_causes(company)
    causes = {c.code: c.pk for c in CauseCategory.objects.filter(company=company)}
    cause_codes = [c for c in COMPLAINT_CAUSES if c in causes] or list(causes)
    cause_weights = [COMPLAINT_CAUSES.get(c, (10,))[0] for c in cause_codes]
    workflow = get_workflow(COMPLAINT)
    base = _customer_base(company.pk, customers)
    outlets = {o.pk: o for o in case_org.outlets}
    outlet_ids = [o.pk for o in case_org.outlets]
    calendars = {pk: calendar_for(o) for pk, o in outlets.items()}
    tz = timezone.get_current_timezone()
    now = clock.now()
    start = now - generate_cases.SPAN
    step = generate_cases.SPAN / count
    ends = []
    total = 0.0
    for _code, days in COMPLAINT_STAGES:
        total += days
        ends.append(total)
    first_id = (Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    year_counts: Counter[int] = Counter()
    stages: Counter[str] = Counter()
    started = time.perf_counter()
    postgres = connection.vendor == "postgresql"
    with transaction.atomic():
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for batch_start in range(0, count, generate_cases.BATCH):
            batch = range(batch_start, min(batch_start + generate_cases.BATCH, count))
            rngs = {o: random.Random(seed * 1_000_033 + o) for o in batch}
            picks = {o: base + rngs[o].randrange(customers) for o in batch}
            people = {
                pk: (name, phone, address)
                for pk, name, phone, address in Customer.objects.filter(
                    pk__in=set(picks.values())
                ).values_list("pk", "name", "phone", "address_detail")
            }
            case_rows, complaint_rows, resolution_rows, events = [], [], [], []
            for ordinal in batch:
                rng = rngs[ordinal]
                customer = picks[ordinal]
                name, phone, address = people[customer]
                outlet_id = outlet_ids[(customer - base) % len(outlet_ids)]
                crew = case_org.technicians[outlet_id]
                tech = crew[rng.randrange(len(crew))]
                clerk = case_org.clerks[outlet_id]
                opened = start + step * (ordinal + 0.5)
                local = opened.astimezone(tz)
                year_counts[local.year] += 1
                number = f"{workflow.number_prefix}-{local.year}-{year_counts[local.year]:06d}"
                major = rng.random() < 0.05
                priority = "urgent" if major else "normal"
                pace = rng.lognormvariate(0.0, 0.6)
                age = (now - opened).total_seconds() / 86400
                index = next((i for i, end in enumerate(ends) if age < end * pace), None)

                def at(days: float, opened=opened, pace=pace) -> dt.datetime:
                    return opened + dt.timedelta(days=days * pace)

                closed_early = index is None and rng.random() < 0.04
                if index is None:
                    stage = "closed" if closed_early else "done"
                    entered = closed = at(ends[-1])
                    reached = len(COMPLAINT_STAGES)
                else:
                    stage = COMPLAINT_STAGES[index][0]
                    entered = at(ends[index - 1]) if index else opened
                    closed = None
                    reached = index
                due = breached = None
                if closed is None:
                    sla = workflow.stage(stage).sla_for_case(
                        SimpleNamespace(
                            priority=priority, unit=outlets[outlet_id], company_id=company.pk
                        )
                    )
                    if sla is not None:
                        due = generate_cases._deadline(calendars[outlet_id], sla, entered)
                        if due < now:
                            breached = min(due + dt.timedelta(minutes=5), now)
                stages[stage] += 1
                case_id = first_id + ordinal
                text = COMPLAINT_TEXTS[rng.randrange(len(COMPLAINT_TEXTS))]
                case_rows.append((
                    case_id, COMPLAINT, number, company.pk, outlet_id, customer, tech.pk, stage,
                    priority, text, text, 2 + reached, opened, entered, due, None, "", breached,
                    closed, {}, clerk.user_id,
                ))  # fmt: skip
                # The facts reached so far (first contact after stage 1, ruling after 4, …).
                first_contact = opened + dt.timedelta(hours=rng.lognormvariate(0.0, 0.9))
                if reached < 1:
                    first_contact = None
                cause_code = rng.choices(cause_codes, weights=cause_weights)[0]
                _w, sides, remedies = COMPLAINT_CAUSES.get(cause_code, (0, ("ours",), ("explain",)))
                ruled = reached >= 4 and not closed_early
                resolved = reached >= 5 and not closed_early
                product = generate_cases.PRODUCTS[rng.randrange(len(generate_cases.PRODUCTS))]
                batch_no = f"HC{local:%Y%m}{rng.randint(1, 28):02d}-{rng.randint(1, 6):02d}"
                complaint_rows.append((
                    case_id, company.pk, local.date().replace(day=1),
                    CHANNELS[rng.randrange(len(CHANNELS))], name, phone, address, product,
                    batch_no, generate_cases.INSTALLERS[rng.randrange(6)], "", "",
                    "major" if major else "normal", ["safety"] if major else [],
                    Decimal(rng.randrange(200, 5000)) if rng.random() < 0.3 else None,
                    opened + dt.timedelta(minutes=1), opened if major else None,
                    first_contact, at(ends[1]) if reached >= 2 else None, "", "",
                    [], at(ends[2]) if reached >= 3 else None, [], "",
                    rng.choice(sides) if ruled else "", causes[cause_code] if ruled else None,
                    at(ends[3]) if ruled else None, at(ends[4]) if resolved else None,
                    at(ends[5]) if reached >= 6 and not closed_early else None,
                    ("satisfied" if rng.random() < 0.85 else "not_satisfied")
                    if stage == "done" else "",
                ))  # fmt: skip
                if resolved:
                    kind = rng.choice(remedies)
                    paid = kind in ("refund", "compensate", "replace")
                    amount = Decimal(rng.randrange(0, 3000)) if paid else Decimal(0)
                    resolution_rows.append((
                        case_id, kind, amount, amount + Decimal(rng.randrange(50, 800)),
                        "executed", "", tech.pk, at(ends[3]), None, None, at(ends[4]),
                    ))  # fmt: skip
                events.append((case_id, "opened", opened, clerk.user_id, "", {"stage": "intake"}))
            generate_cases._insert(Case, COMPLAINT_CASE_FIELDS, case_rows)
            _insert_complaints(complaint_rows, resolution_rows)
            generate_cases._insert(CaseEvent, generate_cases.EVENT_FIELDS, events)
            done = batch.stop
            if progress and (done % 50_000 == 0 or done == count):
                rate = done / (time.perf_counter() - started)
                _say(f"complaints: {done:,} ({rate:,.0f}/s)")
        for year, value in year_counts.items():
            CaseCounter.objects.update_or_create(
                kind=COMPLAINT, year=year, defaults={"value": value}
            )
        _set_sequence("cases_case")
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return dict(stages)


def _insert_complaints(complaints: list[tuple], resolutions: list[tuple]) -> None:
    """The complaint rows (their id is the case's, so resolutions can name it)."""
    generate_cases._insert(Complaint, ("id", *COMPLAINT_FIELDS), [(r[0], *r) for r in complaints])
    generate_cases._insert(Resolution, RESOLUTION_FIELDS, resolutions)


def build_complaints(plan: Plan, result: ScaleResult, *, progress: bool = False) -> None:
    org = customers_generate.ensure_org()
    have = Case.objects.filter(company=org.company, kind=COMPLAINT).count()
    if have == plan.complaints:
        result.skipped.append("complaints")
        return
    if have:
        raise ValueError(f"{have} complaints: neither none nor all ({plan.complaints})")
    started = time.perf_counter()
    stages = generate_complaints(plan.complaints, customers=plan.customers, progress=progress)
    _set_sequence("complaints_complaint")
    result.steps["complaints"] = time.perf_counter() - started
    result.counts["complaints_open"] = sum(
        n for s, n in stages.items() if s not in ("done", "closed")
    )


def build_surveys(plan: Plan, result: ScaleResult, *, progress: bool = False) -> None:
    """Responses: a template of responses / R by ``survey_generate``, then its copies."""
    org = customers_generate.ensure_org()
    template = plan.responses // plan.replicas
    responses = SurveyResponse.objects.filter(company=org.company)
    have = responses.count()
    if have >= plan.responses:  # (the submission measure adds its own responses)
        result.skipped.append("surveys")
        return
    if have == 0:
        started = time.perf_counter()
        survey_generate.generate_responses(
            template,
            seed=SEED,
            progress=progress,
            stride=plan.replicas,
            customer_pool=plan.pool,
            rebuild=False,
        )
        result.steps["survey_template"] = time.perf_counter() - started
        have = template
    if have != template:
        raise ValueError(f"{have} responses: neither the template ({template}) nor all")
    if plan.replicas > 1:
        _copy_surveys(plan, result, org.company.pk)
    started = time.perf_counter()
    counts = rollups.rebuild(org.company.pk)
    result.steps["survey_rollups"] = time.perf_counter() - started
    result.counts.update({f"survey_{k}": v for k, v in counts.items()})


def _copy_surveys(plan: Plan, result: ScaleResult, company_id: int) -> None:
    started = time.perf_counter()
    copies = plan.replicas - 1
    shift = f"{plan.pool} * k"
    company = [company_id]
    with transaction.atomic():
        tables = (
            "surveys_invitation",
            "surveys_surveyresponse",
            "surveys_surveyfactorscore",
            "surveys_surveyanswer",
        )
        with loose_tables(tables):
            n = replicate(
                Invitation,
                where="t.company_id = %s",
                params=company,
                copies=copies,
                exprs={
                    "id": "t.id + k",
                    "customer_id": f"t.customer_id + {shift}",
                    # "z" never occurs in the template's hex tokens: no copy meets another.
                    "token": "left(t.token, 40) || 'z' || lpad(k::text, 2, '0')",
                },
            )
            _say(f"invitations copied: {n:,}")
            n = replicate(
                SurveyResponse,
                where="t.company_id = %s",
                params=company,
                copies=copies,
                exprs={
                    "id": "t.id + k",
                    "invitation_id": "t.invitation_id + k",
                    "customer_id": f"t.customer_id + {shift}",
                },
            )
            _say(f"responses copied: {n:,}")
            for model in (SurveyFactorScore, SurveyAnswer):
                n = replicate(
                    model,
                    where="t.company_id = %s",
                    params=company,
                    copies=copies,
                    exprs={"response_id": "t.response_id + k"},
                )
                _say(f"{model._meta.model_name} copied: {n:,}")
        _set_sequence("surveys_invitation")
        _set_sequence("surveys_surveyresponse")
    result.steps["survey_copies"] = time.perf_counter() - started


def build_insights(result: ScaleResult) -> None:
    """The insights rollups through the app's own command, if the app has it yet."""
    from django.core.management import call_command, get_commands

    if "rebuild_insights_rollups" not in get_commands():
        result.notes.append("manage.py rebuild_insights_rollups does not exist yet: not built")
        return
    started = time.perf_counter()
    call_command("rebuild_insights_rollups")
    result.steps["insights_rollups"] = time.perf_counter() - started


BIG_TABLES = (
    "customers_customer",
    "cases_case",
    "workorders_workorder",
    "cases_caseevent",
    "complaints_complaint",
    "complaints_resolution",
    "surveys_invitation",
    "surveys_surveyresponse",
    "surveys_surveyfactorscore",
    "surveys_surveyanswer",
)


def vacuum_analyze(tables: Sequence[str] = BIG_TABLES) -> float:
    """VACUUM ANALYZE (visibility map for index-only scans, planner statistics), as autovacuum
    would have left a live database (ANALYZE alone inside a transaction, as in a test; nothing
    on SQLite, where the app runs no ANALYZE)."""
    started = time.perf_counter()
    if connection.vendor != "postgresql":
        return 0.0
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"{command} {table}")
    return time.perf_counter() - started


def counts() -> dict[str, int]:
    """Rows per big table (on PostgreSQL estimates from the statistics: exact counts of 20M
    rows take minutes)."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            found = {}
            for table in BIG_TABLES:
                cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - our names
                found[table] = cursor.fetchone()[0]
            return found
        cursor.execute(
            "SELECT relname, reltuples::bigint FROM pg_class WHERE relname = ANY(%s)",
            [list(BIG_TABLES)],
        )
        return dict(cursor.fetchall())


def database_bytes() -> int:
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return cursor.fetchone()[0]


def build(
    plan: Plan, *, progress: bool = False, vacuum: bool = True, insights: bool = False
) -> ScaleResult:
    """Make sure the database holds the plan's data; returns what each step took."""
    if connection.vendor != "postgresql" and plan.replicas > 1:
        raise ValueError("the copies are made by PostgreSQL: use replicas=1 on SQLite")
    result = ScaleResult()
    started = time.perf_counter()
    before = Customer.objects.count()
    customers_generate.generate(plan.customers, seed=customers_generate.DEFAULT_SEED,
                                progress=progress)  # fmt: skip
    if before < plan.customers:
        result.steps["customers"] = time.perf_counter() - started
    else:
        result.skipped.append("customers")
    changed = False
    for name, step in (
        ("workorders", build_workorders),
        ("complaints", build_complaints),
        ("surveys", build_surveys),
    ):
        _say(f"{name} …")
        step(plan, result, progress=progress)
        changed = changed or name not in result.skipped
    if changed or insights:
        build_insights(result)
    if vacuum and changed:
        result.steps["vacuum_analyze"] = vacuum_analyze()
    result.counts.update(counts())
    result.counts["database_bytes"] = database_bytes()
    return result
