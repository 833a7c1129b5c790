"""The cockpit's rollups: what they hold, how they stay current, how they are rebuilt.

**Why rollups.** The cockpit must answer in well under a second at 5M cases and 20M survey
answers (issue 8); one grouped aggregate over millions of raw rows takes seconds (DESIGN, "Rules
that keep it fast"). So the cockpit reads :class:`~manyi.insights.models_rollups.DayRollup` and
:class:`~manyi.insights.models_rollups.MonthRollup`, narrow tables of (unit, period, person,
metric, workflow, stage) → ``n``, ``value`` (the metrics: :class:`Metric`).

**Rows at every level.** Outlet rows come from the raw rows, once per person the fact belongs
to and once as the outlet's total (``person_key`` 0). A region's rows are the sum of its
outlets' totals, the company's the sum of its regions'. A company view therefore reads one
unit's twelve months (a few hundred rows), its children table one row set per region, and an
outlet's drill-down its persons' rows — never the whole company's outlet rows. Month rows are
the sums of the day rows; whole-month periods and every trend read months, a custom from–to
range reads days.

**What the raw facts are** (:func:`facts`), each keyed by the local calendar day:

- *opened*/*closed*: cases by the day opened/closed, per workflow;
- *stage*: stage completions (a move out of a stage with a clock) and how many of them were
  within the deadline, per workflow and stage — the engine records ``on_time`` on each move
  (``manyi.cases.actions.move``); the person is the staff member who made the move;
- *return*: return visits scheduled (a case entered the ``return_visit`` stage) on the day, and
  how many of those are done since (the case left that stage) — a cohort, so a rate never
  passes 100 %; the last month's is low while its visits are not yet due;
- *complaints*: complaints received at the outlet (a merged duplicate left out), by the day the
  complaint case was opened; the person is the staff member it is about;
- *purchases*: purchases recorded at the outlet by purchase date; the complaint rate is
  complaints per 1,000 purchases, the definition of ``manyi.complaints.analytics``;
- *audits*: submitted audits with a score and the sum of their index, by the audit's day.

Survey figures (CSI, NPS, CSAT) are read from the surveys app's own monthly rollups; the
five-star level and open actions are current state, small, read directly (``queries``).

**How they stay current** — "recompute a dirty slice", no signals (STYLE): every action that
changes a fact calls :func:`touch` with the outlet and the day(s) it changed; after the commit a
task (:func:`manyi.insights.tasks.recompute_slices`) recomputes that outlet-day from the raw rows
(``DELETE`` + ``INSERT … SELECT … GROUP BY``), then the region's and company's day rows and the
three month rows from the rows below them. It is idempotent: running it twice, late or after a
retry gives the same rows. Recomputes of one company are serialised by a lock on the company's
unit row, so two outlets of a region recomputed at once cannot each miss the other's total.

**Rebuild.** :func:`rebuild` recomputes one company (or all) set-based: one ``INSERT … SELECT
… GROUP BY`` per metric and level, no Python loop over rows (``manage.py
rebuild_insights_rollups``; the demo and the benchmark use it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import (
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils import timezone

from manyi.insights.models_rollups import DayRollup, Metric, MonthRollup
from manyi.org.models import Unit, UnitKind

# The stage whose entries and exits make the return-visit figures (workorders' 回访).
RETURN_STAGE = "return_visit"


# -- touching: the writing actions' one call ------------------------------------------------------


def day_of(value: dt.datetime | dt.date) -> dt.date:
    """The local calendar day of a timestamp (a date is its own day)."""
    if isinstance(value, dt.datetime):
        return timezone.localdate(value)
    return value


def touch(outlet_id: int | None, *days: dt.datetime | dt.date | None) -> None:
    """Mark the outlet's facts of these days changed: after the commit, a task recomputes them.

    Called by the writing actions (case open and move, complaint merge, audit submission,
    purchases); cheap, and harmless when called twice.
    """
    if not outlet_id:
        return
    touch_many({(int(outlet_id), day_of(day)) for day in days if day is not None})


def touch_many(slices: Iterable[tuple[int, dt.date]]) -> None:
    """Mark many (outlet id, day) slices changed (bulk imports): one task after the commit."""
    wanted = sorted({(int(o), d.isoformat()) for o, d in slices})
    if not wanted:
        return

    def enqueue() -> None:
        from manyi.insights.tasks import recompute_slices

        recompute_slices.enqueue([list(s) for s in wanted])

    transaction.on_commit(enqueue)


# -- the raw facts ------------------------------------------------------------------------------


def _local_range(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)


def _period(field: str) -> dict:
    """Day and month keys of a timestamp column (local time)."""
    return {
        "k_day": TruncDate(field),
        "k_month": TruncMonth(field, output_field=DateField()),
    }


def facts(
    *, company_id: int | None = None, outlet_id: int | None = None, day: dt.date | None = None
) -> list[QuerySet]:
    """The grouped raw-fact queries that make the outlets' day rows, for one company, or one
    outlet and day (the dirty slice); each selects the ``k_*`` columns of :class:`DayRollup`.

    Every fact comes twice: per person (where the fact has one) and as the outlet's total.
    """
    from manyi.cases.models import Case, CaseEvent, EventKind
    from manyi.complaints.models import Complaint
    from manyi.customers.models import Purchase
    from manyi.quality.models import Audit, AuditStatus

    def narrow(qs: QuerySet, unit: str, company: str, stamp: str | None, date: str | None):
        if company_id is not None:
            qs = qs.filter(**{company: company_id})
        if outlet_id is not None:
            qs = qs.filter(**{unit: outlet_id})
        if day is not None:
            if stamp is not None:
                start, end = _local_range(day)
                qs = qs.filter(**{f"{stamp}__gte": start, f"{stamp}__lt": end})
            else:
                qs = qs.filter(**{date: day})
        return qs

    def keys(company: str, unit: str, periods: dict, metric: str, kind=None, stage=None):
        return {
            "k_company": F(company),
            "k_unit": F(unit),
            **periods,
            "k_metric": Value(metric),
            "k_kind": kind if kind is not None else Value(""),
            "k_stage": stage if stage is not None else Value(""),
        }

    def both(qs: QuerySet, key: dict, person: str | None, **sums) -> list[QuerySet]:
        """The total rows, and per-person rows when the fact names a person."""
        out = [qs.values(**key, k_person_key=Value(0)).annotate(**sums).order_by()]
        if person is not None:
            out.append(
                qs.filter(**{f"{person}__isnull": False})
                .values(**key, k_person_key=F(person))
                .annotate(**sums)
                .order_by()
            )
        return out

    cases = narrow(Case.objects.all(), "unit_id", "company_id", "opened_at", None)
    closed = narrow(
        Case.objects.filter(closed_at__isnull=False), "unit_id", "company_id", "closed_at", None
    )
    moves = narrow(
        CaseEvent.objects.filter(kind=EventKind.MOVE),
        "case__unit_id",
        "case__company_id",
        "at",
        None,
    )
    stage_done = moves.filter(data__has_key="on_time")
    scheduled = moves.filter(data__target=RETURN_STAGE)
    left = CaseEvent.objects.filter(
        case=OuterRef("case"),
        kind=EventKind.MOVE,
        data__source=RETURN_STAGE,
        at__gte=OuterRef("at"),
    )
    complaints = narrow(
        Complaint.objects.filter(merged_into__isnull=True),
        "case__unit_id",
        "company_id",
        "case__opened_at",
        None,
    )
    purchases = narrow(
        Purchase.objects.all(), "outlet_id", "outlet__company_id", None, "purchased_on"
    )
    audits = narrow(
        Audit.objects.filter(status=AuditStatus.SUBMITTED, index__isnull=False, day__isnull=False),
        "outlet_id",
        "company_id",
        None,
        "day",
    )
    count = {"k_n": Count("pk"), "k_value": Value(0.0)}
    return [
        *both(
            cases,
            keys("company_id", "unit_id", _period("opened_at"), Metric.OPENED, F("kind")),
            None,
            **count,
        ),
        *both(
            closed,
            keys(
                "company_id", "unit_id", _period("closed_at"), Metric.CLOSED, F("kind"), F("stage")
            ),
            None,
            **count,
        ),
        *both(
            stage_done,
            keys(
                "case__company_id",
                "case__unit_id",
                _period("at"),
                Metric.STAGE,
                F("case__kind"),
                KT("data__source"),
            ),
            "actor__staff__id",
            k_n=Count("pk"),
            k_value=Count("pk", filter=Q(data__on_time=True)),
        ),
        *both(
            scheduled,
            keys(
                "case__company_id",
                "case__unit_id",
                _period("at"),
                Metric.RETURN,
                F("case__kind"),
            ),
            None,
            k_n=Count("pk"),
            k_value=Count("pk", filter=Q(Exists(left))),
        ),
        *both(
            complaints,
            keys("company_id", "case__unit_id", _period("case__opened_at"), Metric.COMPLAINTS),
            "about_staff_id",
            **count,
        ),
        *both(
            purchases,
            keys(
                "outlet__company_id",
                "outlet_id",
                {
                    "k_day": F("purchased_on"),
                    "k_month": TruncMonth("purchased_on", output_field=DateField()),
                },
                Metric.PURCHASES,
            ),
            None,
            **count,
        ),
        *both(
            audits,
            keys(
                "company_id", "outlet_id", {"k_day": F("day"), "k_month": F("month")}, Metric.AUDITS
            ),
            None,
            k_n=Count("pk"),
            k_value=Sum("index"),
        ),
    ]


# -- writing rows set-based -----------------------------------------------------------------------


def insert_select(model: type, qs: QuerySet) -> int:
    """``INSERT INTO <model> (…) SELECT …``: the rows of a grouped query whose selected names
    are ``k_<field>``, written without passing through Python."""
    query = qs.query
    # Django's compiler selects extra columns, then model fields, then annotations.
    names = [*query.extra_select, *query.values_select, *query.annotation_select]
    if not all(name.startswith("k_") for name in names):
        raise ValueError(f"every selected name must be k_<field>: {names}")
    columns = [model._meta.get_field(name[2:]).column for name in names]
    sql, params = query.sql_with_params()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) {sql}",
            params,
        )
        return max(cursor.rowcount, 0)


_ROW_KEYS = ("metric", "kind", "stage")


def _sum_rows(source: QuerySet, *, unit: int | None, period: str, with_person: bool) -> QuerySet:
    """Grouped sums of rollup rows, as ``k_*`` columns for :func:`insert_select`: under one
    parent unit (``unit`` given: the parent's rows, person 0) or per unit (month rows)."""
    key = {
        "k_company": F("company_id"),
        "k_unit": Value(unit) if unit is not None else F("unit_id"),
        "k_person_key": F("person_key") if with_person else Value(0),
        **{f"k_{name}": F(name) for name in _ROW_KEYS},
    }
    if period == "day":
        key |= {"k_day": F("day"), "k_month": F("month")}
    else:
        key |= {"k_month": F("month")}
    return (
        source.values(**key)
        .annotate(
            k_n=Coalesce(Sum("n"), 0, output_field=IntegerField()),
            k_value=Sum("value"),
        )
        .order_by()
    )


def _sum_up(outlet: Unit, day: dt.date) -> None:
    """After an outlet's day rows changed: its region's and company's day rows, then the
    month rows of all three."""
    region_id, company_id = outlet.parent_id, outlet.company_id
    for parent_id in (region_id, company_id):
        if parent_id is None:
            continue
        children = Unit.objects.filter(parent_id=parent_id).values("pk")
        DayRollup.objects.filter(unit_id=parent_id, day=day).delete()
        insert_select(
            DayRollup,
            _sum_rows(
                DayRollup.objects.filter(unit__in=children, day=day, person_key=0),
                unit=parent_id,
                period="day",
                with_person=False,
            ),
        )
    month = day.replace(day=1)
    next_month = (month + dt.timedelta(days=32)).replace(day=1)
    for unit_id in (outlet.pk, region_id, company_id):
        if unit_id is None:
            continue
        MonthRollup.objects.filter(unit_id=unit_id, month=month).delete()
        insert_select(
            MonthRollup,
            _sum_rows(
                # A range of days, so the unique key's index (unit, day, …) finds the rows.
                DayRollup.objects.filter(unit_id=unit_id, day__gte=month, day__lt=next_month),
                unit=None,
                period="month",
                with_person=True,
            ),
        )


def recompute(outlet_id: int, day: dt.date) -> None:
    """Recompute one outlet-day from the raw rows, and the rows above it (idempotent)."""
    with transaction.atomic():
        outlet = Unit.objects.filter(pk=outlet_id, kind=UnitKind.OUTLET).first()
        if outlet is None:
            return
        # Serialise the recomputes of one company: the region and company sums read the
        # outlets' rows, which a concurrent recompute might be rewriting.
        list(Unit.objects.select_for_update().filter(pk=outlet.company_id).values("pk"))
        DayRollup.objects.filter(unit_id=outlet_id, day=day).delete()
        for qs in facts(outlet_id=outlet_id, day=day):
            insert_select(DayRollup, qs)
        _sum_up(outlet, day)


def recompute_many(slices: Iterable[tuple[int, dt.date]]) -> int:
    """Recompute each (outlet id, day) slice; returns how many."""
    done = 0
    for outlet_id, day in sorted(set(slices)):
        recompute(outlet_id, day)
        done += 1
    return done


@transaction.atomic
def rebuild(company_id: int | None = None) -> dict[str, int]:
    """Recompute the rollups of one company (default: every company) from the raw rows,
    set-based. Returns the rows written per table."""
    companies = Unit.objects.filter(kind=UnitKind.COMPANY)
    if company_id is not None:
        companies = companies.filter(pk=company_id)
    written = {"day": 0, "month": 0}
    for company in companies.values_list("pk", flat=True):
        list(Unit.objects.select_for_update().filter(pk=company).values("pk"))
        DayRollup.objects.filter(company_id=company).delete()
        MonthRollup.objects.filter(company_id=company).delete()
        for qs in facts(company_id=company):
            written["day"] += insert_select(DayRollup, qs)
        for kind in (UnitKind.REGION, UnitKind.COMPANY):
            # Each level sums the totals of the level below (outlets → regions → company).
            below = DayRollup.objects.filter(
                company_id=company,
                person_key=0,
                unit__kind=UnitKind.OUTLET if kind == UnitKind.REGION else UnitKind.REGION,
            )
            written["day"] += insert_select(
                DayRollup,
                below.values(
                    k_company=F("company_id"),
                    k_unit=F("unit__parent_id"),
                    k_person_key=Value(0),
                    k_day=F("day"),
                    k_month=F("month"),
                    **{f"k_{name}": F(name) for name in _ROW_KEYS},
                )
                .annotate(k_n=Sum("n"), k_value=Sum("value"))
                .order_by(),
            )
        written["month"] += insert_select(
            MonthRollup,
            _sum_rows(
                DayRollup.objects.filter(company_id=company),
                unit=None,
                period="month",
                with_person=True,
            ),
        )
    return written
