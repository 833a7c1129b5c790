"""The service gap (DOMAIN §5, 004: satisfaction = perceived result against expectation).

Where an instrument asks both how important a factor is (an *importance factor*: a factor whose
``importance_of`` names another, see ``manyi.instruments.models.Factor``) and how well it was
done (the factor itself), the gap of that factor is

    gap = perception − expectation   (both mean factor scores, 0–100)

negative when the outlet falls short of what its customers expect. The means come from the
surveys' factor rollups (``SurveyFactorRollup``: per month, outlet, version and factor, the
count and the sum of the scores) — one grouped aggregate, never response rows. Factors are
matched across an instrument's versions by their code, so a new version continues the series.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from manyi.complaints.analytics import Filters
from manyi.errors import InvalidInput
from manyi.instruments.models import Factor, Instrument
from manyi.org.models import Unit
from manyi.org.scopes import Perm, Scope
from manyi.surveys.models import SurveyFactorRollup


@dataclass(frozen=True)
class GapRow:
    """One factor: its expectation and perception means, how many scores each has."""

    code: str
    name: str
    expectation: float | None
    perception: float | None
    expectation_n: int
    perception_n: int

    @property
    def gap(self) -> float | None:
        if self.expectation is None or self.perception is None:
            return None
        return round(self.perception - self.expectation, 1)


@dataclass(frozen=True)
class GapReport:
    instrument: Instrument | None
    instruments: list[Instrument]
    rows: list[GapRow]

    @property
    def widest(self) -> GapRow | None:
        """The factor that falls furthest short of expectation."""
        known = [r for r in self.rows if r.gap is not None]
        return min(known, key=lambda r: r.gap) if known else None


def instruments_with_gap(company: Unit) -> list[Instrument]:
    """The instruments the company may use whose versions pair a factor with its importance."""
    ids = Factor.objects.filter(importance_of__isnull=False).values("version__instrument_id")
    return list(
        Instrument.objects.filter(pk__in=ids)
        .filter(Q(company_id=company.pk) | Q(company__isnull=True))
        .order_by("name", "pk")
    )


def gap_report(scope: Scope, company: Unit, f: Filters, instrument_id=None) -> GapReport:
    """Expectation against perception per factor of one instrument (the first with pairs when
    none is chosen), in the period and unit of ``f``."""
    scope.require(Perm.VIEW_REPORTS)
    choices = instruments_with_gap(company)
    instrument = None
    if instrument_id not in (None, ""):
        instrument = next((i for i in choices if str(i.pk) == str(instrument_id)), None)
        if instrument is None:
            raise InvalidInput(
                _("Choose an instrument that asks how important its factors are."),
                field="instrument",
            )
    elif choices:
        instrument = choices[0]
    if instrument is None:
        return GapReport(None, choices, [])
    pairs = list(
        Factor.objects.filter(version__instrument=instrument, importance_of__isnull=False)
        .select_related("importance_of")
        .order_by("version_id", "position")
    )
    # code of the importance factor → code of the factor it rates; factor names from the newest.
    rated = {p.code: p.importance_of.code for p in pairs}
    names = {p.importance_of.code: p.importance_of.name for p in pairs}
    order = list(dict.fromkeys(p.importance_of.code for p in pairs))
    wanted = set(rated) | set(rated.values())
    qs = SurveyFactorRollup.objects.filter(
        company_id=company.pk,
        version__instrument=instrument,
        month__gte=f.start,
        month__lte=f.end,
        factor__code__in=wanted,
    )
    qs = scope.filter(qs, unit_field="unit", perm=Perm.VIEW_REPORTS)
    if f.unit is not None:
        qs = qs.filter(unit__in=Unit.objects.filter(path__startswith=f.unit.path).values("pk"))
    sums = {
        row["factor__code"]: (row["n"] or 0, row["total"] or 0.0)
        for row in qs.values("factor__code").annotate(n=Sum("n"), total=Sum("score_sum"))
    }

    def mean(code: str) -> tuple[float | None, int]:
        n, total = sums.get(code, (0, 0.0))
        return (round(total / n, 1) if n else None), n

    importance_of = {v: k for k, v in rated.items()}
    rows = []
    for code in order:
        expectation, en = mean(importance_of[code])
        perception, pn = mean(code)
        rows.append(GapRow(code, names[code], expectation, perception, en, pn))
    return GapReport(instrument, choices, rows)
