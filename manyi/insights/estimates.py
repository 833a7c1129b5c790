"""Word of mouth and retention (DOMAIN §4): what the satisfied, unhappy and complaining customers
of a period stand for — people told, customers kept and lost — on the company's coefficients.

The coefficients are the complaint policy's (``manyi.complaints.estimates``: one set per
company, edited on the complaint analytics page), each shown with the seed that states it.

**Counts** (whole months ``start``–``end``, the reader's scope, optionally one unit):

- *satisfied* ``S`` = survey responses not marked unhappy (the surveys' rollups) + work orders
  whose return visit was "satisfied";
- *unhappy* ``U`` = survey responses marked unhappy (detractor, low index or "not satisfied")
  + return visits "not satisfied";
- *complaining* ``C`` = complaints received (merged duplicates once), of which ``F`` solved
  within ``fast_days`` and ``L`` solved later.

**Arithmetic** (exact, rounded to whole people on the page):

- people the satisfied tell = ``S × satisfied_tells`` (003: 8);
- people the unhappy we heard tell = ``U × unhappy_tells`` (004: 18);
- unhappy customers behind the complaints = ``C × unhappy_per_complaint`` (000: 25), and the
  people they tell = that × ``unhappy_tells``;
- complainers kept = ``F × kept_when_solved_fast + L × kept_when_solved`` (000: 90 % / 60 %),
  lost = ``C − kept``; replacing the lost costs ``lost × new_customer_cost_factor`` times
  keeping a customer (000: 5×).

The unhappy we heard and the unhappy behind complaints may overlap (a complainer may also have
answered a survey); the page says so rather than guess the overlap.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manyi.complaints import analytics as complaint_analytics
from manyi.complaints.analytics import Filters
from manyi.complaints.estimates import COEFFICIENTS, Coefficient, iceberg, policy_for
from manyi.complaints.models import ComplaintPolicy
from manyi.org.models import Unit
from manyi.org.scopes import Perm, Scope
from manyi.surveys.models import SurveyRollup
from manyi.workorders.models import ReturnVisitOutcome, WorkOrder

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Counts:
    """The customers of the period by how they felt."""

    survey_satisfied: int
    survey_unhappy: int
    visit_satisfied: int
    visit_unhappy: int
    complaints: int
    solved_fast: int
    solved_slow: int

    @property
    def satisfied(self) -> int:
        return self.survey_satisfied + self.visit_satisfied

    @property
    def unhappy(self) -> int:
        return self.survey_unhappy + self.visit_unhappy


@dataclass(frozen=True)
class Line:
    """One line of the arithmetic: a figure, how it is computed, and the coefficient's seed."""

    key: str
    label: str
    formula: str
    value: Decimal
    source: str = ""


@dataclass(frozen=True)
class WordOfMouth:
    counts: Counts
    policy: ComplaintPolicy
    lines: list[Line]
    coefficients: list[tuple[Coefficient, Decimal | int]]

    def value(self, key: str) -> Decimal:
        return next(line.value for line in self.lines if line.key == key)


def _bounds(f: Filters) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(f.start, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(f.last_day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def _subtree(unit: Unit):
    return Unit.objects.filter(path__startswith=unit.path).values("pk")


def counts(scope: Scope, company: Unit, f: Filters) -> Counts:
    """Satisfied, unhappy and complaining customers of the period: three grouped aggregates."""
    scope.require(Perm.VIEW_REPORTS)
    rollups = SurveyRollup.objects.filter(
        company_id=company.pk, month__gte=f.start, month__lte=f.end
    )
    rollups = scope.filter(rollups, unit_field="unit", perm=Perm.VIEW_REPORTS)
    if f.unit is not None:
        rollups = rollups.filter(unit__in=_subtree(f.unit))
    survey = rollups.aggregate(responses=Sum("responses"), unhappy=Sum("unhappy"))
    start, end = _bounds(f)
    visits = WorkOrder.objects.filter(
        case__company_id=company.pk, case__closed_at__gte=start, case__closed_at__lt=end
    )
    visits = scope.filter(
        visits, unit_field="case__unit", company_field="case__company", perm=Perm.VIEW_REPORTS
    )
    if f.unit is not None:
        visits = visits.filter(case__unit__in=_subtree(f.unit))
    visit = visits.aggregate(
        satisfied=Count("pk", filter=Q(return_visit_outcome=ReturnVisitOutcome.SATISFIED)),
        unhappy=Count("pk", filter=Q(return_visit_outcome=ReturnVisitOutcome.NOT_SATISFIED)),
    )
    policy = policy_for(company)
    fast = dt.timedelta(days=policy.fast_days)
    complaint = complaint_analytics.complaints(scope, company, f).aggregate(
        n=Count("pk"),
        fast=Count(
            "pk",
            filter=Q(resolved_at__isnull=False, resolved_at__lte=F("case__opened_at") + fast),
        ),
        solved=Count("pk", filter=Q(resolved_at__isnull=False)),
    )
    responses, unhappy = survey["responses"] or 0, survey["unhappy"] or 0
    return Counts(
        survey_satisfied=responses - unhappy,
        survey_unhappy=unhappy,
        visit_satisfied=visit["satisfied"],
        visit_unhappy=visit["unhappy"],
        complaints=complaint["n"],
        solved_fast=complaint["fast"],
        solved_slow=complaint["solved"] - complaint["fast"],
    )


def _num(value: Decimal | int) -> str:
    if isinstance(value, int):
        return str(value)
    return format(value.normalize(), "f")


def estimate(c: Counts, policy: ComplaintPolicy) -> WordOfMouth:
    """The arithmetic on ``policy``'s coefficients (pure: no query)."""
    sources = {co.field: str(co.source) for co in COEFFICIENTS}
    berg = iceberg(
        policy, complaints=c.complaints, solved_fast=c.solved_fast, solved_slow=c.solved_slow
    )
    sat_tells = Decimal(c.satisfied) * policy.satisfied_tells
    unhappy_tells = Decimal(c.unhappy) * policy.unhappy_tells
    replace = (berg.lost * policy.new_customer_cost_factor).quantize(CENT)
    lines = [
        Line(
            "satisfied_told",
            str(_("People the satisfied customers tell")),
            f"{c.satisfied} × {_num(policy.satisfied_tells)}",
            sat_tells.quantize(CENT),
            sources["satisfied_tells"],
        ),
        Line(
            "unhappy_told",
            str(_("People the unhappy customers we heard tell")),
            f"{c.unhappy} × {_num(policy.unhappy_tells)}",
            unhappy_tells.quantize(CENT),
            sources["unhappy_tells"],
        ),
        Line(
            "behind_complaints",
            str(_("Unhappy customers behind the complaints")),
            f"{c.complaints} × {_num(policy.unhappy_per_complaint)}",
            berg.unhappy,
            sources["unhappy_per_complaint"],
        ),
        Line(
            "complaints_told",
            str(_("People they tell")),
            f"{_num(berg.unhappy)} × {_num(policy.unhappy_tells)}",
            berg.told,
            sources["unhappy_tells"],
        ),
        Line(
            "kept",
            str(_("Complainers kept")),
            f"{c.solved_fast} × {_num(policy.kept_when_solved_fast)} + "
            f"{c.solved_slow} × {_num(policy.kept_when_solved)}",
            berg.kept,
            f"{sources['kept_when_solved_fast']} {sources['kept_when_solved']}",
        ),
        Line(
            "lost",
            str(_("Complainers lost")),
            f"{c.complaints} − {_num(berg.kept)}",
            berg.lost,
        ),
        Line(
            "replace_cost",
            str(_("Cost of replacing them (× keeping one)")),
            f"{_num(berg.lost)} × {_num(policy.new_customer_cost_factor)}",
            replace,
            sources["new_customer_cost_factor"],
        ),
        Line(
            "net_told",
            str(_("People told: good minus bad")),
            f"{_num(sat_tells)} − {_num(unhappy_tells)} − {_num(berg.told)}",
            (sat_tells - unhappy_tells - berg.told).quantize(CENT),
        ),
    ]
    return WordOfMouth(
        counts=c,
        policy=policy,
        lines=lines,
        coefficients=[(co, getattr(policy, co.field)) for co in COEFFICIENTS],
    )


def word_of_mouth(scope: Scope, company: Unit, f: Filters) -> WordOfMouth:
    """The word-of-mouth and retention estimate of the period."""
    return estimate(counts(scope, company, f), policy_for(company))
