"""The cockpit's read side: every indicator of a unit or a person, with its trend over twelve
months, the change against the previous period and the rows of the children to drill into.

:func:`cockpit` is the public entry point (the page, the API, the Excel export, the weekly
report and the scale benchmark call it)::

    cockpit(scope, *, unit=None, person=None, start: date, end: date) -> Cockpit

``unit`` and ``person`` are ids (or objects) the scope must cover: a manager sees their own
subtree only, anything else is :class:`~manyi.errors.NotFound` (its existence does not leak); a
role without ``VIEW_REPORTS`` gets :class:`~manyi.errors.OutOfScope`. Without a unit, the
reader's home unit. The previous period is the one of the same length just before ``start``
(the previous month, quarter, year, or as many days).

**The indicators** (:data:`INDICATORS`):

- *CSI* — mean 0–100 index of the survey responses; *NPS* — % promoters − % detractors;
  *CSAT* — % top-2 answers of the satisfaction question: from the surveys app's monthly
  rollups (``SurveyRollup``), by the month of the answer; a custom range of days reads the
  months it touches;
- *complaint rate* — complaints received per 1,000 purchases recorded at the same outlets in
  the same period (the definition of ``manyi.complaints.analytics``; none without purchases);
- *SLA compliance* — % of the stage completions that were within the stage's deadline, all
  stages; per workflow and stage in :attr:`Cockpit.stages`;
- *return-visit completion* — % of the return visits scheduled in the period that are done;
- *audit score* — mean index (0–100) of the submitted audits;
- *five-star level* — the unit's own latest self-assessment (0–5 stars) at the end of the
  period (the history gives its trend);
- *open actions* — improvement actions open or in progress now in the unit's subtree (or owned
  by the person), with how many are overdue: current state, no trend.

A person's cockpit (and an outlet's table of people) shows :data:`PERSON_CODES` only.

**Cost.** Whatever the number of units: the unit's months (one query on the month rollups,
plus two on the day rollups for a custom range), the children's period sums (one), the survey
rollups (two), five-star history (one), open actions (one or two), the children's names (one).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.errors import InvalidInput, NotFound, interpolate
from manyi.insights.models_rollups import DayRollup, Metric, MonthRollup
from manyi.org.models import Staff, Unit, UnitKind
from manyi.org.scopes import Perm, Scope

TREND_MONTHS = 12
# The longest custom range one request may ask for (days): five years.
MAX_DAYS = 5 * 366


@dataclass(frozen=True)
class IndicatorDef:
    """How one indicator is shown: its label, number format and which way is better."""

    code: str
    label: Promise
    fmt: str  # "index" (0–100), "score" (−100…100), "percent", "rate", "stars", "count"
    higher_is_better: bool = True


INDICATORS: tuple[IndicatorDef, ...] = (
    IndicatorDef("csi", _("CSI"), "index"),
    IndicatorDef("nps", _("NPS"), "score"),
    IndicatorDef("csat", _("CSAT"), "percent"),
    IndicatorDef("complaint_rate", _("Complaints per 1,000 purchases"), "rate", False),
    IndicatorDef("sla", _("SLA compliance"), "percent"),
    IndicatorDef("return_visits", _("Return visits done"), "percent"),
    IndicatorDef("audit", _("Audit score"), "index"),
    IndicatorDef("five_star", _("Five-star level"), "stars"),
    IndicatorDef("open_actions", _("Open actions"), "count", False),
)
CODES = tuple(d.code for d in INDICATORS)
# What a person's figures can say: survey scores of their work (technician), their stage
# completions on time, their open actions. Purchases, audits, return-visit cohorts and the
# five-star level belong to units.
PERSON_CODES = ("csi", "nps", "csat", "sla", "open_actions")


# -- the period ---------------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    """The first day of the month ``n`` months after ``month``'s (negative: before)."""
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@dataclass(frozen=True)
class Period:
    """A range of days [start, end] and the one of the same length just before it."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInput(_("The end date is before the start date."), field="to")
        if (self.end - self.start).days >= MAX_DAYS:
            raise InvalidInput(
                interpolate(_("Choose at most %(n)d days."), {"n": MAX_DAYS}), field="to"
            )

    @property
    def whole_months(self) -> bool:
        return self.start.day == 1 and self.end == month_end(self.end)

    @property
    def months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def previous(self) -> Period:
        """The period of the same length just before: the previous month, quarter, year, or
        as many days."""
        if self.whole_months:
            start = add_months(self.start, -self.months)
            return Period(start, self.start - dt.timedelta(days=1))
        length = self.end - self.start
        end = self.start - dt.timedelta(days=1)
        return Period(end - length, end)


def period_for(kind: str, at: dt.date) -> Period:
    """The month, quarter or year that contains ``at``."""
    if kind == "quarter":
        first = dt.date(at.year, (at.month - 1) // 3 * 3 + 1, 1)
        return Period(first, month_end(add_months(first, 2)))
    if kind == "year":
        return Period(dt.date(at.year, 1, 1), dt.date(at.year, 12, 31))
    return Period(month_start(at), month_end(at))


PERIOD_KINDS = ("month", "quarter", "year", "custom")


def parse_period(params: Mapping[str, Any]) -> Period:
    """The period of a query string: ``period`` = month | quarter | year with ``at`` (YYYY-MM,
    default this month), or ``custom`` with ``from`` and ``to`` (YYYY-MM-DD). Bad values raise
    :class:`InvalidInput` naming the field."""
    kind = (params.get("period") or "month").strip()
    if kind not in PERIOD_KINDS:
        raise InvalidInput(_("Choose month, quarter, year or custom."), field="period")
    if kind == "custom":
        start = _parse_date(params.get("from"), "from")
        end = _parse_date(params.get("to"), "to")
        return Period(start, end)
    raw = (params.get("at") or "").strip()
    if not raw:
        return period_for(kind, clock.now().date())
    try:
        at = dt.datetime.strptime(raw, "%Y-%m").date()  # noqa: DTZ007 (a month, no time)
    except ValueError as exc:
        raise InvalidInput(_("Enter a month as YYYY-MM."), field="at") from exc
    if not 2000 <= at.year <= 2100:
        raise InvalidInput(_("Enter a month as YYYY-MM."), field="at")
    return period_for(kind, at)


def _parse_date(raw: Any, name: str) -> dt.date:
    try:
        day = dt.date.fromisoformat((raw or "").strip())
    except (ValueError, TypeError, AttributeError) as exc:
        raise InvalidInput(_("Enter a date as YYYY-MM-DD."), field=name) from exc
    if not 2000 <= day.year <= 2100:
        raise InvalidInput(_("Enter a date as YYYY-MM-DD."), field=name)
    return day


# -- who and where ------------------------------------------------------------------------------


def home_unit(scope: Scope) -> Unit:
    """The unit a reader's cockpit opens on: their home unit (an installation superuser: the
    first company)."""
    if scope.unit_id is not None:
        return Unit.objects.get(pk=scope.unit_id)
    unit = scope.units().filter(kind=UnitKind.COMPANY).order_by("pk").first()
    if unit is None:
        raise NotFound()
    return unit


def _pk(value: Any) -> int:
    pk = getattr(value, "pk", value)
    try:
        pk = int(pk)
    except (TypeError, ValueError) as exc:
        raise NotFound() from exc
    if not 0 < pk < 2**63:
        raise NotFound()
    return pk


def resolve(scope: Scope, unit: Any = None, person: Any = None) -> tuple[Unit, Staff | None]:
    """The unit and person a reader asks for, if their scope covers them (else NotFound)."""
    scope.require(Perm.VIEW_REPORTS)
    if person not in (None, ""):
        staff = Staff.objects.select_related("unit").filter(pk=_pk(person)).first()
        if staff is None or not scope.covers(staff.unit):
            raise NotFound()
        if scope.company_id is not None and staff.company_id != scope.company_id:
            raise NotFound()
        return staff.unit, staff
    if unit in (None, ""):
        return home_unit(scope), None
    found = scope.units().filter(pk=_pk(unit)).first()
    if found is None:
        raise NotFound()
    return found, None


# -- the result ---------------------------------------------------------------------------------


@dataclass
class Indicator:
    """One indicator: its value in the period, the previous period's, the change, the trend."""

    code: str
    label: Promise
    fmt: str
    higher_is_better: bool
    value: float | None
    previous: float | None
    trend: list[float | None]
    detail: str = ""

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def direction(self) -> str:
        """ "up", "down" or "flat" — and whether that is good ("good"/"bad"/"")."""
        change = self.change
        if change is None or abs(change) < 1e-9:
            return "flat"
        return "up" if change > 0 else "down"

    @property
    def verdict(self) -> str:
        direction = self.direction
        if direction == "flat":
            return ""
        return "good" if (direction == "up") == self.higher_is_better else "bad"


@dataclass
class ChildRow:
    """One row of the drill-down table: a region, an outlet or a person."""

    level: str  # "unit" or "person"
    pk: int
    name: str
    kind: str  # region / outlet / a person's role
    values: dict[str, float | None]
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class StageRow:
    """SLA compliance of one workflow stage in the period and the previous one."""

    kind: str
    workflow: str
    stage: str
    label: str
    completions: int
    on_time: int
    rate: float | None
    previous: float | None


@dataclass
class CaseRow:
    """Cases opened and closed of one workflow in the period."""

    kind: str
    workflow: str
    opened: int
    closed: int


@dataclass
class Cockpit:
    """What the cockpit shows for one unit or one person and one period."""

    unit: Unit
    person: Staff | None
    period: Period
    previous: Period
    months: list[dt.date]
    indicators: list[Indicator]
    children: list[ChildRow]
    child_level: str  # "region", "outlet", "person" or ""
    stages: list[StageRow]
    cases: list[CaseRow]
    path: list[Unit]

    def indicator(self, code: str) -> Indicator:
        return next(i for i in self.indicators if i.code == code)


# -- sums ---------------------------------------------------------------------------------------

Sums = dict[tuple[str, str, str], list[float]]


def _add(sums: Sums, row: Mapping[str, Any]) -> None:
    slot = sums.setdefault((row["metric"], row["kind"], row["stage"]), [0, 0.0])
    slot[0] += row["n"] or 0
    slot[1] += row["v"] or 0.0


def _total(sums: Sums, metric: str) -> tuple[int, float]:
    n, v = 0, 0.0
    for (m, _k, _s), (rows, value) in sums.items():
        if m == metric:
            n += rows
            v += value
    return int(n), v


def _ratio(part: float, whole: float, scale: float = 100.0) -> float | None:
    return part * scale / whole if whole else None


def case_figures(sums: Sums) -> dict[str, float | None]:
    """The rollup indicators of a set of sums."""
    complaints, _v = _total(sums, Metric.COMPLAINTS)
    purchases, _v = _total(sums, Metric.PURCHASES)
    stage_n, stage_on_time = _total(sums, Metric.STAGE)
    due, done = _total(sums, Metric.RETURN)
    audits, audit_sum = _total(sums, Metric.AUDITS)
    return {
        "complaint_rate": _ratio(complaints, purchases, 1000.0),
        "sla": _ratio(stage_on_time, stage_n),
        "return_visits": _ratio(done, due),
        "audit": audit_sum / audits if audits else None,
    }


SURVEY_FIELDS = (
    "indexed",
    "index_sum",
    "promoters",
    "passives",
    "detractors",
    "csat_answered",
    "csat_top2",
)


def survey_figures(row: Mapping[str, Any] | None) -> dict[str, float | None]:
    """CSI, NPS and CSAT from summed survey rollup columns."""
    from manyi.instruments.scoring import csat, nps

    row = row or {}
    g = {name: row.get(name) or 0 for name in SURVEY_FIELDS}
    return {
        "csi": g["index_sum"] / g["indexed"] if g["indexed"] else None,
        "nps": nps(g["promoters"], g["passives"], g["detractors"]),
        "csat": csat(g["csat_top2"], g["csat_answered"]),
    }


def _survey_sums() -> dict[str, Sum]:
    return {name: Sum(name) for name in SURVEY_FIELDS}


# -- the reads ----------------------------------------------------------------------------------


def _rollup_filter(unit: Unit, person: Staff | None, scope_path: str) -> Q:
    if person is not None:
        # A person's rows at every outlet the reader sees.
        return Q(person_key=person.pk, unit__path__startswith=scope_path)
    return Q(unit_id=unit.pk, person_key=0)


def _months_rows(where: Q, first: dt.date, last: dt.date) -> dict[dt.date, Sums]:
    by_month: dict[dt.date, Sums] = defaultdict(dict)
    rows = (
        MonthRollup.objects.filter(where, month__gte=first, month__lte=last)
        .values("month", "metric", "kind", "stage")
        .annotate(n=Sum("n"), v=Sum("value"))
        .order_by()
    )
    for row in rows:
        _add(by_month[row["month"]], row)
    return by_month


def _day_sums(where: Q, period: Period) -> Sums:
    sums: Sums = {}
    rows = (
        DayRollup.objects.filter(where, day__gte=period.start, day__lte=period.end)
        .values("metric", "kind", "stage")
        .annotate(n=Sum("n"), v=Sum("value"))
        .order_by()
    )
    for row in rows:
        _add(sums, row)
    return sums


def _merge(parts: Iterable[Sums]) -> Sums:
    out: Sums = {}
    for part in parts:
        for key, (n, v) in part.items():
            slot = out.setdefault(key, [0, 0.0])
            slot[0] += n
            slot[1] += v
    return out


def _months_of(period: Period) -> list[dt.date]:
    return [add_months(month_start(period.start), i) for i in range(period.months)]


def _survey_filter(unit: Unit, person: Staff | None) -> Q:
    where = Q(company_id=unit.company_id or unit.pk)
    if person is not None:
        return where & Q(technician_key=person.pk)
    if unit.kind == UnitKind.REGION:
        return where & Q(region_key=unit.pk)
    if unit.kind == UnitKind.OUTLET:
        return where & Q(unit_id=unit.pk)
    return where


def _level_at(history: list[tuple[dt.date, int]], day: dt.date) -> float | None:
    level = None
    for assessed_on, stars in history:
        if assessed_on > day:
            break
        level = stars
    return None if level is None else float(level)


def cockpit(
    scope: Scope,
    *,
    unit: Any = None,
    person: Any = None,
    start: dt.date,
    end: dt.date,
) -> Cockpit:
    """Every indicator of a unit (default: the reader's home unit) or a person in a period,
    with the previous period, a twelve-month trend and the children's rows (see the module
    docstring). Raises OutOfScope / NotFound / InvalidInput."""
    from manyi.improvement.models import PENDING_ACTION, ActionItem
    from manyi.surveys.models import SurveyRollup
    from manyi.team.models import ServiceLevelAssessment

    the_unit, staff = resolve(scope, unit, person)
    period = Period(start, end)
    previous = period.previous()
    scope_path = the_unit.path if staff is None else _scope_root_path(scope, the_unit)
    where = _rollup_filter(the_unit, staff, scope_path)
    company_id = the_unit.company_id or the_unit.pk

    # Trend months: twelve ending with the period's last month.
    last = month_start(period.end)
    trend_months = [add_months(last, i - TREND_MONTHS + 1) for i in range(TREND_MONTHS)]
    first = min(trend_months[0], month_start(previous.start))
    by_month = _months_rows(where, first, last)
    if period.whole_months:
        current = _merge(by_month.get(m, {}) for m in _months_of(period))
        before = _merge(by_month.get(m, {}) for m in _months_of(previous))
    else:
        current, before = _day_sums(where, period), _day_sums(where, previous)

    # Surveys: the same months, from the surveys app's rollups (one query).
    survey_where = _survey_filter(the_unit, staff)
    survey_months = {
        row["month"]: row
        for row in SurveyRollup.objects.filter(survey_where, month__gte=first, month__lte=last)
        .values("month")
        .annotate(**_survey_sums())
        .order_by()
    }

    def survey_sum(months: Iterable[dt.date]) -> dict[str, float]:
        out: dict[str, float] = {}
        for m in months:
            for name in SURVEY_FIELDS:
                out[name] = out.get(name, 0) + ((survey_months.get(m) or {}).get(name) or 0)
        return out

    survey_now = survey_figures(survey_sum(_months_of(period)))
    survey_before = survey_figures(survey_sum(_months_of(previous)))
    figures_now = case_figures(current) | survey_now
    figures_before = case_figures(before) | survey_before
    trends: dict[str, list[float | None]] = {code: [] for code in CODES}
    for m in trend_months:
        month_figures = case_figures(by_month.get(m, {})) | survey_figures(survey_months.get(m))
        for code, value in month_figures.items():
            trends[code].append(value)

    # Children: regions of a company, outlets of a region, persons of an outlet.
    child_level, children = _children(the_unit, staff, period, company_id)
    child_ids = [c.pk for c in children if c.level == "unit"]

    # Five-star level (the unit's own self-assessments, and its children's).
    details: dict[str, str] = {}
    history: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    if staff is None:
        for unit_id, assessed_on, stars in (
            ServiceLevelAssessment.objects.filter(
                unit_id__in=[the_unit.pk, *child_ids], assessed_on__lte=period.end
            )
            .order_by("assessed_on", "id")
            .values_list("unit_id", "assessed_on", "stars")
        ):
            history[unit_id].append((assessed_on, stars))
    own = history.get(the_unit.pk, [])
    figures_now["five_star"] = _level_at(own, period.end)
    figures_before["five_star"] = _level_at(own, previous.end)
    trends["five_star"] = [_level_at(own, month_end(m)) for m in trend_months]
    for child in children:
        if child.level == "unit":
            child.values["five_star"] = _level_at(history.get(child.pk, []), period.end)

    # Open actions now (current state): the subtree's, or the person's.
    today = clock.now().date()
    pending = ActionItem.objects.filter(company_id=company_id, status__in=PENDING_ACTION)
    if staff is not None:
        open_now = pending.filter(owner_id=staff.pk).aggregate(
            n=Count("pk"), late=Count("pk", filter=Q(due_on__lt=today))
        )
        figures_now["open_actions"] = float(open_now["n"])
        details["open_actions"] = _overdue_text(open_now["late"])
    else:
        groups = (
            pending.filter(unit__path__startswith=the_unit.path)
            .values("unit__path")
            .annotate(n=Count("pk"), late=Count("pk", filter=Q(due_on__lt=today)))
            .order_by()
        )
        total = late = 0
        by_child: dict[int, int] = defaultdict(int)
        paths = {c.pk: c_path for c in children if (c_path := getattr(c, "_path", None))}
        for g in groups:
            total += g["n"]
            late += g["late"]
            for pk, path in paths.items():
                if g["unit__path"].startswith(path):
                    by_child[pk] += g["n"]
        figures_now["open_actions"] = float(total)
        details["open_actions"] = _overdue_text(late)
        for child in children:
            if child.level == "unit":
                child.values["open_actions"] = float(by_child.get(child.pk, 0))
        if child_level == "person" and children:
            owned = dict(
                pending.filter(owner_id__in=[c.pk for c in children])
                .values("owner_id")
                .annotate(n=Count("pk"))
                .values_list("owner_id", "n")
                .order_by()
            )
            for child in children:
                child.values["open_actions"] = float(owned.get(child.pk, 0))
    figures_before["open_actions"] = None
    trends["open_actions"] = []

    indicators = [
        Indicator(
            code=d.code,
            label=d.label,
            fmt=d.fmt,
            higher_is_better=d.higher_is_better,
            value=figures_now.get(d.code),
            previous=figures_before.get(d.code),
            trend=trends[d.code],
            detail=details.get(d.code, ""),
        )
        for d in INDICATORS
        if staff is None or d.code in PERSON_CODES
    ]
    return Cockpit(
        unit=the_unit,
        person=staff,
        period=period,
        previous=previous,
        months=trend_months,
        indicators=indicators,
        children=children,
        child_level=child_level,
        stages=_stage_rows(current, before),
        cases=_case_rows(current),
        path=_path(the_unit),
    )


def _overdue_text(late: int) -> str:
    return str(interpolate(_("%(n)d overdue"), {"n": late})) if late else ""


def _scope_root_path(scope: Scope, unit: Unit) -> str:
    """The path under which a person's rows are read: the reader's subtree."""
    if scope.everything or scope.unit_path is None:
        return f"/{unit.company_id or unit.pk}/"
    return scope.unit_path


def _path(unit: Unit) -> list[Unit]:
    """The units from the company down to ``unit`` (breadcrumbs; one query)."""
    ids = unit.ancestor_ids()
    found = {u.pk: u for u in Unit.objects.filter(pk__in=ids).only("pk", "name", "kind", "path")}
    return [found[pk] for pk in ids if pk in found]


def _children(
    unit: Unit, staff: Staff | None, period: Period, company_id: int
) -> tuple[str, list[ChildRow]]:
    """The rows of the drill-down table with the rollup and survey indicators."""
    from manyi.surveys.models import SurveyRollup

    if staff is not None:
        return "", []
    period_where = (
        Q(month__gte=period.start, month__lte=period.end)
        if period.whole_months
        else Q(day__gte=period.start, day__lte=period.end)
    )
    model = MonthRollup if period.whole_months else DayRollup
    survey_period = Q(month__gte=month_start(period.start), month__lte=period.end)
    if unit.kind in (UnitKind.COMPANY, UnitKind.REGION):
        level = "region" if unit.kind == UnitKind.COMPANY else "outlet"
        units = list(
            Unit.objects.filter(parent_id=unit.pk, is_active=True)
            .only("pk", "name", "kind", "path")
            .order_by("code", "pk")
        )
        ids = [u.pk for u in units]
        sums: dict[int, Sums] = defaultdict(dict)
        for row in (
            model.objects.filter(period_where, unit_id__in=ids, person_key=0)
            .values("unit_id", "metric", "kind", "stage")
            .annotate(n=Sum("n"), v=Sum("value"))
            .order_by()
        ):
            _add(sums[row["unit_id"]], row)
        group = "region_key" if level == "region" else "unit_id"
        surveys = {
            row[group]: row
            for row in SurveyRollup.objects.filter(
                survey_period,
                _survey_filter(unit, None),
                **{f"{group}__in": ids},
            )
            .values(group)
            .annotate(**_survey_sums())
            .order_by()
        }
        rows = []
        for u in units:
            row = ChildRow(
                "unit",
                u.pk,
                u.name,
                u.get_kind_display(),
                case_figures(sums.get(u.pk, {})) | survey_figures(surveys.get(u.pk)),
                _counts(sums.get(u.pk, {})),
            )
            row._path = u.path  # type: ignore[attr-defined]
            rows.append(row)
        return level, rows
    # An outlet: its people — its own staff and anyone with figures there.
    sums = defaultdict(dict)
    for row in (
        model.objects.filter(period_where, unit_id=unit.pk, person_key__gt=0)
        .values("person_key", "metric", "kind", "stage")
        .annotate(n=Sum("n"), v=Sum("value"))
        .order_by()
    ):
        _add(sums[row["person_key"]], row)
    surveys = {
        row["technician_key"]: row
        for row in SurveyRollup.objects.filter(
            survey_period, company_id=company_id, unit_id=unit.pk, technician_key__gt=0
        )
        .values("technician_key")
        .annotate(**_survey_sums())
        .order_by()
    }
    people = list(
        Staff.objects.filter(
            Q(unit_id=unit.pk) | Q(pk__in=set(sums) | set(surveys)), company_id=company_id
        )
        .only("pk", "name", "role")
        .order_by("name", "pk")
    )
    rows = [
        ChildRow(
            "person",
            p.pk,
            p.name,
            p.get_role_display(),
            case_figures(sums.get(p.pk, {})) | survey_figures(surveys.get(p.pk)),
            _counts(sums.get(p.pk, {})),
        )
        for p in people
    ]
    return "person", rows


def _counts(sums: Sums) -> dict[str, int]:
    return {
        "complaints": _total(sums, Metric.COMPLAINTS)[0],
        "purchases": _total(sums, Metric.PURCHASES)[0],
        "completions": _total(sums, Metric.STAGE)[0],
        "audits": _total(sums, Metric.AUDITS)[0],
    }


def _labels(kind: str, stage: str = "") -> tuple[str, str]:
    from manyi.cases.workflow import get_workflow

    try:
        workflow = get_workflow(kind)
    except (KeyError, LookupError, ValueError):
        return kind, stage
    name = str(getattr(workflow, "label", kind))
    if not stage:
        return name, ""
    try:
        return name, str(workflow.stage(stage).label)
    except (KeyError, LookupError, ValueError, AttributeError):
        return name, stage


def _stage_order(kind: str, stage: str) -> tuple[str, int, str]:
    """Workflows by code, their stages in the workflow's order."""
    from manyi.cases.workflow import get_workflow

    try:
        codes = [s.code for s in get_workflow(kind).stages]
    except (KeyError, LookupError):
        codes = []
    return (kind, codes.index(stage) if stage in codes else len(codes), stage)


def _stage_rows(current: Sums, before: Sums) -> list[StageRow]:
    keys = sorted(
        {(k, s) for (m, k, s) in [*current, *before] if m == Metric.STAGE},
        key=lambda key: _stage_order(*key),
    )
    rows = []
    for kind, stage in keys:
        n, v = current.get((Metric.STAGE, kind, stage), [0, 0.0])
        pn, pv = before.get((Metric.STAGE, kind, stage), [0, 0.0])
        workflow, label = _labels(kind, stage)
        rows.append(
            StageRow(kind, workflow, stage, label, int(n), int(v), _ratio(v, n), _ratio(pv, pn))
        )
    return rows


def _case_rows(current: Sums) -> list[CaseRow]:
    opened: dict[str, int] = defaultdict(int)
    closed: dict[str, int] = defaultdict(int)
    for (metric, kind, _stage), (n, _v) in current.items():
        if metric == Metric.OPENED:
            opened[kind] += int(n)
        elif metric == Metric.CLOSED:
            closed[kind] += int(n)
    return [
        CaseRow(kind, _labels(kind)[0], opened.get(kind, 0), closed.get(kind, 0))
        for kind in sorted(set(opened) | set(closed))
    ]
