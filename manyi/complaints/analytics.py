"""Complaint analytics (issue 4): the figures behind the analytics page, its Excel exports and
the API, read through one set of functions so that all three show the same numbers.

**What is counted.** The complaints *received* in a period of whole months (the stored
``received_month``), in the reader's scope (a manager sees their subtree only, through
:meth:`Scope.filter`), optionally narrowed to one region or outlet. A duplicate merged into
another complaint (``merged_into`` set) is left out, so a merged complaint counts once.
Resolutions and their cost are those of these complaints, executed ones only.

**How.** Every count and sum is a grouped SQL aggregate (``values(…).annotate(Count/Sum)``);
no complaint row is loaded into Python for them. The one exception is :func:`time_stats`: the
medians and 90th percentiles, and the time to first contact in *business hours* (on each
outlet's business calendar, which SQL does not know), are computed from a single
``values_list`` of five columns of the period's complaints. At a company's complaint volume (a
few thousand a year) that is one small query and a few milliseconds of arithmetic; at millions
it would move to a rollup table (DESIGN, "Rules that keep it fast").

**Times, precisely.**

- *Time to first contact* is in **business hours** from intake (``case.opened_at``) to
  ``first_contact_at``, on the outlet's business calendar (lunch, nights, weekends and holidays
  do not count). The target is the company policy's ``first_contact_hours`` (2 by default),
  ``major_first_contact_hours`` for a major complaint.
- *Time to resolution* is in **calendar days** (wall-clock hours ÷ 24) from intake to
  ``resolved_at``. The target is the policy's ``fast_days`` — the same "solved quickly"
  threshold the complaint iceberg uses (:mod:`manyi.complaints.estimates`).
- *Share within target* = done within the target ÷ (done within + done late + not done yet but
  already past the target). Complaints not done and still within their target are not judged.
- Percentiles interpolate linearly between ranks, as PostgreSQL's ``percentile_cont`` does.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from manyi import clock
from manyi.complaints.estimates import Iceberg, iceberg, policy_for
from manyi.complaints.models import (
    CauseSide,
    Channel,
    Complaint,
    ComplaintPolicy,
    Resolution,
    ResolutionKind,
    ResolutionStatus,
    Responsibility,
    Severity,
)
from manyi.customers.models import Purchase
from manyi.errors import InvalidInput, NotFound, interpolate
from manyi.org.models import Unit, UnitKind
from manyi.org.scopes import Perm, Scope

# The longest period one page or request may ask for.
MAX_MONTHS = 60
DEFAULT_MONTHS = 12
ZERO = Decimal(0)
CENT = Decimal("0.01")


# -- the period and the unit ------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    """The first day of the month ``n`` months after ``month`` (negative: before)."""
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def _parse_month(raw: Any) -> dt.date | None:
    text = str(raw or "").strip()
    try:
        year, month = (int(part) for part in text.split("-"))
        if not 2000 <= year <= 2100:
            return None
        return dt.date(year, month, 1)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Filters:
    """The period (whole months, ``start`` to ``end`` inclusive) and the unit to look at."""

    start: dt.date
    end: dt.date
    unit: Unit | None = None

    @property
    def months(self) -> list[dt.date]:
        count = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
        return [add_months(self.start, i) for i in range(count)]

    @property
    def last_day(self) -> dt.date:
        return add_months(self.end, 1) - dt.timedelta(days=1)

    def query(self) -> dict[str, str]:
        """The filters as URL parameters (``from``, ``to``, ``unit``)."""
        params = {"from": f"{self.start:%Y-%m}", "to": f"{self.end:%Y-%m}"}
        if self.unit is not None:
            params["unit"] = str(self.unit.pk)
        return params


def default_filters(today: dt.date | None = None) -> Filters:
    """The last twelve months, this one included."""
    today = today or timezone.localdate(clock.now())
    end = month_start(today)
    return Filters(start=add_months(end, 1 - DEFAULT_MONTHS), end=end)


def parse_filters(
    scope: Scope, company: Unit, params: Mapping[str, Any], today: dt.date | None = None
) -> Filters:
    """The filters from URL parameters ``from``/``to`` (YYYY-MM) and ``unit`` (a region or
    outlet id in the reader's scope); missing ones take the defaults. Bad values raise
    :class:`InvalidInput` naming every field in error."""
    default = default_filters(today)
    errors: list[tuple[str, Any]] = []
    start, end = default.start, default.end
    if params.get("from"):
        start = _parse_month(params.get("from"))
        if start is None:
            errors.append(("from", _("Enter a month as YYYY-MM.")))
    if params.get("to"):
        end = _parse_month(params.get("to"))
        if end is None:
            errors.append(("to", _("Enter a month as YYYY-MM.")))
    if start and end and not errors:
        if start > end:
            errors.append(("from", _("The first month must not be after the last.")))
        elif add_months(start, MAX_MONTHS - 1) < end:
            errors.append(("to", interpolate(_("Choose at most %(n)s months."), {"n": MAX_MONTHS})))
    unit = None
    raw_unit = params.get("unit")
    if raw_unit:
        unit = _unit_in_scope(scope, company, raw_unit)
        if unit is None:
            errors.append(("unit", _("Choose a region or outlet you can see.")))
    if errors:
        raise InvalidInput(_("Some filters are not valid."), errors=errors)
    return Filters(start=start, end=end, unit=unit)


def _unit_in_scope(scope: Scope, company: Unit, raw: Any) -> Unit | None:
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        return None
    if not 0 < pk < 2**63:
        return None
    unit = Unit.objects.filter(pk=pk, company_id=company.pk).first()
    if unit is None or not scope.covers(unit):
        return None
    return unit


def analytics_company(scope: Scope, company_id: Any = None) -> Unit:
    """The company whose complaints the reader analyses: their own; an installation superuser
    (no staff record) names one with ``company_id`` (else the first company)."""
    scope.require(Perm.VIEW_REPORTS)
    companies = Unit.objects.filter(kind=UnitKind.COMPANY)
    if scope.company_id is not None:
        company = companies.filter(pk=scope.company_id).first()
    else:
        try:
            pk = int(company_id) if company_id not in (None, "") else None
        except (TypeError, ValueError):
            pk = -1
        company = (companies.filter(pk=pk) if pk is not None else companies.order_by("pk")).first()
    if company is None:
        raise NotFound()
    return company


def unit_choices(scope: Scope, company: Unit) -> list[Unit]:
    """The regions and outlets the reader may narrow the figures to (their subtree)."""
    return list(
        scope.units()
        .filter(company_id=company.pk, kind__in=(UnitKind.REGION, UnitKind.OUTLET))
        .order_by("path")
    )


def _subtree(unit: Unit) -> QuerySet:
    return Unit.objects.filter(path__startswith=unit.path).values("pk")


def complaints(scope: Scope, company: Unit, filters: Filters) -> QuerySet[Complaint]:
    """The complaints the figures count: received in the period, in scope, not merged away."""
    qs = Complaint.objects.filter(
        company_id=company.pk,
        received_month__gte=filters.start,
        received_month__lte=filters.end,
        merged_into__isnull=True,
    )
    qs = scope.filter(qs, unit_field="case__unit", perm=Perm.VIEW_REPORTS)
    if filters.unit is not None:
        qs = qs.filter(case__unit__in=_subtree(filters.unit))
    return qs


def outlets(scope: Scope, company: Unit, filters: Filters) -> QuerySet[Unit]:
    """The outlets in the reader's scope (and in the chosen unit)."""
    qs = scope.units().filter(company_id=company.pk, kind=UnitKind.OUTLET)
    if filters.unit is not None:
        qs = qs.filter(path__startswith=filters.unit.path)
    return qs


# -- tables -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column of a figures table: ``kind`` says how to show and export its values
    (text, int, money, number, percent, month)."""

    key: str
    label: Promise
    kind: str = "text"


@dataclass
class Table:
    """One table of figures: what the page shows, the API returns and Excel receives."""

    key: str
    title: Promise
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]
    note: Promise | str | None = None


def _share(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """``part / whole`` to four places (a fraction; the page shows it as a percentage)."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _with_share(rows: list[dict[str, Any]], total: int) -> list[dict[str, Any]]:
    for row in rows:
        row["share"] = _share(row["complaints"], total)
    return rows


COMPLAINTS = Column("complaints", _("Complaints"), "int")
SHARE = Column("share", _("Share"), "percent")


def by_cause(qs: QuerySet[Complaint], total: int) -> Table:
    """Complaints by root-cause category (not yet ruled: no category)."""
    groups = qs.values("cause_id", "cause__name", "cause__side").annotate(n=Count("pk"))
    sides = dict(CauseSide.choices)
    rows = [
        {
            "cause_id": g["cause_id"],
            "cause": g["cause__name"] or str(_("Not yet determined")),
            "side": str(sides.get(g["cause__side"], "")) if g["cause__side"] else "",
            "complaints": g["n"],
        }
        for g in sorted(groups, key=lambda g: (-g["n"], g["cause__name"] or "\uffff"))
    ]
    return Table(
        "by_cause",
        _("By cause"),
        (Column("cause", _("Cause")), Column("side", _("Side")), COMPLAINTS, SHARE),
        _with_share(rows, total),
    )


def by_product(qs: QuerySet[Complaint], total: int) -> Table:
    """Complaints by product (as written on the complaint)."""
    groups = qs.values("product").annotate(n=Count("pk")).order_by("-n", "product")
    rows = [
        {"product": g["product"] or str(_("(not given)")), "complaints": g["n"]} for g in groups
    ]
    return Table(
        "by_product",
        _("By product"),
        (Column("product", _("Product")), COMPLAINTS, SHARE),
        _with_share(rows, total),
    )


def by_batch(qs: QuerySet[Complaint], total: int) -> Table:
    """Complaints by product and batch: several complaints on one batch point at the batch."""
    groups = (
        qs.values("product", "batch_no")
        .annotate(n=Count("pk"))
        .order_by("-n", "product", "batch_no")
    )
    rows = [
        {
            "product": g["product"] or str(_("(not given)")),
            "batch_no": g["batch_no"] or str(_("(not given)")),
            "complaints": g["n"],
        }
        for g in groups
    ]
    return Table(
        "by_batch",
        _("By product and batch"),
        (Column("product", _("Product")), Column("batch_no", _("Batch")), COMPLAINTS, SHARE),
        _with_share(rows, total),
    )


def by_outlet(scope: Scope, company: Unit, filters: Filters, qs: QuerySet[Complaint]) -> Table:
    """Complaints per outlet, with the outlet's purchases in the period and the complaint rate
    per 1,000 purchases (three queries: complaints, purchases, outlet names)."""
    counts = {
        g["case__unit_id"]: g["n"] for g in qs.values("case__unit_id").annotate(n=Count("pk"))
    }
    in_scope = outlets(scope, company, filters)
    bought = {
        g["outlet_id"]: g["n"]
        for g in Purchase.objects.filter(
            outlet__in=in_scope.values("pk"),
            purchased_on__gte=filters.start,
            purchased_on__lte=filters.last_day,
        )
        .values("outlet_id")
        .annotate(n=Count("pk"))
    }
    wanted = set(counts) | set(bought)
    names = {u.pk: u for u in in_scope.filter(pk__in=wanted).only("pk", "name", "code", "path")}
    rows = []
    for pk, unit in names.items():
        n, purchases = counts.get(pk, 0), bought.get(pk, 0)
        rows.append(
            {
                "outlet_id": pk,
                "outlet": unit.name,
                "code": unit.code,
                "complaints": n,
                "purchases": purchases,
                "per_1000": _rate(n, purchases),
            }
        )
    rows.sort(key=lambda r: (-r["complaints"], r["outlet"]))
    return Table(
        "by_outlet",
        _("By outlet, per 1,000 purchases"),
        (
            Column("outlet", _("Outlet")),
            Column("code", _("Code")),
            COMPLAINTS,
            Column("purchases", pgettext_lazy("complaint analytics", "Purchases"), "int"),
            Column("per_1000", _("Complaints per 1,000 purchases"), "number"),
        ),
        rows,
        note=_("Purchases recorded at the outlet in the same months; no rate without purchases."),
    )


def _rate(complaints: int, purchases: int) -> Decimal | None:
    if not purchases:
        return None
    return (Decimal(complaints) * 1000 / purchases).quantize(CENT, rounding=ROUND_HALF_UP)


def by_technician(qs: QuerySet[Complaint], total: int) -> Table:
    """Complaints by the case's responsible technician (the assignee)."""
    groups = (
        qs.values("case__assignee_id", "case__assignee__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "case__assignee__name")
    )
    rows = [
        {
            "staff_id": g["case__assignee_id"],
            "technician": g["case__assignee__name"] or str(_("Not assigned")),
            "complaints": g["n"],
        }
        for g in groups
    ]
    return Table(
        "by_technician",
        _("By technician"),
        (Column("technician", _("Technician")), COMPLAINTS, SHARE),
        _with_share(rows, total),
    )


def _by_choice(
    qs: QuerySet[Complaint], total: int, field: str, choices, empty: Promise
) -> list[dict[str, Any]]:
    labels = dict(choices)
    groups = qs.values(field).annotate(n=Count("pk")).order_by("-n", field)
    rows = [
        {
            "code": g[field],
            "label": str(labels.get(g[field], g[field])) if g[field] else str(empty),
            "complaints": g["n"],
        }
        for g in groups
    ]
    return _with_share(rows, total)


def by_channel(qs: QuerySet[Complaint], total: int) -> Table:
    """Complaints by how they reached us."""
    rows = _by_choice(qs, total, "channel", Channel.choices, _("Unknown"))
    return Table(
        "by_channel",
        _("By channel"),
        (Column("label", _("Channel")), COMPLAINTS, SHARE),
        rows,
    )


def by_responsibility(qs: QuerySet[Complaint], total: int) -> Table:
    """Complaints by the responsibility ruling (not ruled yet: empty)."""
    rows = _by_choice(qs, total, "responsibility", Responsibility.choices, _("Not ruled yet"))
    return Table(
        "by_responsibility",
        _("By responsibility"),
        (Column("label", _("Responsibility")), COMPLAINTS, SHARE),
        rows,
    )


def repeat_customers(qs: QuerySet[Complaint]) -> Table:
    """Customers with two complaints or more in the period (no phone numbers: PIPL)."""
    groups = (
        qs.values("case__customer_id", "case__customer__name", "case__customer__home_outlet__name")
        .annotate(n=Count("pk"), last=Max("received_month"))
        .filter(n__gte=2)
        .order_by("-n", "case__customer__name", "case__customer_id")
    )
    rows = [
        {
            "customer_id": g["case__customer_id"],
            "customer": g["case__customer__name"],
            "outlet": g["case__customer__home_outlet__name"],
            "complaints": g["n"],
            "last_month": g["last"],
        }
        for g in groups
    ]
    return Table(
        "repeat_customers",
        _("Customers who complained twice or more"),
        (
            Column("customer", _("Customer")),
            Column("outlet", _("Home outlet")),
            COMPLAINTS,
            Column("last_month", _("Last complaint"), "month"),
        ),
        rows,
    )


def _executed(qs: QuerySet[Complaint]) -> QuerySet[Resolution]:
    return Resolution.objects.filter(
        complaint__in=qs.values("pk"), status=ResolutionStatus.EXECUTED
    )


MONEY_COLUMNS = (
    Column("resolutions", _("Resolutions"), "int"),
    Column("amount", _("Paid to customers (yuan)"), "money"),
    Column("cost", _("Total cost (yuan)"), "money"),
)


def cost_by_kind(qs: QuerySet[Complaint]) -> Table:
    """Executed resolutions of the complaints by kind: how many, paid out, total cost."""
    labels = dict(ResolutionKind.choices)
    groups = (
        _executed(qs)
        .values("kind")
        .annotate(n=Count("pk"), amount=Sum("amount"), cost=Sum("cost"))
        .order_by("-cost", "kind")
    )
    rows = [
        {
            "code": g["kind"],
            "label": str(labels.get(g["kind"], g["kind"])),
            "resolutions": g["n"],
            "amount": _money(g["amount"]),
            "cost": _money(g["cost"]),
        }
        for g in groups
    ]
    return Table(
        "cost_by_kind",
        _("Cost of resolutions by kind"),
        (Column("label", _("Kind")), *MONEY_COLUMNS),
        rows,
        note=_("Executed resolutions of the complaints received in the period."),
    )


def cost_by_outlet(qs: QuerySet[Complaint]) -> Table:
    """Executed resolutions of the complaints by outlet."""
    groups = (
        _executed(qs)
        .values("complaint__case__unit_id", "complaint__case__unit__name")
        .annotate(n=Count("pk"), amount=Sum("amount"), cost=Sum("cost"))
        .order_by("-cost", "complaint__case__unit__name")
    )
    rows = [
        {
            "outlet_id": g["complaint__case__unit_id"],
            "outlet": g["complaint__case__unit__name"],
            "resolutions": g["n"],
            "amount": _money(g["amount"]),
            "cost": _money(g["cost"]),
        }
        for g in groups
    ]
    return Table(
        "cost_by_outlet",
        _("Cost of resolutions by outlet"),
        (Column("outlet", _("Outlet")), *MONEY_COLUMNS),
        rows,
        note=_("Executed resolutions of the complaints received in the period."),
    )


def _money(value: Decimal | None) -> Decimal:
    return Decimal(value or 0).quantize(CENT)


def trend(qs: QuerySet[Complaint], filters: Filters) -> Table:
    """Per month of the period: complaints, major ones, solved ones, cost of executed
    resolutions (months without complaints show zeros)."""
    per_month = {
        g["received_month"]: g
        for g in qs.values("received_month").annotate(
            n=Count("pk"),
            major=Count("pk", filter=Q(severity=Severity.MAJOR)),
            solved=Count("pk", filter=Q(resolved_at__isnull=False)),
        )
    }
    costs = {
        g["complaint__received_month"]: g["cost"]
        for g in _executed(qs).values("complaint__received_month").annotate(cost=Sum("cost"))
    }
    rows = []
    for month in filters.months:
        g = per_month.get(month, {})
        rows.append(
            {
                "month": month,
                "complaints": g.get("n", 0),
                "major": g.get("major", 0),
                "solved": g.get("solved", 0),
                "cost": _money(costs.get(month)),
            }
        )
    return Table(
        "trend",
        _("Per month"),
        (
            Column("month", _("Month"), "month"),
            COMPLAINTS,
            Column("major", _("Major"), "int"),
            Column("solved", _("Solved"), "int"),
            Column("cost", _("Total cost (yuan)"), "money"),
        ),
        rows,
    )


# -- times against the targets ------------------------------------------------------------------


@dataclass
class TimeStats:
    """Time to first contact or to resolution: median and 90th percentile of the done ones,
    and how many met the target."""

    measure: str
    unit: str  # "business_hours" or "days"
    target: Decimal
    major_target: Decimal | None = None
    done: int = 0
    median: Decimal | None = None
    p90: Decimal | None = None
    within: int = 0
    late: int = 0
    open_overdue: int = 0
    open_in_time: int = 0

    @property
    def judged(self) -> int:
        return self.within + self.late + self.open_overdue

    @property
    def share_within(self) -> Decimal | None:
        return _share(self.within, self.judged)


def percentile(values: list[float], q: float) -> float | None:
    """The ``q`` quantile (0–1) of sorted ``values``, interpolated like ``percentile_cont``."""
    if not values:
        return None
    pos = (len(values) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def _figure(value: float | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def calendars_for(company_id: int, unit_ids: Iterable[int], years: Iterable[int]) -> dict:
    """The business calendars of several outlets of one company, loaded together: one query
    for the working hours, the company's holidays once (not three queries per outlet)."""
    from manyi.calendars.models import DEFAULT_WEEK, WorkingHours, week_segments
    from manyi.calendars.service import BusinessCalendar, load_years

    unit_ids = set(unit_ids)
    rows = list(
        WorkingHours.objects.filter(company_id=company_id).filter(
            Q(outlet__isnull=True) | Q(outlet_id__in=unit_ids)
        )
    )
    default = next((r.segments() for r in rows if r.outlet_id is None), None)
    default = default or week_segments(DEFAULT_WEEK)
    own = {r.outlet_id: r.segments() for r in rows if r.outlet_id is not None}
    overrides, known = load_years(company_id, years)

    def loader(year: int):
        days, flags = load_years(company_id, [year])
        return days, flags[year]

    # One overrides map for all: holidays are the company's, whatever the outlet.
    return {
        pk: BusinessCalendar(
            company_id=company_id,
            week=own.get(pk, default),
            overrides=overrides,
            known=known,
            loader=loader,
            unit_id=pk,
            own_hours=pk in own,
        )
        for pk in unit_ids
    }


def time_stats(
    qs: QuerySet[Complaint], company: Unit, policy: ComplaintPolicy, now: dt.datetime
) -> tuple[TimeStats, TimeStats]:
    """Time to first contact (business hours) and to resolution (calendar days) against their
    targets; see the module docstring. One query for the complaints, plus the calendars."""
    rows = list(
        qs.values_list(
            "case__unit_id", "severity", "case__opened_at", "first_contact_at", "resolved_at"
        )
    )
    contact = TimeStats(
        "first_contact",
        "business_hours",
        target=policy.first_contact_hours,
        major_target=policy.major_first_contact_hours,
    )
    resolution = TimeStats("resolution", "days", target=Decimal(policy.fast_days))
    if not rows:
        return contact, resolution
    local = timezone.localtime
    years = range(min(local(r[2]).year for r in rows), local(now).year + 1)
    calendars = calendars_for(company.pk, {r[0] for r in rows}, years)
    fast = dt.timedelta(days=policy.fast_days)
    contact_hours: list[float] = []
    resolution_days: list[float] = []
    for unit_id, severity, opened, contacted, resolved in rows:
        calendar = calendars[unit_id]
        sla = policy.major_first_contact_hours if severity == Severity.MAJOR else contact.target
        limit = dt.timedelta(hours=float(sla))
        if contacted is not None:
            used = max(calendar.business_time_between(opened, contacted), dt.timedelta())
            contact_hours.append(used.total_seconds() / 3600)
            if used <= limit:
                contact.within += 1
            else:
                contact.late += 1
        elif calendar.add_business_hours(opened, sla) < now:
            contact.open_overdue += 1
        else:
            contact.open_in_time += 1
        if resolved is not None:
            took = max(resolved - opened, dt.timedelta())
            resolution_days.append(took.total_seconds() / 86400)
            if took <= fast:
                resolution.within += 1
            else:
                resolution.late += 1
        elif now - opened > fast:
            resolution.open_overdue += 1
        else:
            resolution.open_in_time += 1
    for stats, values in ((contact, contact_hours), (resolution, resolution_days)):
        values.sort()
        stats.done = len(values)
        stats.median = _figure(percentile(values, 0.5))
        stats.p90 = _figure(percentile(values, 0.9))
    return contact, resolution


def times_table(contact: TimeStats, resolution: TimeStats) -> Table:
    """The two time measures as one table (for the page's export and the API)."""
    labels = {
        "first_contact": (_("Time to first contact"), _("business hours")),
        "resolution": (_("Time to resolution"), _("calendar days")),
    }
    rows = []
    for stats in (contact, resolution):
        title, unit = labels[stats.measure]
        rows.append(
            {
                "measure": stats.measure,
                "label": str(title),
                "unit": str(unit),
                "done": stats.done,
                "median": stats.median,
                "p90": stats.p90,
                "target": stats.target,
                "within": stats.within,
                "late": stats.late,
                "open_overdue": stats.open_overdue,
                "share_within": stats.share_within,
            }
        )
    return Table(
        "times",
        _("Times against the targets"),
        (
            Column("label", _("Measure")),
            Column("unit", _("Unit")),
            Column("done", _("Done"), "int"),
            Column("median", _("Median"), "number"),
            Column("p90", _("90th percentile"), "number"),
            Column("target", _("Target"), "number"),
            Column("within", _("Within target"), "int"),
            Column("late", _("Late"), "int"),
            Column("open_overdue", _("Not done, overdue"), "int"),
            Column("share_within", _("Share within target"), "percent"),
        ),
        rows,
    )


def iceberg_table(berg: Iceberg) -> Table:
    """The iceberg figures as a table (for the export and the API)."""
    figures = [
        ("complaints", _("Complaints received"), berg.complaints),
        ("unhappy", _("Unhappy customers they stand for"), berg.unhappy),
        ("silent", _("Silent unhappy customers"), berg.silent),
        ("told", _("People the unhappy customers tell"), berg.told),
        ("solved_fast", _("Solved quickly"), berg.solved_fast),
        ("solved_slow", _("Solved, not quickly"), berg.solved_slow),
        ("unsolved", _("Not solved"), berg.unsolved),
        ("kept", _("Complainers kept"), berg.kept),
        ("lost", _("Complainers lost"), berg.lost),
        ("kept_tell", _("People the kept complainers tell"), berg.kept_tell),
    ]
    return Table(
        "iceberg",
        _("Complaint iceberg"),
        (Column("label", _("Figure")), Column("value", _("Value"), "number")),
        [{"figure": key, "label": str(label), "value": value} for key, label, value in figures],
    )


# -- everything for one page --------------------------------------------------------------------

TABLE_KEYS = (
    "trend",
    "times",
    "iceberg",
    "by_cause",
    "by_product",
    "by_batch",
    "by_outlet",
    "by_technician",
    "by_channel",
    "by_responsibility",
    "repeat_customers",
    "cost_by_kind",
    "cost_by_outlet",
)


@dataclass
class Report:
    """All the figures of one period and unit, as the page, the export and the API show them."""

    company: Unit
    filters: Filters
    policy: ComplaintPolicy
    total: int
    major: int
    solved: int
    purchases: int
    first_contact: TimeStats
    resolution: TimeStats
    iceberg: Iceberg
    tables: dict[str, Table] = field(default_factory=dict)

    @property
    def cost(self) -> Decimal:
        return sum((row["cost"] for row in self.tables["cost_by_kind"].rows), ZERO)

    @property
    def amount(self) -> Decimal:
        return sum((row["amount"] for row in self.tables["cost_by_kind"].rows), ZERO)

    @property
    def repeat_customers(self) -> int:
        return len(self.tables["repeat_customers"].rows)

    @property
    def per_1000(self) -> Decimal | None:
        """The complaint rate per 1,000 purchases over all outlets in view."""
        return _rate(self.total, self.purchases)


def report(
    scope: Scope, company: Unit, filters: Filters, *, now: dt.datetime | None = None
) -> Report:
    """Every figure of the analytics page for ``filters``, in the reader's scope."""
    scope.require(Perm.VIEW_REPORTS)
    now = now or clock.now()
    policy = policy_for(company)
    qs = complaints(scope, company, filters)
    monthly = trend(qs, filters)
    total = sum(row["complaints"] for row in monthly.rows)
    contact, resolution = time_stats(qs, company, policy, now)
    berg = iceberg(
        policy, complaints=total, solved_fast=resolution.within, solved_slow=resolution.late
    )
    outlet_table = by_outlet(scope, company, filters, qs)
    tables = [
        monthly,
        times_table(contact, resolution),
        iceberg_table(berg),
        by_cause(qs, total),
        by_product(qs, total),
        by_batch(qs, total),
        outlet_table,
        by_technician(qs, total),
        by_channel(qs, total),
        by_responsibility(qs, total),
        repeat_customers(qs),
        cost_by_kind(qs),
        cost_by_outlet(qs),
    ]
    return Report(
        company=company,
        filters=filters,
        policy=policy,
        total=total,
        major=sum(row["major"] for row in monthly.rows),
        solved=sum(row["solved"] for row in monthly.rows),
        purchases=sum(row["purchases"] for row in outlet_table.rows),
        first_contact=contact,
        resolution=resolution,
        iceberg=berg,
        tables={t.key: t for t in tables},
    )
