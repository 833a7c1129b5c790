"""Scoreboards (003 P-077..079): each person's and each team's service results over a period.

P-079 lists what to chart: sales effort, new customers, total customers, thank-you letters,
complaints, survey scores, audit scores, speed and efficiency. Here, per person (the staff
member responsible for the cases — ``Case.assignee``) and per team (an outlet):

=================  ==========================================================================
cases handled      cases closed in the period (not cancelled or merged)
customers          person: distinct customers of the cases opened for them in the period, and
                   how many of those became customers in the period ("new"); team: the
                   outlet's customers at the end of the period, and those added in it
praise             customers' words of praise (``surveys.Praise``) in the period
recognitions       managers' daily verbal recognition (:class:`~manyi.team.models.Recognition`)
complaints         person: complaints about them (``Complaint.about_staff``); team: complaints
                   received at the outlet (merged duplicates left out)
surveys            responses about their cases: count, mean index (0–100), NPS, CSAT
audits             team only: mean index of the outlet's submitted service audits (an audit
                   checks an outlet, not a person)
speed              median hours a stage took (from one timeline move to the next, for the
                   moves made in the period), and the share of stage passages without a
                   missed deadline (1 − deadline-missed events / passages)
=================  ==========================================================================

Every measure is one SQL aggregate grouped by the person or the team (the median by window
functions, on SQLite and PostgreSQL alike); nothing loops over rows. Period keys stored on the
rows (``month``) are used where they exist; cases are filtered on their timestamps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Avg, Count, DateField, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from manyi.cases.models import Case, CaseEvent, EventKind
from manyi.complaints.models import Complaint
from manyi.customers.models import Customer
from manyi.errors import NotFound
from manyi.org.models import Staff, Unit, UnitKind
from manyi.org.scopes import Perm, Scope
from manyi.quality.models import Audit, AuditStatus
from manyi.surveys.models import Praise, SurveyResponse
from manyi.team.actions.common import NOT_TEAM_ROLES
from manyi.team.models import Recognition

# Closing stages that are not work done.
NOT_HANDLED = ("cancelled", "merged")
PERSON, TEAM = "person", "team"


@dataclass(frozen=True)
class Period:
    """Whole months: ``start`` is the first day of the first, ``end`` the first day after the
    last."""

    start: dt.date
    end: dt.date

    @property
    def last_month(self) -> dt.date:
        return (self.end - dt.timedelta(days=1)).replace(day=1)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The period as aware datetimes in local time."""
        tz = timezone.get_current_timezone()
        return (
            dt.datetime.combine(self.start, dt.time(), tzinfo=tz),
            dt.datetime.combine(self.end, dt.time(), tzinfo=tz),
        )

    def months(self) -> list[dt.date]:
        months, month = [], self.start
        while month < self.end:
            months.append(month)
            month = next_month(month)
        return months


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def period_of(first: dt.date, last: dt.date) -> Period:
    """The months from ``first``'s to ``last``'s, inclusive (at most 24)."""
    start, last = first.replace(day=1), last.replace(day=1)
    if last < start:
        start, last = last, start
    period = Period(start, next_month(last))
    while len(period.months()) > 24:
        period = Period(next_month(period.start), period.end)
    return period


def default_period(today: dt.date, months: int = 3) -> Period:
    """The current month and the ones before it."""
    start = today.replace(day=1)
    for _i in range(months - 1):
        start = (start - dt.timedelta(days=1)).replace(day=1)
    return period_of(start, today)


@dataclass
class Row:
    """One person's or team's figures over the period."""

    key: int
    name: str
    unit_name: str = ""
    cases_handled: int = 0
    customers: int = 0
    new_customers: int = 0
    praise: int = 0
    recognitions: int = 0
    complaints: int = 0
    surveys: int = 0
    survey_index: float | None = None
    nps: float | None = None
    csat: float | None = None
    audit_score: float | None = None
    median_hours: float | None = None
    passages: int = 0
    breaches: int = 0
    rank: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def on_time(self) -> float | None:
        """% of stage passages without a missed deadline."""
        if not self.passages:
            return None
        return max(0.0, 100.0 * (1 - self.breaches / self.passages))


# (attribute, label, higher is better): the columns a board can be ranked by.
MEASURES = [
    ("cases_handled", _("cases handled"), True),
    ("customers", pgettext_lazy("count", "customers"), True),
    ("new_customers", _("new customers"), True),
    ("praise", pgettext_lazy("customers", "praise"), True),
    ("recognitions", _("recognitions"), True),
    ("complaints", _("complaints"), False),
    ("survey_index", _("survey index"), True),
    ("nps", _("NPS"), True),
    ("csat", _("CSAT %"), True),
    ("audit_score", _("audit score"), True),
    ("median_hours", _("median hours per stage"), False),
    ("on_time", _("on time %"), True),
]
MEASURE_NAMES = {name for name, _label, _better in MEASURES}


# -- who is on the board -----------------------------------------------------------------------


def reads_boards(scope: Scope) -> bool:
    """Managers and report readers see their units' boards; everyone else their own line."""
    return scope.can(Perm.VIEW_REPORTS)


def people_in_view(scope: Scope, unit: Unit | None = None) -> QuerySet[Staff]:
    """The staff whose line the user may see: their subtree's team members (managers) or
    themselves."""
    if not reads_boards(scope):
        return Staff.objects.filter(pk=scope.staff_id) if scope.staff_id else Staff.objects.none()
    qs = scope.filter(
        Staff.objects.filter(user__is_active=True).exclude(role__in=NOT_TEAM_ROLES),
        unit_field="unit",
    )
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    return qs


def teams_in_view(scope: Scope, unit: Unit | None = None) -> QuerySet[Unit]:
    """The outlets whose line the user may see (managers and report readers only)."""
    if not reads_boards(scope):
        return Unit.objects.none()
    qs = scope.units().filter(kind=UnitKind.OUTLET, is_active=True)
    if unit is not None:
        qs = qs.filter(path__startswith=unit.path)
    return qs


def get_person(scope: Scope, pk: Any) -> Staff:
    """One person whose scoreboard the user may see, or NotFound."""
    try:
        return people_in_view(scope).select_related("unit").get(pk=pk)
    except (Staff.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc


def get_team(scope: Scope, pk: Any) -> Unit:
    """One outlet whose scoreboard the user may see, or NotFound."""
    try:
        return teams_in_view(scope).get(pk=pk)
    except (Unit.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc


# -- the measures: one grouped query each ----------------------------------------------------------


def _pairs(qs: QuerySet, key: str, **aggregates) -> dict[int, dict[str, Any]]:
    """{key value: {aggregate: value}} from one GROUP BY."""
    return {row.pop(key): row for row in qs.values(key).annotate(**aggregates).order_by()}


def cases_handled(by: str, keys: Iterable[int], period: Period) -> dict[int, dict[str, Any]]:
    """Cases closed in the period, by assignee or outlet."""
    start, end = period.bounds()
    key = "assignee_id" if by == PERSON else "unit_id"
    qs = Case.objects.filter(
        **{f"{key}__in": list(keys)}, closed_at__gte=start, closed_at__lt=end
    ).exclude(stage__in=NOT_HANDLED)
    return _pairs(qs, key, n=Count("id"))


def customers(by: str, keys: Iterable[int], period: Period) -> dict[int, dict[str, Any]]:
    """Customers served (person) or held (team), and the new ones among them."""
    start, end = period.bounds()
    if by == PERSON:
        qs = Case.objects.filter(
            assignee_id__in=list(keys), opened_at__gte=start, opened_at__lt=end
        )
        new = Q(customer__created_at__gte=start, customer__created_at__lt=end)
        return _pairs(
            qs,
            "assignee_id",
            total=Count("customer", distinct=True),
            new=Count("customer", distinct=True, filter=new),
        )
    qs = Customer.objects.filter(home_outlet_id__in=list(keys), created_at__lt=end)
    return _pairs(
        qs, "home_outlet_id", total=Count("id"), new=Count("id", filter=Q(created_at__gte=start))
    )


def praise(by: str, keys: Iterable[int], period: Period) -> dict[int, dict[str, Any]]:
    """Customers' praise in the period."""
    key = "technician_id" if by == PERSON else "unit_id"
    qs = Praise.objects.filter(
        **{f"{key}__in": list(keys)}, month__gte=period.start, month__lt=period.end
    )
    return _pairs(qs, key, n=Count("id"))


def recognitions(by: str, keys: Iterable[int], period: Period) -> dict[int, dict[str, Any]]:
    """Managers' daily recognitions in the period."""
    key = "staff_id" if by == PERSON else "unit_id"
    qs = Recognition.objects.filter(
        **{f"{key}__in": list(keys)}, month__gte=period.start, month__lt=period.end
    )
    return _pairs(qs, key, n=Count("id"))


def complaints(by: str, keys: Iterable[int], period: Period) -> dict[int, dict[str, Any]]:
    """Complaints about the person, or received at the outlet, in the period."""
    key = "about_staff_id" if by == PERSON else "case__unit_id"
    qs = Complaint.objects.filter(
        **{f"{key}__in": list(keys)},
        received_month__gte=period.start,
        received_month__lt=period.end,
        merged_into__isnull=True,
    )
    return _pairs(qs, key, n=Count("id"))


def surveys(by: str, keys: Iterable[int], period: Period) -> dict[int, dict[str, Any]]:
    """Survey responses about their work: count, mean index, NPS and CSAT counts."""
    key = "technician_id" if by == PERSON else "unit_id"
    qs = SurveyResponse.objects.filter(
        **{f"{key}__in": list(keys)}, month__gte=period.start, month__lt=period.end
    )
    return _pairs(
        qs,
        key,
        n=Count("id"),
        index=Avg("index"),
        promoters=Count("id", filter=Q(nps_category="promoter")),
        detractors=Count("id", filter=Q(nps_category="detractor")),
        nps_answered=Count("id", filter=~Q(nps_category="")),
        top2=Count("id", filter=Q(csat_top2=True)),
        csat_answered=Count("id", filter=Q(csat_top2__isnull=False)),
    )


def audits(by: str, keys: Iterable[int], period: Period) -> dict[int, dict[str, Any]]:
    """Mean index of the outlets' submitted service audits (teams only)."""
    if by == PERSON:
        return {}
    qs = Audit.objects.filter(
        outlet_id__in=list(keys),
        status=AuditStatus.SUBMITTED,
        month__gte=period.start,
        month__lt=period.end,
    )
    return _pairs(qs, "outlet_id", score=Avg("index"))


def _seconds(later: str, earlier: str) -> str:
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def speed(by: str, keys: Iterable[int], period: Period) -> dict[int, dict[str, Any]]:
    """Median seconds per stage passage and the number of passages (one query).

    A passage is a move in the period; it took the time since the case's previous move (or its
    opening), read with LAG over the case's timeline. The median is the middle row (or the mean
    of the two middle rows) numbered with ROW_NUMBER within each person or team.
    """
    keys = list(keys)
    if not keys:
        return {}
    start, end = period.bounds()
    ops = connection.ops
    case, event = Case._meta.db_table, CaseEvent._meta.db_table
    key = "assignee_id" if by == PERSON else "unit_id"
    marks = ", ".join(["%s"] * len(keys))
    # Only cases alive during the period can have a move in it (the (assignee, closed_at) and
    # (unit, id) indexes find them); their timelines come through the (case, at) index.
    sql = f"""
        WITH ev AS (
            SELECT e.case_id, e.kind, e.at,
                   LAG(e.at) OVER (PARTITION BY e.case_id ORDER BY e.at, e.id) AS prev_at
            FROM {event} e
            WHERE e.kind IN ('opened', 'move') AND e.case_id IN (
                SELECT c.id FROM {case} c
                WHERE c.{key} IN ({marks}) AND c.opened_at < %s
                  AND (c.closed_at IS NULL OR c.closed_at >= %s)
            )
        ),
        d AS (
            SELECT c.{key} AS k, {_seconds("ev.at", "ev.prev_at")} AS dur
            FROM ev JOIN {case} c ON c.id = ev.case_id
            WHERE ev.kind = 'move' AND ev.at >= %s AND ev.at < %s AND ev.prev_at IS NOT NULL
        ),
        r AS (
            SELECT k, dur,
                   ROW_NUMBER() OVER (PARTITION BY k ORDER BY dur) AS rn,
                   COUNT(*) OVER (PARTITION BY k) AS n
            FROM d
        )
        SELECT k, AVG(dur), MAX(n) FROM r
        WHERE rn = (n + 1) / 2 OR rn = (n + 2) / 2
        GROUP BY k
    """  # noqa: S608 - table and column names come from the models, values are parameters
    end_value = ops.adapt_datetimefield_value(end)
    start_value = ops.adapt_datetimefield_value(start)
    params = [*keys, end_value, start_value, start_value, end_value]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {
            k: {"median": float(median), "passages": int(n)} for k, median, n in cursor.fetchall()
        }


def breaches(by: str, keys: Iterable[int], period: Period) -> dict[int, dict[str, Any]]:
    """Missed stage deadlines (the engine's breach events) in the period, on their cases."""
    start, end = period.bounds()
    key = "case__assignee_id" if by == PERSON else "case__unit_id"
    qs = CaseEvent.objects.filter(
        **{f"{key}__in": list(keys)}, kind=EventKind.BREACH, at__gte=start, at__lt=end
    )
    return _pairs(qs, key, n=Count("id"))


# -- the boards -----------------------------------------------------------------------------------


def _fill(rows: dict[int, Row], by: str, period: Period) -> None:
    keys = list(rows)
    for k, v in cases_handled(by, keys, period).items():
        rows[k].cases_handled = v["n"]
    for k, v in customers(by, keys, period).items():
        rows[k].customers, rows[k].new_customers = v["total"], v["new"]
    for k, v in praise(by, keys, period).items():
        rows[k].praise = v["n"]
    for k, v in recognitions(by, keys, period).items():
        rows[k].recognitions = v["n"]
    for k, v in complaints(by, keys, period).items():
        rows[k].complaints = v["n"]
    for k, v in surveys(by, keys, period).items():
        row = rows[k]
        row.surveys, row.survey_index = v["n"], v["index"]
        if v["nps_answered"]:
            row.nps = 100.0 * (v["promoters"] - v["detractors"]) / v["nps_answered"]
        if v["csat_answered"]:
            row.csat = 100.0 * v["top2"] / v["csat_answered"]
    for k, v in audits(by, keys, period).items():
        rows[k].audit_score = v["score"]
    for k, v in speed(by, keys, period).items():
        rows[k].median_hours, rows[k].passages = v["median"] / 3600.0, v["passages"]
    for k, v in breaches(by, keys, period).items():
        rows[k].breaches = v["n"]


def rank(rows: list[Row], sort: str) -> list[Row]:
    """Order by a measure (best first; rows without a figure last) and number the places."""
    if sort not in MEASURE_NAMES:
        sort = "cases_handled"
    better_high = next(b for name, _l, b in MEASURES if name == sort)

    def key(row: Row):
        value = getattr(row, sort)
        if value is None:
            return (1, 0.0, row.name)
        return (0, -value if better_high else value, row.name)

    ordered = sorted(rows, key=key)
    for place, row in enumerate(ordered, start=1):
        row.rank = place
    return ordered


def person_board(
    scope: Scope, period: Period, *, unit: Unit | None = None, sort: str = "cases_handled"
) -> list[Row]:
    """Every person in view with their figures, ranked (a fixed number of queries)."""
    people = people_in_view(scope, unit).select_related("unit").order_by("unit__path", "name")
    rows = {s.pk: Row(key=s.pk, name=s.name, unit_name=s.unit.name) for s in people[:500]}
    if rows:
        _fill(rows, PERSON, period)
    return rank(list(rows.values()), sort)


def team_board(
    scope: Scope, period: Period, *, unit: Unit | None = None, sort: str = "cases_handled"
) -> list[Row]:
    """Every outlet in view with its figures, ranked."""
    rows = {u.pk: Row(key=u.pk, name=u.name) for u in teams_in_view(scope, unit).order_by("path")}
    if rows:
        _fill(rows, TEAM, period)
    return rank(list(rows.values()), sort)


def person_row(staff: Staff, period: Period) -> Row:
    """One person's figures (their own scoreboard, the appraisal page)."""
    rows = {staff.pk: Row(key=staff.pk, name=staff.name, unit_name=staff.unit.name)}
    _fill(rows, PERSON, period)
    return rows[staff.pk]


def team_row(unit: Unit, period: Period) -> Row:
    """One outlet's figures."""
    rows = {unit.pk: Row(key=unit.pk, name=unit.name)}
    _fill(rows, TEAM, period)
    return rows[unit.pk]


# -- month by month (the line charts) ------------------------------------------------------


def monthly(by: str, key: int, period: Period) -> dict[str, list[float | None]]:
    """The counts and the survey index of one person or team per month of the period (one
    grouped query per measure; a person's closed cases are few, so their month is truncated in
    the query)."""
    months = period.months()
    start, end = period.bounds()
    case_key = "assignee_id" if by == PERSON else "unit_id"
    closed = (
        Case.objects.filter(**{case_key: key}, closed_at__gte=start, closed_at__lt=end)
        .exclude(stage__in=NOT_HANDLED)
        .annotate(m=TruncMonth("closed_at", output_field=DateField()))
        .values("m")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_month: dict[str, dict[dt.date, float]] = {"cases_handled": {r["m"]: r["n"] for r in closed}}
    sources = [
        ("praise", Praise.objects, "technician_id" if by == PERSON else "unit_id", "month"),
        ("recognitions", Recognition.objects, "staff_id" if by == PERSON else "unit_id", "month"),
        (
            "complaints",
            Complaint.objects.filter(merged_into__isnull=True),
            "about_staff_id" if by == PERSON else "case__unit_id",
            "received_month",
        ),
    ]
    for name, qs, field_name, month_field in sources:
        rows = (
            qs.filter(
                **{field_name: key, f"{month_field}__gte": period.start},
                **{f"{month_field}__lt": period.end},
            )
            .values(month_field)
            .annotate(n=Count("id"))
            .order_by()
        )
        by_month[name] = {r[month_field]: r["n"] for r in rows}
    responses = (
        SurveyResponse.objects.filter(
            **{"technician_id" if by == PERSON else "unit_id": key},
            month__gte=period.start,
            month__lt=period.end,
        )
        .values("month")
        .annotate(index=Avg("index"))
        .order_by()
    )
    by_month["survey_index"] = {r["month"]: r["index"] for r in responses}
    series: dict[str, list[float | None]] = {}
    for name, values in by_month.items():
        default = None if name == "survey_index" else 0
        series[name] = [values.get(m, default) for m in months]
    return series
