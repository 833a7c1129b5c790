"""Read side of quality: the library, due audits, audit history and comparisons, programmes,
the shoppers' own visits. Every function takes a scope and filters through it; figures are
SQL aggregates over the stored columns (``index``, factor and answer rows, the ``month`` key).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Avg,
    BooleanField,
    Case,
    Count,
    Max,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from manyi import clock
from manyi.errors import NotFound, OutOfScope
from manyi.org.models import Role, Unit
from manyi.org.scopes import Perm, Scope
from manyi.quality.access import can_read, get_row, outlet_units
from manyi.quality.models import (
    ActionItem,
    ActionStatus,
    Area,
    Audit,
    AuditAnswer,
    AuditFactorScore,
    AuditFinding,
    AuditPlan,
    AuditStatus,
    AuditTemplate,
    FindingKind,
    FindingStatus,
    Period,
    PriorityExercise,
    ShoppingProgram,
    Side,
    Standard,
    StandardStatus,
    Visit,
    VisitFactorScore,
    VisitStatus,
)

# -- standards ------------------------------------------------------------------------------------


def _require_read(scope: Scope) -> None:
    if not can_read(scope):
        raise OutOfScope()


def standards_for(
    scope: Scope,
    *,
    status: str = "",
    side: str = "",
    area: str = "",
    industry: str | None = None,
    q: str = "",
) -> QuerySet[Standard]:
    """The company's standards, filtered (a company holds tens to hundreds: no paging)."""
    _require_read(scope)
    qs = Standard.objects.filter(company_id=scope.company_id).select_related("owner")
    if status:
        qs = qs.filter(status=status)
    if side:
        qs = qs.filter(side=side)
    if area:
        qs = qs.filter(area=area)
    if industry is not None:
        qs = qs.filter(industry=industry)
    if q:
        qs = qs.filter(Q(statement__icontains=q) | Q(code__icontains=q) | Q(criterion__icontains=q))
    return qs.order_by("code", "pk")


def get_standard(scope: Scope, pk: Any) -> Standard:
    """One standard of the company with its versions (newest first)."""
    _require_read(scope)
    return get_row(
        Standard.objects.filter(company_id=scope.company_id)
        .select_related("owner")
        .prefetch_related("versions__approved_by", "versions__created_by"),
        pk,
    )


@dataclass
class Ranking:
    """A ranking exercise as the page shows it: the split and each side's standards in order
    (ranked first, then the unranked ones)."""

    exercise: PriorityExercise | None
    procedural_share: int
    sides: dict[str, list[tuple[Standard, int | None]]]


def ranking(scope: Scope, unit: Unit | None = None) -> Ranking:
    """The ranking of the company (``unit`` None) or of one outlet, with every usable standard
    (an outlet's list holds the standards of its industry and the general ones)."""
    _require_read(scope)
    exercise = (
        PriorityExercise.objects.filter(company_id=scope.company_id, unit=unit)
        .prefetch_related("ranks")
        .first()
    )
    ranks = {r.standard_id: r.rank for r in exercise.ranks.all()} if exercise else {}
    qs = Standard.objects.filter(company_id=scope.company_id).exclude(status=StandardStatus.RETIRED)
    if unit is not None:
        qs = qs.filter(Q(industry="") | Q(industry=unit.industry))
    sides: dict[str, list[tuple[Standard, int | None]]] = {s: [] for s in Side.values}
    for standard in qs.order_by("code"):
        sides[standard.side].append((standard, ranks.get(standard.pk)))
    for rows in sides.values():
        rows.sort(key=lambda r: (r[1] is None, r[1] or 0, r[0].code))
    share = exercise.procedural_share if exercise else 50
    return Ranking(exercise, share, sides)


# -- templates and plans --------------------------------------------------------------------------


def templates_for(scope: Scope, *, active_only: bool = False) -> list[AuditTemplate]:
    """The company's audit templates with their standard counts."""
    _require_read(scope)
    qs = AuditTemplate.objects.filter(company_id=scope.company_id).annotate(
        standard_count=Count("standards")
    )
    if active_only:
        qs = qs.filter(is_active=True)
    return list(qs.select_related("instrument").order_by("-is_active", "name", "pk"))


def get_template(scope: Scope, pk: Any) -> AuditTemplate:
    _require_read(scope)
    return get_row(
        AuditTemplate.objects.filter(company_id=scope.company_id).select_related("instrument"), pk
    )


def plans_for(scope: Scope) -> list[AuditPlan]:
    """The company's audit plans with their template, auditor and outlets."""
    _require_read(scope)
    return list(
        AuditPlan.objects.filter(company_id=scope.company_id)
        .select_related("template", "auditor")
        .prefetch_related(Prefetch("outlets", queryset=Unit.objects.order_by("path")))
        .order_by("-is_active", "name", "pk")
    )


def add_period(day: dt.date, every: int, period: str) -> dt.date:
    """``day`` plus ``every`` weeks or months (the 31st plus a month is the month's last day)."""
    if period == Period.WEEK:
        return day + dt.timedelta(weeks=every)
    index = day.month - 1 + every
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_due(plan: AuditPlan, last_day: dt.date | None) -> dt.date | None:
    """When the plan's next audit of an outlet is due: on ``starts_on`` until the first audit,
    then ``every`` weeks/months after the last submitted one; None once past ``ends_on``."""
    due = plan.starts_on if last_day is None else add_period(last_day, plan.every, plan.period)
    if plan.ends_on is not None and due > plan.ends_on:
        return None
    return due


@dataclass
class DueAudit:
    """One outlet's next audit under a plan."""

    plan: AuditPlan
    outlet: Unit
    due_on: dt.date
    last_day: dt.date | None
    draft_id: int | None
    overdue: bool


def due_audits(
    scope: Scope, *, today: dt.date | None = None, horizon: int = 14, everyone: bool = False
) -> list[DueAudit]:
    """The audits due within ``horizon`` days (and overdue ones), soonest first.

    For an auditor: the plans that name them, and the unassigned plans' outlets they may audit.
    ``everyone`` (quality managers): every active plan of the company. Four queries.
    """
    today = today or timezone.localdate(clock.now())
    if everyone:
        _require_read(scope)
        if not scope.can(Perm.MANAGE_QUALITY):
            raise OutOfScope()
    elif not scope.can(Perm.AUDIT_OUTLETS) or scope.staff_id is None:
        return []
    plans = AuditPlan.objects.filter(company_id=scope.company_id, is_active=True)
    if not everyone:
        plans = plans.filter(Q(auditor_id=scope.staff_id) | Q(auditor__isnull=True))
    plans = list(
        plans.select_related("template", "auditor").prefetch_related(
            Prefetch("outlets", queryset=Unit.objects.filter(is_active=True).order_by("path"))
        )
    )
    if not plans:
        return []
    ids = [p.pk for p in plans]
    last = {
        (row["plan_id"], row["outlet_id"]): row["last"]
        for row in Audit.objects.filter(plan_id__in=ids, status=AuditStatus.SUBMITTED)
        .values("plan_id", "outlet_id")
        .annotate(last=Max("day"))
    }
    drafts = Audit.objects.filter(plan_id__in=ids, status=AuditStatus.DRAFT)
    if not everyone:
        drafts = drafts.filter(auditor_id=scope.staff_id)
    draft = {(a.plan_id, a.outlet_id): a.pk for a in drafts.only("pk", "plan_id", "outlet_id")}
    limit = today + dt.timedelta(days=horizon)
    result = []
    for plan in plans:
        mine = plan.auditor_id == scope.staff_id
        for outlet in plan.outlets.all():
            if not everyone and not mine:
                if not scope.covers(outlet) or (
                    scope.role == Role.OUTLET_MANAGER and not plan.template.is_walkaround
                ):
                    continue
            last_day = last.get((plan.pk, outlet.pk))
            due = next_due(plan, last_day)
            if due is None or due > limit:
                continue
            result.append(
                DueAudit(plan, outlet, due, last_day, draft.get((plan.pk, outlet.pk)), due < today)
            )
    result.sort(key=lambda d: (d.due_on, d.outlet.path, d.plan.pk))
    return result


# -- audits ---------------------------------------------------------------------------------------


def audits_for(scope: Scope) -> QuerySet[Audit]:
    """Submitted audits of the outlets in the scope's subtree."""
    _require_read(scope)
    return scope.filter(
        Audit.objects.filter(status=AuditStatus.SUBMITTED), unit_field="outlet"
    ).select_related("outlet", "template", "auditor")


def drafts_of(scope: Scope) -> list[Audit]:
    """The scope's own audits in progress."""
    if scope.staff_id is None or not scope.can(Perm.AUDIT_OUTLETS):
        return []
    return list(
        Audit.objects.filter(auditor_id=scope.staff_id, status=AuditStatus.DRAFT)
        .select_related("outlet", "template")
        .order_by("-started_at")[:50]
    )


def get_audit(scope: Scope, pk: Any) -> Audit:
    """An audit: one's own in progress, or a submitted one of an outlet in the subtree."""
    base = Audit.objects.select_related(
        "outlet", "template", "auditor", "plan", "version__instrument"
    )
    if scope.staff_id is not None and scope.can(Perm.AUDIT_OUTLETS):
        own = base.filter(pk=getattr(pk, "pk", pk), auditor_id=scope.staff_id)
        try:
            return own.get()
        except (Audit.DoesNotExist, ValueError, TypeError, OverflowError):
            pass
    _require_read(scope)
    try:
        return scope.filter(base.filter(status=AuditStatus.SUBMITTED), unit_field="outlet").get(
            pk=getattr(pk, "pk", pk)
        )
    except (Audit.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc


def audit_details(audit: Audit) -> dict[str, Any]:
    """A submitted audit's answer rows (with standards), findings with their actions, photos."""
    answers = list(
        audit.answer_rows.select_related("standard", "item").order_by(
            "item__section__position", "item__position"
        )
    )
    findings = list(
        audit.findings.select_related("standard", "recognised_by__staff").prefetch_related(
            Prefetch("actions", queryset=ActionItem.objects.select_related("owner"))
        )
    )
    return {
        "answers": answers,
        "findings": findings,
        "gaps": [f for f in findings if f.kind == FindingKind.GAP],
        "praise": [f for f in findings if f.kind == FindingKind.RECOGNITION],
        "photos": list(audit.photos.all()),
        "sides": {
            row.factor.code: row.score for row in audit.factor_scores.select_related("factor")
        },
    }


def month_range(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first days of the months from ``start`` to ``end`` (inclusive)."""
    months, day = [], start.replace(day=1)
    while day <= end:
        months.append(day)
        day = add_period(day, 1, Period.MONTH)
    return months


@dataclass
class OutletHistory:
    outlet: Unit
    months: list[dt.date]
    trend: list[float | None]
    walkaround_trend: list[int]
    sides: dict[str, list[float | None]]
    areas: list[tuple[str, str, float | None, int]]
    open_gaps: list[AuditFinding]
    praise: list[AuditFinding]


def outlet_history(scope: Scope, outlet: Unit, *, months: int = 12) -> OutletHistory:
    """An outlet's last ``months`` months of audits: the monthly average index (full audits
    and walk-arounds alike), each side's monthly average, the average per area, the open gaps
    and the praise still to pass on."""
    _require_read(scope)
    if not scope.covers(outlet) or outlet.company_id != scope.company_id:
        raise NotFound()
    today = timezone.localdate(clock.now())
    start = add_period(today.replace(day=1), -(months - 1), Period.MONTH)
    keys = month_range(start, today)
    audits = Audit.objects.filter(outlet=outlet, status=AuditStatus.SUBMITTED, month__gte=start)
    by_month = {
        row["month"]: row
        for row in audits.values("month").annotate(
            index=Avg("index"), walks=Count("pk", filter=Q(is_walkaround=True))
        )
    }
    side_rows = (
        AuditFactorScore.objects.filter(audit__in=audits)
        .values("audit__month", "factor__code")
        .annotate(score=Avg("score"))
    )
    sides: dict[str, dict[dt.date, float]] = defaultdict(dict)
    for row in side_rows:
        sides[row["factor__code"]][row["audit__month"]] = row["score"]
    area_rows = {
        row["area"]: row
        for row in AuditAnswer.objects.filter(audit__in=audits, score__isnull=False)
        .values("area")
        .annotate(score=Avg("score"), n=Count("pk"))
    }
    findings = AuditFinding.objects.filter(outlet=outlet).select_related("standard", "audit")
    return OutletHistory(
        outlet=outlet,
        months=keys,
        trend=[by_month[m]["index"] if m in by_month else None for m in keys],
        walkaround_trend=[by_month[m]["walks"] if m in by_month else 0 for m in keys],
        sides={side: [sides[side].get(m) for m in keys] for side in Side.values},
        areas=[
            (
                area,
                str(label),
                area_rows[area]["score"] if area in area_rows else None,
                area_rows[area]["n"] if area in area_rows else 0,
            )
            for area, label in Area.choices
        ],
        open_gaps=list(
            findings.filter(
                kind=FindingKind.GAP, status__in=[FindingStatus.OPEN, FindingStatus.ACTED]
            ).order_by("-created_at")[:30]
        ),
        praise=list(
            findings.filter(kind=FindingKind.RECOGNITION, status=FindingStatus.OPEN).order_by(
                "-created_at"
            )[:30]
        ),
    )


@dataclass
class ComparisonRow:
    outlet: Unit
    audits: int
    index: float | None
    procedural: float | None
    personal: float | None
    last_day: dt.date | None


def comparison(scope: Scope, start: dt.date, end: dt.date) -> list[ComparisonRow]:
    """Every outlet in the subtree over the months ``start``…``end``: audits done, average
    index and per side (outlets without audits are listed too, with dashes). Three queries."""
    _require_read(scope)
    outlets = list(outlet_units(scope).filter(company_id=scope.company_id))
    audits = audits_for(scope).filter(month__gte=start.replace(day=1), month__lte=end)
    main = {
        row["outlet_id"]: row
        for row in audits.values("outlet_id").annotate(
            n=Count("pk"), index=Avg("index"), last=Max("day")
        )
    }
    sides: dict[int, dict[str, float]] = defaultdict(dict)
    for row in (
        AuditFactorScore.objects.filter(audit__in=audits.values("pk"))
        .values("audit__outlet_id", "factor__code")
        .annotate(score=Avg("score"))
    ):
        sides[row["audit__outlet_id"]][row["factor__code"]] = row["score"]
    rows = []
    for outlet in outlets:
        data = main.get(outlet.pk, {})
        rows.append(
            ComparisonRow(
                outlet=outlet,
                audits=data.get("n", 0),
                index=data.get("index"),
                procedural=sides[outlet.pk].get(Side.PROCEDURAL),
                personal=sides[outlet.pk].get(Side.PERSONAL),
                last_day=data.get("last"),
            )
        )
    return rows


def area_comparison(scope: Scope, start: dt.date, end: dt.date) -> dict[int, dict[str, float]]:
    """{outlet id: {area: average 0–100}} over the months ``start``…``end`` (one query)."""
    _require_read(scope)
    audits = audits_for(scope).filter(month__gte=start.replace(day=1), month__lte=end)
    result: dict[int, dict[str, float]] = defaultdict(dict)
    for row in (
        AuditAnswer.objects.filter(audit__in=audits.values("pk"), score__isnull=False)
        .values("audit__outlet_id", "area")
        .annotate(score=Avg("score"))
    ):
        result[row["audit__outlet_id"]][row["area"]] = row["score"]
    return result


def company_trend(scope: Scope, start: dt.date, end: dt.date) -> dict[dt.date, float]:
    """The monthly average index of every audit in the subtree (one query)."""
    _require_read(scope)
    audits = audits_for(scope).filter(month__gte=start.replace(day=1), month__lte=end)
    return {
        row["month"]: row["index"] for row in audits.values("month").annotate(index=Avg("index"))
    }


# -- action items ---------------------------------------------------------------------------------


def action_items(scope: Scope, *, mine: bool, status: str = ActionStatus.OPEN) -> list[ActionItem]:
    """Action items: the scope's own, or (quality managers and outlet managers) those of the
    outlets in the subtree; soonest due first, at most 200."""
    if scope.company_id is None or scope.can(Perm.SHOP):
        raise OutOfScope()
    qs = ActionItem.objects.filter(company_id=scope.company_id).select_related(
        "owner", "outlet", "finding__standard", "program"
    )
    if status:
        qs = qs.filter(status=status)
    if mine:
        qs = qs.filter(owner_id=scope.staff_id)
    elif not (scope.can(Perm.MANAGE_QUALITY) and scope.is_company_wide):
        if not scope.can(Perm.MANAGE_IMPROVEMENT):
            qs = qs.filter(owner_id=scope.staff_id)
        else:
            qs = qs.filter(outlet__in=outlet_units(scope))
    return list(qs.order_by("due_on", "pk")[:200])


# -- mystery shopping -----------------------------------------------------------------------------


def programs_for(scope: Scope) -> list[ShoppingProgram]:
    """The company's mystery-shopping programmes with visit counts (managers only)."""
    if not scope.can(Perm.MANAGE_QUALITY) or scope.company_id is None:
        raise OutOfScope()
    return list(
        ShoppingProgram.objects.filter(company_id=scope.company_id)
        .annotate(
            visit_count=Count("visits", filter=~Q(visits__status=VisitStatus.CANCELLED)),
            done_count=Count("visits", filter=Q(visits__status=VisitStatus.SUBMITTED)),
        )
        .order_by("-created_at", "-pk")[:200]
    )


def get_program(scope: Scope, pk: Any) -> ShoppingProgram:
    """One programme of the company (managers only)."""
    if not scope.can(Perm.MANAGE_QUALITY) or scope.company_id is None:
        raise OutOfScope()
    return get_row(
        ShoppingProgram.objects.filter(company_id=scope.company_id).select_related(
            "checklist__instrument"
        ),
        pk,
    )


@dataclass
class ProgramReport:
    """Scores per outlet and per checklist area, own outlets against competitors."""

    factors: list[tuple[str, str]]
    targets: list[dict[str, Any]]
    own: dict[str, Any]
    competitors: dict[str, Any]


def _is_own(competitor: str) -> Case:
    """True for a visit to one of the company's own outlets (no competitor)."""
    return Case(
        When(**{f"{competitor}__isnull": True}, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def program_report(program: ShoppingProgram) -> ProgramReport:
    """The programme's report from its submitted visits (four queries)."""
    from manyi.instruments.queries import definition_for

    factors: list[tuple[str, str]] = []
    if program.checklist_id:
        factors = [(f.code, f.name) for f in definition_for(program.checklist).factors]
    visits = Visit.objects.filter(program=program, status=VisitStatus.SUBMITTED)
    per_target = {
        row["target_id"]: row
        for row in visits.values("target_id").annotate(n=Count("pk"), index=Avg("index"))
    }
    per_factor: dict[int, dict[str, float]] = defaultdict(dict)
    groups: dict[bool, dict[str, float]] = defaultdict(dict)
    for row in (
        VisitFactorScore.objects.filter(visit__in=visits)
        .values("visit__target_id", "factor__code")
        .annotate(score=Avg("score"))
    ):
        per_factor[row["visit__target_id"]][row["factor__code"]] = row["score"]
    for row in (
        VisitFactorScore.objects.filter(visit__in=visits)
        .annotate(own=_is_own("visit__target__competitor"))
        .values("own", "factor__code")
        .annotate(score=Avg("score"))
    ):
        groups[row["own"]][row["factor__code"]] = row["score"]
    overall = {
        row["own"]: row
        for row in visits.annotate(own=_is_own("target__competitor"))
        .values("own")
        .annotate(n=Count("pk"), index=Avg("index"))
    }
    targets = []
    for target in program.targets.select_related("outlet", "competitor").order_by("pk"):
        data = per_target.get(target.pk, {})
        targets.append(
            {
                "target": target,
                "name": target.name,
                "competitor": target.is_competitor,
                "visits": data.get("n", 0),
                "index": data.get("index"),
                "factors": [per_factor[target.pk].get(code) for code, _n in factors],
            }
        )

    def group(own: bool) -> dict[str, Any]:
        data = overall.get(own, {})
        return {
            "visits": data.get("n", 0),
            "index": data.get("index"),
            "factors": [groups[own].get(code) for code, _n in factors],
        }

    return ProgramReport(factors, targets, group(True), group(False))


def shopper_visits(scope: Scope) -> list[Visit]:
    """A shopper's own visits (nothing of anyone else's), planned first, by date."""
    if not scope.can(Perm.SHOP) or scope.staff_id is None:
        raise OutOfScope()
    return list(
        Visit.objects.filter(shopper_id=scope.staff_id)
        .exclude(status=VisitStatus.CANCELLED)
        .select_related("program", "target__outlet", "target__competitor", "scenario")
        .order_by("status", "planned_on", "pk")[:200]
    )


def get_shopper_visit(scope: Scope, pk: Any) -> Visit:
    """One of the shopper's own visits; anyone else's is not found."""
    if not scope.can(Perm.SHOP) or scope.staff_id is None:
        raise OutOfScope()
    return get_row(
        Visit.objects.filter(shopper_id=scope.staff_id)
        .exclude(status=VisitStatus.CANCELLED)
        .select_related(
            "program", "target__outlet", "target__competitor", "scenario", "version__instrument"
        ),
        pk,
    )
