"""N synthetic work-order cases for the benchmark company, inserted fast and deterministically.

The organisation is real: the company and outlets of ``bench.generate`` (with its customers),
and per outlet one front-line clerk and a crew of licensed technicians created through
``manyi.org.actions.create_staff``. The cases are not: at a million rows the ORM, the workflow
checks and the audit log would take hours, so the rows of ``cases_case``,
``workorders_workorder`` and ``cases_caseevent`` are streamed straight in — ``COPY … FROM
STDIN`` on PostgreSQL, ``manyi.bulk.insert_rows`` batches on SQLite — then PostgreSQL gets
``ANALYZE``.

What the rows look like (every value from ``random.Random`` seeded by the row's ordinal):

- Cases were opened evenly over the three years up to the moment of generation, oldest first as
  ids grow, each at its customer's home outlet, by that outlet's clerk.
- Each case walks the work-order stages (intake → contact → service → record → acceptance →
  archive → return visit → done) at its own pace (a log-normal factor on typical durations);
  where it stands now follows from its age: ~96 % are closed (done, ~3 % cancelled at intake or
  contact), the newest ~3–4 % are open, spread over the open stages by how long each takes.
- An open case's ``stage_entered_at``, ``due_at`` (the app's SLA of the stage on the outlet's
  business calendar), ``paused_at`` (5 % of pausable stages) and ``breached_at`` (set when the
  running clock is past due, as the sweep would) are consistent; slow cases are overdue.
- Numbers are ``FW-YYYY-NNNNNN``, per year of opening (local time) in id order, and each year's
  ``CaseCounter`` holds the count, so the API continues the numbering.
- Timeline: "opened", the assignment to a technician (from contact on), and the move into the
  current stage. The work order has its site address, products, first visit and, from the
  record on, the signer and evaluation (no signature image and no content hash: nothing reads
  them in the measures). No audit entries are written for the bulk rows.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import random
import secrets
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bench import generate as customers_generate
from manyi import clock
from manyi.bulk import insert_rows
from manyi.calendars.service import calendar_for
from manyi.cases.models import Case, CaseCounter, CaseEvent
from manyi.cases.workflow import SlaKind, get_workflow
from manyi.customers.models import Customer
from manyi.org import actions as org_actions
from manyi.org.models import Role, Staff
from manyi.workorders.models import WorkOrder
from manyi.workorders.workflow import KIND

DEFAULT_SEED = 20261201
SPAN = dt.timedelta(days=3 * 365)
# Typical days in each stage (the SLA is a limit, not the usual pace).
STAGE_DAYS: tuple[tuple[str, float], ...] = (
    ("intake", 0.15),
    ("contact", 1.0),
    ("service", 12.0),
    ("record", 1.5),
    ("acceptance", 2.0),
    ("archive", 1.0),
    ("return_visit", 20.0),
)
OPEN_STAGES = tuple(code for code, _days in STAGE_DAYS)
# The move that enters each stage (timeline and version).
MOVE_INTO = {
    "contact": "dispatch",
    "service": "contacted",
    "record": "hand_in",
    "acceptance": "submit",
    "archive": "accept",
    "return_visit": "archive",
    "done": "close",
    "cancelled": "cancel",
}
PRIORITIES = (("normal", 85), ("high", 8), ("urgent", 4), ("low", 3))
PRODUCTS = (
    "立邦净味五合一 5L×2", "多乐士家丽安 18L×1", "三棵树健康+ 5L×3", "嘉宝莉竹炭 15L×1",
    "立邦抗碱底漆 5L×1", "华润木器漆 2.5kg×4", "多乐士防水涂料 20kg×2", "美涂士墙面漆 5L×2",
)  # fmt: skip
INSTALLERS = ("刘师傅", "陈师傅", "张师傅", "王师傅", "李师傅", "赵师傅", "")
EVALUATIONS = (("very_satisfied", 55), ("satisfied", 38), ("neutral", 5), ("dissatisfied", 2))
PAUSE_REASON = "等待客户确认时间"
# Open cases assigned to one technician, roughly (the crew per outlet follows from it).
OPEN_PER_TECHNICIAN = 60
CASE_FIELDS = (
    "id", "kind", "number", "company", "unit", "customer", "assignee", "stage", "priority",
    "title", "description", "version", "opened_at", "stage_entered_at", "due_at", "paused_at",
    "pause_reason", "breached_at", "closed_at", "counters", "created_by",
)  # fmt: skip
WORKORDER_FIELDS = (
    "case", "site_address", "installer_name", "installer_phone", "planned_start", "products",
    "first_visit_at", "evaluation", "signed_by", "signed_at", "signature", "signed_hash",
    "inspection", "return_visit_outcome", "signoff_method", "signoff_code_hash",
    "signoff_code_sent_at", "signoff_code_attempts",
)  # fmt: skip
EVENT_FIELDS = ("case", "kind", "at", "actor", "text", "data")
BATCH = 20_000


@dataclass
class CaseOrg:
    """The benchmark company with the people the case measures act as."""

    company: Any
    head: Any  # department head, company-wide (the department queue)
    outlets: list[Any]
    clerks: dict[int, Any]  # outlet id -> front-line Staff (opens work orders)
    technicians: dict[int, list[Any]]  # outlet id -> licensed technicians (Staff)


@dataclass
class CaseGenerateResult:
    org: CaseOrg
    inserted: int
    total: int
    seconds: float
    analyze_seconds: float = 0.0
    stages: dict[str, int] = field(default_factory=dict)
    overdue: int = 0

    @property
    def rows_per_second(self) -> float:
        return self.inserted / self.seconds if self.seconds else 0.0


def technicians_per_outlet(cases: int, outlets: int) -> int:
    """A crew big enough that each technician has tens of open cases, not thousands."""
    open_assigned = cases * 0.034
    return max(2, min(60, math.ceil(open_assigned / max(outlets, 1) / OPEN_PER_TECHNICIAN)))


def _password() -> str:
    return "Bx7!" + secrets.token_urlsafe(18)


def ensure_case_org(cases: int) -> CaseOrg:
    """The bench company (bench.generate) plus a clerk and technicians per outlet."""
    org = customers_generate.ensure_org()
    head = org.head
    crew = technicians_per_outlet(cases, len(org.outlets))
    # These logins never sign in with a password (the bench uses API tokens): a fast hasher
    # keeps creating hundreds of them to seconds instead of minutes of Argon2.
    with (
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        transaction.atomic(),
    ):
        existing = set(
            Staff.objects.filter(company=org.company).values_list("user__username", flat=True)
        )
        for outlet in org.outlets:
            username = f"bench_clerk_{outlet.code.lower()}"
            if username not in existing:
                org_actions.create_staff(
                    actor=head,
                    unit=outlet,
                    username=username,
                    name=f"前台{outlet.code[-3:]}",
                    role=Role.FRONTLINE,
                    password=_password(),
                )
            for k in range(crew):
                username = f"bench_tech_{outlet.code.lower()}_{k:02d}"
                if username not in existing:
                    org_actions.create_staff(
                        actor=head,
                        unit=outlet,
                        username=username,
                        name=f"技师{outlet.code[-3:]}-{k:02d}",
                        role=Role.TECHNICIAN,
                        password=_password(),
                    )
        # 持证上岗: only licensed technicians are sent on site (no action sets it yet; the
        # certification module will).
        Staff.objects.filter(company=org.company, role=Role.TECHNICIAN, work_licence=False).update(
            work_licence=True
        )
    staff = Staff.objects.filter(company=org.company).select_related("user", "unit")
    clerks: dict[int, Any] = {}
    technicians: dict[int, list[Any]] = {o.pk: [] for o in org.outlets}
    for member in staff.order_by("pk"):
        if member.role == Role.FRONTLINE and member.user.username.startswith("bench_clerk_"):
            clerks[member.unit_id] = member
        elif member.role == Role.TECHNICIAN and member.user.username.startswith("bench_tech_"):
            technicians[member.unit_id].append(member)
    return CaseOrg(org.company, head, org.outlets, clerks, technicians)


# -- the rows ---------------------------------------------------------------------------------


def _deadline(calendar, sla, start: dt.datetime) -> dt.datetime:
    """``manyi.cases.sla.deadline_for`` on a calendar loaded once per outlet (not per row)."""
    amount = Decimal(sla.amount)
    if sla.kind == SlaKind.BUSINESS_HOURS:
        return calendar.add_business_hours(start, amount)
    if sla.kind == SlaKind.NEXT_BUSINESS_DAY:
        return calendar.next_business_day(start)
    if sla.kind == SlaKind.BUSINESS_DAYS:
        return calendar.add_business_days(start, max(1, int(amount)))
    if sla.kind == SlaKind.CALENDAR_DAYS:
        return calendar.add_calendar_days(start, int(amount))
    raise ValueError(sla.kind)


@dataclass
class _Rows:
    cases: list[tuple[Any, ...]]
    orders: list[tuple[Any, ...]]
    events: list[tuple[Any, ...]]


class CaseRowMaker:
    """Builds the rows of case ordinals in order, numbering them per year as it goes."""

    def __init__(
        self,
        org: CaseOrg,
        count: int,
        *,
        first_id: int,
        now: dt.datetime,
        seed: int,
        stride: int = 1,
        customer_pool: int | None = None,
    ):
        self.org = org
        # ``stride`` > 1 leaves room between ids and numbers for copies of each case
        # (bench.generate_scale fills it in SQL); ``customer_pool`` draws customers from the
        # first N only, so each copy can take its own disjoint range of customers.
        self.stride = stride
        self.count = count
        self.first_id = first_id
        self.now = now
        self.seed = seed
        self.start = now - SPAN
        self.step = SPAN / count
        self.workflow = get_workflow(KIND)
        self.year_counts: Counter[int] = Counter()
        self.stage_counts: Counter[str] = Counter()
        self.overdue = 0
        tz = timezone.get_current_timezone()
        self.tz = tz
        outlets = {o.pk: o for o in org.outlets}
        self.outlets = outlets
        self.calendars = {pk: calendar_for(o) for pk, o in outlets.items()}
        customers = Customer.objects.filter(company=org.company).order_by("pk")
        self.customers = list(
            customers.values_list(
                "pk", "home_outlet_id", "name", "province", "city", "district", "address_detail"
            )[:customer_pool]
        )
        if not self.customers:
            raise ValueError("the bench company has no customers: run bench.generate first")
        with translation.override(settings.LANGUAGE_CODE):
            self.title = str(_("Technical service for %(customer)s"))
        self.priority_cum = list(itertools.accumulate(w for _p, w in PRIORITIES))
        self.evaluation_cum = list(itertools.accumulate(w for _e, w in EVALUATIONS))
        self.ends = list(itertools.accumulate(days for _s, days in STAGE_DAYS))
        self.full_address = Customer.full_address.fget

    def rows(self, start: int, stop: int) -> _Rows:
        out = _Rows([], [], [])
        for ordinal in range(start, stop):
            self._one(ordinal, out)
        return out

    def _one(self, ordinal: int, out: _Rows) -> None:
        rng = random.Random(self.seed * 1_000_003 + ordinal)
        random_ = rng.random
        case_id = self.first_id + ordinal * self.stride
        cust_id, outlet_id, name, province, city, district, detail = self.customers[
            rng.randrange(len(self.customers))
        ]
        outlet = self.outlets[outlet_id]
        clerk = self.org.clerks[outlet_id]
        crew = self.org.technicians[outlet_id]
        opened = self.start + self.step * (ordinal + 0.5)
        year = opened.astimezone(self.tz).year
        self.year_counts[year] += 1
        serial = (self.year_counts[year] - 1) * self.stride + 1
        number = f"{self.workflow.number_prefix}-{year}-{serial:06d}"
        priority = rng.choices(PRIORITIES, cum_weights=self.priority_cum)[0][0]
        pace = rng.lognormvariate(0.0, 0.5)
        age_days = (self.now - opened).total_seconds() / 86400

        def at(days: float) -> dt.datetime:
            return opened + dt.timedelta(days=days * pace)

        # Where the case stands: the stage whose span contains its age.
        index = next((i for i, end in enumerate(self.ends) if age_days < end * pace), None)
        cancel = random_() < 0.03
        if cancel and age_days >= 0.6 * pace:
            # Cancelled while contacting the customer (after the dispatch).
            stage, index = "cancelled", 1
            entered = closed = at(0.6)
        elif index is None:
            stage = "done"
            entered = closed = at(self.ends[-1])
        else:
            stage = STAGE_DAYS[index][0]
            entered = at(self.ends[index - 1]) if index else opened
            closed = None
        # Moves made so far: one per stage passed (the cancelled: dispatch, then cancel).
        moves = {"done": len(STAGE_DAYS), "cancelled": 2}.get(stage, index)
        assignee = crew[rng.randrange(len(crew))] if moves >= 1 else None
        due = paused = breached = None
        pause_reason = ""
        if closed is None:
            stage_def = self.workflow.stage(stage)
            sla = stage_def.sla_for_case(SimpleNamespace(priority=priority, unit=outlet))
            due = _deadline(self.calendars[outlet_id], sla, entered) if sla else None
            if stage_def.pausable and random_() < 0.05:
                paused = entered + (self.now - entered) * random_()
                pause_reason = PAUSE_REASON
            elif due is not None and due < self.now:
                breached = min(due + dt.timedelta(minutes=5), self.now)
                self.overdue += 1
        self.stage_counts[stage] += 1
        version = 1 + (1 if assignee else 0) + moves
        address = self.full_address(
            SimpleNamespace(province=province, city=city, district=district, address_detail=detail)
        )
        products = PRODUCTS[rng.randrange(len(PRODUCTS))]
        out.cases.append(
            (
                case_id, KIND, number, self.org.company.pk, outlet_id, cust_id,
                assignee.pk if assignee else None, stage, priority,
                self.title % {"customer": name}, products, version, opened, entered, due,
                paused, pause_reason, breached, closed, {}, clerk.user_id,
            )
        )  # fmt: skip
        done_record = stage == "done" or (index is not None and index >= 4)
        signed_at = at(self.ends[3]) if done_record else None
        evaluation = (
            rng.choices(EVALUATIONS, cum_weights=self.evaluation_cum)[0][0] if done_record else ""
        )
        out.orders.append(
            (
                case_id, address[:200], INSTALLERS[rng.randrange(len(INSTALLERS))], "",
                (opened + dt.timedelta(days=3)).astimezone(self.tz).date(), products,
                at(self.ends[1]) if stage == "done" or (index or 0) >= 2 else None,
                evaluation, name if done_record else "", signed_at, None, "", {},
                "satisfied" if stage == "done" else "",
                "canvas" if done_record else "", "", None, 0,
            )
        )  # fmt: skip
        out.events.append((case_id, "opened", opened, clerk.user_id, "", {"stage": "intake"}))
        if assignee is not None:
            out.events.append(
                (
                    case_id, "assign", at(self.ends[0] * 0.9), self.org.head.pk, "",
                    {"assignee": assignee.name, "previous": None},
                )
            )  # fmt: skip
        if stage != "intake":
            source = (
                STAGE_DAYS[index][0]
                if stage == "cancelled"
                else ("return_visit" if stage == "done" else STAGE_DAYS[index - 1][0])
            )
            data = {"move": MOVE_INTO[stage], "source": source, "target": stage}
            actor = assignee.user_id if assignee and stage in ("service", "record") else None
            out.events.append((case_id, "move", entered, actor or self.org.head.pk, "", data))


# -- loading ----------------------------------------------------------------------------------


def _copy(model, fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    meta = model._meta
    columns = ", ".join(meta.get_field(f).column for f in fields)
    json_at = [
        i for i, f in enumerate(fields) if meta.get_field(f).get_internal_type() == "JSONField"
    ]
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {meta.db_table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                if json_at:
                    row = list(row)
                    for i in json_at:
                        row[i] = json.dumps(row[i], ensure_ascii=False)
                copy.write_row(row)


def _with_defaults(
    model, fields: Sequence[str], rows: list[Sequence[Any]]
) -> tuple[Sequence[str], list[Sequence[Any]]]:
    """Add the model's NOT NULL columns that ``fields`` leaves out and that have a constant
    default (a column added by a migration after the generator was written), with that
    default: the database has no default of its own for them (Django keeps defaults in Python).
    """
    extra = [
        f
        for f in model._meta.concrete_fields
        if f.name not in fields
        and f.attname not in fields
        and not f.primary_key
        and not f.null
        and f.has_default()
        and not callable(f.default)
    ]
    if not extra:
        return fields, rows
    values = tuple(f.get_default() for f in extra)
    return (*fields, *(f.name for f in extra)), [(*row, *values) for row in rows]


def _insert(model, fields: Sequence[str], rows: list[Sequence[Any]]) -> None:
    fields, rows = _with_defaults(model, fields, rows)
    if connection.vendor == "postgresql":
        _copy(model, fields, rows)
    else:
        insert_rows(model, fields, rows)


def _reset_sequence() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('cases_case', 'id'), "
                "(SELECT coalesce(max(id), 1) FROM cases_case))"
            )
    # SQLite's AUTOINCREMENT follows explicit ids by itself (sqlite_sequence).


def remove_cases(org: CaseOrg) -> int:
    """Delete every case of the bench company (the empty-database measure's), and the counters."""
    with transaction.atomic(), connection.cursor() as cursor:
        company = org.company.pk
        sub = "SELECT id FROM cases_case WHERE company_id = %s"
        cursor.execute(f"DELETE FROM cases_caseevent WHERE case_id IN ({sub})", [company])  # noqa: S608
        cursor.execute(f"DELETE FROM workorders_workorder WHERE case_id IN ({sub})", [company])  # noqa: S608
        cursor.execute(f"DELETE FROM cases_attachment WHERE case_id IN ({sub})", [company])  # noqa: S608
        cursor.execute("DELETE FROM cases_case WHERE company_id = %s", [company])
        removed = cursor.rowcount
        # One company: the counters are the bench's.
        CaseCounter.objects.filter(kind=KIND).delete()
    return removed


def generate_cases(
    count: int,
    *,
    customers: int | None = None,
    seed: int = DEFAULT_SEED,
    progress: bool = False,
    stride: int = 1,
    customer_pool: int | None = None,
) -> CaseGenerateResult:
    """Make sure the bench company has ``count`` work orders (the org and customers too).

    Refuses to add to a company that already has cases (numbers and ids must stay in order):
    call :func:`remove_cases` first. Everything is one transaction. With ``stride`` > 1 the
    cases are a template for ``count * stride`` (ids and numbers ``stride`` apart, the crew and
    the counters sized for all of them; see :mod:`bench.generate_scale`).
    """
    customers = customers or max(1_000, count // 5)
    customers_generate.generate(customers, progress=progress)
    org = ensure_case_org(count * stride)
    existing = Case.objects.filter(company=org.company).count()
    if existing == count:
        return CaseGenerateResult(org, 0, count, 0.0)
    if existing:
        raise ValueError(f"the bench company has {existing} cases: remove them first")
    started = time.perf_counter()
    now = clock.now()
    first_id = (Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    maker = CaseRowMaker(
        org,
        count,
        first_id=first_id,
        now=now,
        seed=seed,
        stride=stride,
        customer_pool=customer_pool,
    )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for start in range(0, count, BATCH):
            rows = maker.rows(start, min(start + BATCH, count))
            _insert(Case, CASE_FIELDS, rows.cases)
            _insert(WorkOrder, WORKORDER_FIELDS, rows.orders)
            _insert(CaseEvent, EVENT_FIELDS, rows.events)
            done = min(start + BATCH, count)
            if progress and (done % 200_000 == 0 or done == count):
                rate = done / (time.perf_counter() - started)
                print(f"  cases: {done:,} ({rate:,.0f}/s)", file=sys.stderr, flush=True)
        for year, value in maker.year_counts.items():
            CaseCounter.objects.update_or_create(
                kind=KIND, year=year, defaults={"value": value * stride}
            )
        _reset_sequence()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    analyze = 0.0
    if connection.vendor == "postgresql":
        t = time.perf_counter()
        # VACUUM cannot run in a transaction (the test runs inside one): ANALYZE alone then.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        with connection.cursor() as cursor:
            for table in ("cases_case", "workorders_workorder", "cases_caseevent"):
                cursor.execute(f"{command} {table}")
        analyze = time.perf_counter() - t
    # SQLite: no ANALYZE, as the app never runs one (the measure sees production's plans).
    return CaseGenerateResult(
        org=org,
        inserted=count,
        total=count,
        seconds=time.perf_counter() - started,
        analyze_seconds=analyze,
        stages=dict(maker.stage_counts),
        overdue=maker.overdue,
    )
