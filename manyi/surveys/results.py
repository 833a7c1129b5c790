"""Survey results (issue 5, DOMAIN §5): the figures behind the results page, its Excel exports
and the API, read through one set of functions so that all three show the same numbers.

**What is counted.** The responses to one instrument (all its versions, or one) submitted in a
period of whole months (the stored ``month``), in the reader's scope — a manager sees their
subtree only, through :meth:`Scope.filter` — optionally narrowed to a region or outlet, a
technician or a campaign. The response rate counts the invitations *sent* in the period (by the
month of sending) and how many of those have been answered so far; walk-in answers have no
invitation and count in no rate.

**The figures.**

- *Index*: the mean of the responses' overall index (0–100; the CSI for the CSI survey).
- *Factor scores*: the mean of each factor's 0–100 score over the responses that scored it.
- *NPS* = % promoters (9–10) − % detractors (0–6) of the answers to the 0–10 question; passives
  (7–8) count in the base only (``instruments.scoring.nps``).
- *CSAT* = % of the answers to the 5-point satisfaction question that are 4 or 5
  (``instruments.scoring.csat``; which question that is: ``answering.key_figures``).
- *Unhappy*: responses that opened a follow-up (detractor, low index, "not satisfied").
- *Per item*: answers, mean 0–100 score and the distribution of the values; *strengths and
  weaknesses*: the best and worst items and factors by mean score (``scoring.rank``).
- *Themes*: the keywords of the free-text answers (``rollups.keywords``), by how many answers
  use them; each links to its answers (:func:`comment_page`).

**How.** Every figure is a sum over the rollup tables (:mod:`manyi.surveys.rollups`), grouped
in SQL: at a million responses one grouped aggregate over the raw rows takes seconds, over the
rollups milliseconds. :data:`RAW` computes the same figures from the raw response, factor,
answer and invitation rows; the tests hold the two equal on random data, and the benchmark
checks them at full size. The open-text answers behind a theme are read from the raw rows,
a keyset page at a time.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.errors import InvalidInput, NotFound, interpolate
from manyi.instruments.models import Factor, Instrument, InstrumentVersion, Item, ItemType
from manyi.instruments.scoring import csat, nps, rank
from manyi.org.models import Role, Staff, Unit, UnitKind
from manyi.org.scopes import Perm, Scope
from manyi.surveys.models import (
    Campaign,
    Invitation,
    SurveyAnswer,
    SurveyFactorRollup,
    SurveyFactorScore,
    SurveyItemRollup,
    SurveyOutletItemRollup,
    SurveyResponse,
    SurveyRollup,
)
from manyi.surveys.rollups import answer_values

MAX_MONTHS = 60
DEFAULT_MONTHS = 12
THEMES = 20
COMMENTS_PAGE = 50


# -- the period and the filters ---------------------------------------------------------------


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


def _pk(raw: Any) -> int | None:
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        return None
    return pk if 0 < pk < 2**63 else None


@dataclass(frozen=True)
class Filters:
    """What the figures count: an instrument (all its versions or one), whole months from
    ``start`` to ``end``, and optionally a region or outlet, a technician, a campaign."""

    instrument: Instrument | None
    versions: tuple[int, ...]
    start: dt.date
    end: dt.date
    version: InstrumentVersion | None = None
    unit: Unit | None = None
    technician: Staff | None = None
    campaign: Campaign | None = None

    @property
    def months(self) -> list[dt.date]:
        count = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
        return [add_months(self.start, i) for i in range(count)]

    def previous(self) -> Filters:
        """The same filters on the period of the same length just before."""
        length = len(self.months)
        return Filters(
            instrument=self.instrument,
            versions=self.versions,
            start=add_months(self.start, -length),
            end=add_months(self.start, -1),
            version=self.version,
            unit=self.unit,
            technician=self.technician,
            campaign=self.campaign,
        )

    def query(self) -> dict[str, str]:
        """The filters as URL parameters."""
        params = {"from": f"{self.start:%Y-%m}", "to": f"{self.end:%Y-%m}"}
        for name, obj in (
            ("instrument", self.instrument),
            ("version", self.version),
            ("unit", self.unit),
            ("technician", self.technician),
            ("campaign", self.campaign),
        ):
            if obj is not None:
                params[name] = str(obj.pk)
        return params


def results_company(scope: Scope, company_id: Any = None) -> Unit:
    """The company whose results the reader sees: their own; an installation superuser (no
    staff record) names one with ``company_id`` (else the first company)."""
    scope.require(Perm.VIEW_REPORTS)
    companies = Unit.objects.filter(kind=UnitKind.COMPANY)
    if scope.company_id is not None:
        company = companies.filter(pk=scope.company_id).first()
    else:
        pk = _pk(company_id) if company_id not in (None, "") else None
        qs = companies.filter(pk=pk) if company_id not in (None, "") else companies.order_by("pk")
        company = qs.first()
    if company is None:
        raise NotFound()
    return company


@dataclass
class InstrumentChoice:
    """An instrument with responses in the reader's scope, and its versions that have some."""

    instrument: Instrument
    responses: int
    versions: list[InstrumentVersion]


def instrument_choices(scope: Scope, company: Unit) -> list[InstrumentChoice]:
    """The instruments answered in the reader's scope, the most answered first (two queries)."""
    qs = _scoped(scope, SurveyRollup.objects.filter(company_id=company.pk))
    counts = dict(
        qs.values_list("version_id").annotate(n=Sum("responses")).filter(n__gt=0).order_by()
    )
    versions = InstrumentVersion.objects.filter(pk__in=list(counts)).select_related("instrument")
    by_instrument: dict[int, InstrumentChoice] = {}
    for version in sorted(versions, key=lambda v: -v.number):
        choice = by_instrument.setdefault(
            version.instrument_id, InstrumentChoice(version.instrument, 0, [])
        )
        choice.responses += counts[version.pk]
        choice.versions.append(version)
    return sorted(by_instrument.values(), key=lambda c: (-c.responses, c.instrument.name))


def unit_choices(scope: Scope, company: Unit) -> list[Unit]:
    """The regions and outlets the reader may narrow the figures to (their subtree)."""
    return list(
        scope.units()
        .filter(company_id=company.pk, kind__in=(UnitKind.REGION, UnitKind.OUTLET))
        .order_by("path")
    )


def technician_choices(scope: Scope, company: Unit) -> list[Staff]:
    """The technicians of the reader's subtree."""
    return list(
        Staff.objects.filter(
            company_id=company.pk,
            role=Role.TECHNICIAN,
            unit__in=scope.units().values("pk"),
        )
        .select_related("unit")
        .order_by("unit__path", "name")
    )


def campaign_choices(scope: Scope, company: Unit, limit: int = 100) -> list[Campaign]:
    """The reader's campaigns that were launched, newest first."""
    qs = Campaign.objects.filter(company_id=company.pk, launched_at__isnull=False)
    return list(_scoped(scope, qs).order_by("-id")[:limit])


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last twelve months, this one included."""
    today = today or timezone.localdate(clock.now())
    end = today.replace(day=1)
    return add_months(end, 1 - DEFAULT_MONTHS), end


def parse_filters(
    scope: Scope,
    company: Unit,
    params: Mapping[str, Any],
    *,
    choices: list[InstrumentChoice] | None = None,
    today: dt.date | None = None,
) -> Filters:
    """The filters from URL parameters — ``instrument``, ``version``, ``from``/``to``
    (YYYY-MM), ``unit``, ``technician``, ``campaign`` — checked against the reader's scope;
    missing ones take the defaults (the most answered instrument, the last twelve months).
    Bad values raise :class:`InvalidInput` naming every field in error."""
    scope.require(Perm.VIEW_REPORTS)
    if choices is None:
        choices = instrument_choices(scope, company)
    errors: list[tuple[str, Any]] = []
    start, end = default_period(today)
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

    chosen: InstrumentChoice | None = choices[0] if choices else None
    if params.get("instrument"):
        pk = _pk(params.get("instrument"))
        chosen = next((c for c in choices if c.instrument.pk == pk), None)
        if chosen is None:
            errors.append(("instrument", _("Choose an instrument with answers in your scope.")))
    version = None
    if params.get("version"):
        pk = _pk(params.get("version"))
        version = next((v for v in chosen.versions if v.pk == pk), None) if chosen else None
        if version is None:
            errors.append(("version", _("Choose a version of the instrument.")))
    unit = technician = campaign = None
    if params.get("unit"):
        pk = _pk(params.get("unit"))
        unit = Unit.objects.filter(pk=pk, company_id=company.pk).first() if pk else None
        if unit is None or not scope.covers(unit):
            unit = None
            errors.append(("unit", _("Choose a region or outlet you can see.")))
    if params.get("technician"):
        pk = _pk(params.get("technician"))
        technician = (
            Staff.objects.filter(pk=pk, company_id=company.pk).select_related("unit").first()
            if pk
            else None
        )
        if technician is None or not scope.covers(technician.unit):
            technician = None
            errors.append(("technician", _("Choose a technician you can see.")))
    if params.get("campaign"):
        pk = _pk(params.get("campaign"))
        campaign = (
            Campaign.objects.filter(pk=pk, company_id=company.pk).select_related("unit").first()
            if pk
            else None
        )
        if campaign is None or not scope.covers(campaign.unit):
            campaign = None
            errors.append(("campaign", _("Choose a campaign you can see.")))
    if errors:
        raise InvalidInput(_("Some filters are not valid."), errors=errors)
    if version is not None:
        versions: tuple[int, ...] = (version.pk,)
    elif chosen is not None:
        versions = tuple(v.pk for v in chosen.versions)
    else:
        versions = ()
    return Filters(
        instrument=chosen.instrument if chosen else None,
        versions=versions,
        start=start,
        end=end,
        version=version,
        unit=unit,
        technician=technician,
        campaign=campaign,
    )


# -- sums and their figures ---------------------------------------------------------------------


@dataclass
class Sums:
    """The counts of a group of responses (and invitations) and the figures made of them."""

    sent: int = 0
    answered: int = 0
    responses: int = 0
    indexed: int = 0
    index_sum: float = 0.0
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    csat_answered: int = 0
    csat_top2: int = 0
    unhappy: int = 0

    FIELDS = (
        "sent",
        "answered",
        "responses",
        "indexed",
        "index_sum",
        "promoters",
        "passives",
        "detractors",
        "csat_answered",
        "csat_top2",
        "unhappy",
    )

    def add(self, other: Mapping[str, Any] | Sums) -> Sums:
        """Add another group's counts (a row dict of the same names, or Sums)."""
        values = other.__dict__ if isinstance(other, Sums) else other
        for name in self.FIELDS:
            setattr(self, name, getattr(self, name) + (values.get(name) or 0))
        return self

    @property
    def index(self) -> float | None:
        return self.index_sum / self.indexed if self.indexed else None

    @property
    def nps_answers(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def nps(self) -> float | None:
        return nps(self.promoters, self.passives, self.detractors)

    @property
    def csat(self) -> float | None:
        return csat(self.csat_top2, self.csat_answered)

    @property
    def response_rate(self) -> float | None:
        """Answered per sent, in %."""
        return self.answered * 100.0 / self.sent if self.sent else None

    @property
    def unhappy_share(self) -> float | None:
        return self.unhappy * 100.0 / self.responses if self.responses else None

    def share(self, count: int) -> float | None:
        """``count`` as % of the NPS answers."""
        return count * 100.0 / self.nps_answers if self.nps_answers else None

    def figures(self) -> dict[str, Any]:
        """Counts and figures as a dict (the API, the tables)."""
        return {
            **{name: getattr(self, name) for name in self.FIELDS if name != "index_sum"},
            "index": self.index,
            "nps": self.nps,
            "csat": self.csat,
            "response_rate": self.response_rate,
            "unhappy_share": self.unhappy_share,
        }


@dataclass
class FactorFigure:
    code: str
    name: str
    n: int
    score_sum: float
    weight: float = 0.0

    @property
    def mean(self) -> float | None:
        return self.score_sum / self.n if self.n else None


@dataclass
class ItemFigure:
    """One item: how often it was answered, its mean score, and how the answers spread."""

    code: str
    number: int
    text: str
    type: str
    factor: str | None
    answers: int = 0
    scored: int = 0
    score_sum: float = 0.0
    values: dict[str, int] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def mean(self) -> float | None:
        return self.score_sum / self.scored if self.scored else None

    def distribution(self) -> list[dict[str, Any]]:
        """Each value with its count and share, in the item's order (scale points low to high,
        options as declared, then the rest by count)."""
        order = list(self.labels)
        rest = sorted(
            (v for v in self.values if v not in self.labels), key=lambda v: -self.values[v]
        )
        base = self.answers or 1
        return [
            {
                "value": value,
                "label": self.labels.get(value, value),
                "count": self.values.get(value, 0),
                "share": self.values.get(value, 0) * 100.0 / base,
            }
            for value in order + rest
            if value in self.values or value in self.labels
        ]

    def themes(self, limit: int = THEMES) -> list[tuple[str, int]]:
        """The keywords of a free-text item, most used first."""
        words = [(w, n) for w, n in self.values.items() if w]
        return sorted(words, key=lambda pair: (-pair[1], pair[0]))[:limit]


# -- sources: the rollups (the page) and the raw rows (the reference) --------------------------

GROUPS = ("month", "unit", "region", "technician", "campaign")


def _scoped(scope: Scope, qs: QuerySet, unit_field: str = "unit") -> QuerySet:
    return scope.filter(qs, unit_field=unit_field, perm=Perm.VIEW_REPORTS)


def _subtree(unit: Unit) -> QuerySet:
    return Unit.objects.filter(path__startswith=unit.path).values("pk")


def _grouped(qs: QuerySet, cols: list[str], aggregates: dict[str, Any]) -> list[dict[str, Any]]:
    """``aggregates`` per distinct ``cols`` (one GROUP BY), or over everything when no column
    is named (``values()`` without names would group by every column)."""
    if not cols:
        return [qs.aggregate(**aggregates)]
    return list(qs.values(*cols).annotate(**aggregates).order_by())


def _none_as_zero(value: Any) -> Any:
    return 0 if value is None else value


class RollupSource:
    """Figures from the rollup tables (what the page, the exports and the API read)."""

    columns = {
        "month": "month",
        "unit": "unit_id",
        "region": "region_key",
        "technician": "technician_key",
        "campaign": "campaign_key",
    }

    def _filter(self, qs: QuerySet, scope: Scope, company: Unit, f: Filters) -> QuerySet:
        qs = _scoped(scope, qs.filter(company_id=company.pk, version_id__in=f.versions))
        qs = qs.filter(month__gte=f.start, month__lte=f.end)
        if f.unit is not None:
            qs = qs.filter(unit__in=_subtree(f.unit))
        if f.technician is not None:
            qs = qs.filter(technician_key=f.technician.pk)
        if f.campaign is not None:
            qs = qs.filter(campaign_key=f.campaign.pk)
        return qs

    def sums(self, scope: Scope, company: Unit, f: Filters, by: Iterable[str]) -> dict[tuple, Sums]:
        """Sums grouped by the named groups (``GROUPS``); keys use 0 for "none"."""
        cols = [self.columns[g] for g in by]
        qs = self._filter(SurveyRollup.objects.all(), scope, company, f)
        rows = _grouped(qs, cols, {n: Sum(n) for n in Sums.FIELDS})
        out: dict[tuple, Sums] = defaultdict(Sums)
        for row in rows:
            out[tuple(row[c] for c in cols)].add(row)
        return out

    def factors(
        self, scope: Scope, company: Unit, f: Filters, *, by_month: bool = False
    ) -> dict[tuple, tuple[int, float]]:
        """(count, score sum) by factor id (and month)."""
        cols = ["factor_id", "month"] if by_month else ["factor_id"]
        qs = self._filter(SurveyFactorRollup.objects.all(), scope, company, f)
        rows = qs.values_list(*cols).annotate(n=Sum("n"), s=Sum("score_sum")).order_by()
        return {tuple(row[: len(cols)]): (row[-2], row[-1]) for row in rows}

    def items(self, scope: Scope, company: Unit, f: Filters) -> dict[tuple, list]:
        """[n, answers, scored, score sum] by (item id, value): from the outlet-level rollup
        unless a technician or a campaign is chosen (a tenth of the rows to sum)."""
        if f.technician is None and f.campaign is None:
            qs = self._filter(SurveyOutletItemRollup.objects.all(), scope, company, f)
        else:
            qs = self._filter(SurveyItemRollup.objects.all(), scope, company, f)
        rows = (
            qs.values_list("item_id", "value")
            .annotate(n=Sum("n"), a=Sum("answers"), k=Sum("scored"), s=Sum("score_sum"))
            .order_by()
        )
        return {(item, value): [n, a, k, s] for item, value, n, a, k, s in rows}


def response_filter(company: Unit, f: Filters, prefix: str = "") -> Q:
    """The filters as a condition on responses (``prefix``: the path to the response)."""
    q = Q(**{f"{prefix}company_id": company.pk, f"{prefix}version_id__in": f.versions})
    q &= Q(**{f"{prefix}month__gte": f.start, f"{prefix}month__lte": f.end})
    if f.unit is not None:
        q &= Q(**{f"{prefix}unit__in": _subtree(f.unit)})
    if f.technician is not None:
        q &= Q(**{f"{prefix}technician_id": f.technician.pk})
    if f.campaign is not None:
        q &= Q(**{f"{prefix}campaign_id": f.campaign.pk})
    return q


class RawSource:
    """The same figures computed from the raw rows: the reference the tests hold the rollups
    to (slow at scale: never on a page)."""

    response_columns = {
        "month": "month",
        "unit": "unit_id",
        "region": "region_id",
        "technician": "technician_id",
        "campaign": "campaign_id",
    }

    def sums(self, scope: Scope, company: Unit, f: Filters, by: Iterable[str]) -> dict[tuple, Sums]:
        by = list(by)
        cols = [self.response_columns[g] for g in by]
        qs = _scoped(scope, SurveyResponse.objects.filter(response_filter(company, f)))
        rows = _grouped(
            qs,
            cols,
            {
                "responses": Count("pk"),
                "indexed": Count("index"),
                "index_sum": Sum("index"),
                "promoters": Count("pk", filter=Q(nps_category="promoter")),
                "passives": Count("pk", filter=Q(nps_category="passive")),
                "detractors": Count("pk", filter=Q(nps_category="detractor")),
                "csat_answered": Count("csat_top2"),
                "csat_top2": Count("pk", filter=Q(csat_top2=True)),
                "unhappy": Count("pk", filter=Q(unhappy=True)),
            },
        )
        out: dict[tuple, Sums] = defaultdict(Sums)
        for row in rows:
            out[tuple(_none_as_zero(row[c]) for c in cols)].add({**row, "sent": 0, "answered": 0})
        # Invitations by the local month they were sent (or answered, if never sent).
        tz = timezone.get_current_timezone()
        start = dt.datetime.combine(f.start, dt.time.min, tzinfo=tz)
        stop = dt.datetime.combine(add_months(f.end, 1), dt.time.min, tzinfo=tz)
        invitations = Invitation.objects.filter(
            company_id=company.pk, version_id__in=f.versions
        ).annotate(moment=Coalesce("sent_at", "answered_at"))
        invitations = _scoped(scope, invitations).filter(moment__gte=start, moment__lt=stop)
        if f.unit is not None:
            invitations = invitations.filter(unit__in=_subtree(f.unit))
        if f.technician is not None:
            invitations = invitations.filter(technician_id=f.technician.pk)
        if f.campaign is not None:
            invitations = invitations.filter(campaign_id=f.campaign.pk)
        invitation_columns = {
            "month": "sent_month",
            "unit": "unit_id",
            "region": "unit__parent_id",
            "technician": "technician_id",
            "campaign": "campaign_id",
        }
        icols = [invitation_columns[g] for g in by]
        rows = _grouped(
            invitations.annotate(sent_month=TruncMonth("moment", tzinfo=tz)),
            icols,
            {"sent": Count("pk"), "answered": Count("answered_at")},
        )
        for row in rows:
            key = []
            for c in icols:
                value = row[c]
                if c == "sent_month":
                    value = value.date() if isinstance(value, dt.datetime) else value
                key.append(_none_as_zero(value))
            out[tuple(key)].add({n: row.get(n, 0) for n in Sums.FIELDS})
        return out

    def factors(
        self, scope: Scope, company: Unit, f: Filters, *, by_month: bool = False
    ) -> dict[tuple, tuple[int, float]]:
        cols = ["factor_id", "month"] if by_month else ["factor_id"]
        qs = SurveyFactorScore.objects.filter(response_filter(company, f, "response__"))
        qs = _scoped(scope, qs)
        rows = qs.values_list(*cols).annotate(n=Count("pk"), s=Sum("score")).order_by()
        return {tuple(row[: len(cols)]): (row[-2], row[-1]) for row in rows}

    def items(self, scope: Scope, company: Unit, f: Filters) -> dict[tuple, list]:
        qs = SurveyAnswer.objects.filter(response_filter(company, f, "response__"))
        out: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, 0.0])
        rows = _scoped(scope, qs).values_list(
            "item_id", "number", "choice", "text", "is_na", "score"
        )
        for item_id, number, choice, text, is_na, score in rows.iterator(chunk_size=5000):
            for position, value in enumerate(answer_values(number, choice, text, is_na)):
                entry = out[(item_id, value)]
                entry[0] += 1
                if position == 0:
                    entry[1] += 1
                    entry[2] += int(score is not None)
                    entry[3] += score or 0.0
        return dict(out)


ROLLUPS = RollupSource()
RAW = RawSource()


# -- tables ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column of a figures table: ``kind`` says how to show and export its values
    (text, int, number, signed, percent, month)."""

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


RESPONSES = Column("responses", _("Responses"), "int")
FIGURE_COLUMNS = (
    RESPONSES,
    Column("index", _("Index"), "number"),
    Column("nps", _("NPS"), "signed"),
    Column("csat", _("CSAT"), "percent"),
    Column("unhappy", _("Unhappy"), "int"),
    Column("sent", _("Invitations sent"), "int"),
    Column("answered", _("Answered"), "int"),
    Column("response_rate", _("Response rate"), "percent"),
)


def _figure_row(sums: Sums) -> dict[str, Any]:
    return {
        "responses": sums.responses,
        "index": sums.index,
        "nps": sums.nps,
        "csat": sums.csat,
        "unhappy": sums.unhappy,
        "sent": sums.sent,
        "answered": sums.answered,
        "response_rate": sums.response_rate,
        "promoters": sums.promoters,
        "passives": sums.passives,
        "detractors": sums.detractors,
    }


def trend_table(by_month: dict[tuple, Sums], f: Filters) -> Table:
    """Every month of the period (empty months too), oldest first."""
    rows = [{"month": m, **_figure_row(by_month.get((m,), Sums()))} for m in f.months]
    return Table(
        "trend",
        _("By month"),
        (Column("month", _("Month"), "month"), *FIGURE_COLUMNS),
        rows,
        _("Invitations count in the month they were sent; responses in the month they came in."),
    )


def _named_table(
    key: str,
    title: Promise,
    label: Promise,
    groups: dict[Any, Sums],
    names: dict[int, str],
    none_label: Promise,
    *,
    extra: Column | None = None,
    extra_values: dict[int, str] | None = None,
) -> Table:
    rows = []
    for pk, sums in groups.items():
        if not sums.responses and not sums.sent:
            continue
        row = {"id": pk or None, "name": names.get(pk, str(none_label)) if pk else str(none_label)}
        if extra is not None:
            row[extra.key] = (extra_values or {}).get(pk, "")
        rows.append({**row, **_figure_row(sums)})
    rows.sort(key=lambda r: (-r["responses"], -(r["sent"] or 0), r["name"]))
    columns = (Column("name", label), *((extra,) if extra else ()), *FIGURE_COLUMNS)
    return Table(key, title, columns, rows)


def _collapse(cube: dict[tuple, Sums], position: int) -> dict[Any, Sums]:
    out: dict[Any, Sums] = defaultdict(Sums)
    for key, sums in cube.items():
        out[key[position]].add(sums)
    return out


# -- the report -----------------------------------------------------------------------------------


@dataclass
class Report:
    """All the figures of one instrument, period and selection, as the page, the export and
    the API show them."""

    company: Unit
    filters: Filters
    totals: Sums
    previous: Sums
    factors: list[FactorFigure]
    factor_trend: dict[str, list[float | None]]
    items: list[ItemFigure]
    strengths: list[ItemFigure]
    weaknesses: list[ItemFigure]
    strong_factors: list[FactorFigure]
    weak_factors: list[FactorFigure]
    tables: dict[str, Table] = field(default_factory=dict)

    @property
    def text_items(self) -> list[ItemFigure]:
        return [i for i in self.items if i.type == ItemType.TEXT]

    @property
    def has_index(self) -> bool:
        return self.totals.indexed > 0

    @property
    def has_nps(self) -> bool:
        return self.totals.nps_answers > 0

    @property
    def has_csat(self) -> bool:
        return self.totals.csat_answered > 0


TABLE_KEYS = (
    "trend",
    "by_region",
    "by_outlet",
    "by_technician",
    "by_campaign",
    "factors",
    "items",
    "distribution",
    "themes",
)


def _factor_figures(
    source, scope: Scope, company: Unit, f: Filters
) -> tuple[list[FactorFigure], dict[str, list[float | None]]]:
    """Factor means over the period and per month, merged by code over the versions."""
    sums = source.factors(scope, company, f, by_month=True)
    factors = {
        fac.pk: fac
        for fac in Factor.objects.filter(version_id__in=f.versions, importance_of__isnull=True)
    }
    # The newest version's name and order win.
    ordered = sorted(factors.values(), key=lambda fac: (-fac.version_id, fac.position))
    by_code: dict[str, FactorFigure] = {}
    for fac in ordered:
        by_code.setdefault(fac.code, FactorFigure(fac.code, fac.name, 0, 0.0, fac.weight))
    monthly: dict[str, dict[dt.date, list]] = defaultdict(lambda: defaultdict(lambda: [0, 0.0]))
    for (factor_id, month), (n, s) in sums.items():
        fac = factors.get(factor_id)
        if fac is None:
            continue
        figure = by_code[fac.code]
        figure.n += n or 0
        figure.score_sum += s or 0.0
        entry = monthly[fac.code][month]
        entry[0] += n or 0
        entry[1] += s or 0.0
    figures = [fig for fig in by_code.values() if fig.n]
    trend = {
        fig.code: [
            (monthly[fig.code][m][1] / monthly[fig.code][m][0]) if monthly[fig.code][m][0] else None
            for m in f.months
        ]
        for fig in figures
    }
    return figures, trend


def _labels(item: Item) -> dict[str, str]:
    if item.type in (ItemType.SCALE,):
        labels = list(item.point_labels or [])
        start = item.start
        return {
            str(start + i): (f"{start + i} {labels[i]}" if i < len(labels) else str(start + i))
            for i in range(item.points or 0)
        }
    if item.type == ItemType.NPS:
        return {str(v): str(v) for v in range(11)}
    if item.type in (ItemType.SINGLE, ItemType.MULTIPLE):
        return {str(o.get("value")): str(o.get("label", o.get("value"))) for o in item.options}
    if item.type == ItemType.YES_NO:
        return {"1": str(_("Yes")), "0": str(_("No"))}
    if item.type == ItemType.AUDIT:
        return {"met": str(_("Met")), "partly": str(_("Partly met")), "not_met": str(_("Not met"))}
    return {}


def _item_figures(source, scope: Scope, company: Unit, f: Filters) -> list[ItemFigure]:
    """Per item (merged by code over the versions): answers, mean score, distribution."""
    sums = source.items(scope, company, f)
    items = {
        item.pk: item
        for item in Item.objects.filter(version_id__in=f.versions).select_related(
            "section", "factor"
        )
    }
    ordered = sorted(
        items.values(), key=lambda i: (-i.version_id, i.section.position, i.position, i.pk)
    )
    by_code: dict[str, ItemFigure] = {}
    for number, item in enumerate(
        (i for i in ordered if i.version_id == ordered[0].version_id), start=1
    ):
        by_code[item.code] = ItemFigure(
            item.code,
            number,
            item.text,
            item.type,
            item.factor.code if item.factor else None,
            labels=_labels(item),
        )
    for item in ordered:  # codes only in older versions come after
        if item.code not in by_code:
            by_code[item.code] = ItemFigure(
                item.code,
                len(by_code) + 1,
                item.text,
                item.type,
                item.factor.code if item.factor else None,
                labels=_labels(item),
            )
    for (item_id, value), (n, answers, scored, score_sum) in sums.items():
        item = items.get(item_id)
        if item is None:
            continue
        figure = by_code[item.code]
        figure.values[value] = figure.values.get(value, 0) + (n or 0)
        figure.answers += answers or 0
        figure.scored += scored or 0
        figure.score_sum += score_sum or 0.0
    for figure in by_code.values():
        if figure.type == ItemType.TEXT:  # answers without a keyword are no theme
            figure.values.pop("", None)
    return [fig for fig in by_code.values() if fig.answers]


def _names(model, pks: Iterable[Any], field_name: str = "name") -> dict[int, str]:
    ids = [pk for pk in pks if pk]
    if not ids:
        return {}
    return dict(model.objects.filter(pk__in=ids).values_list("pk", field_name))


def _item_tables(items: list[ItemFigure], factor_names: dict[str, str]) -> list[Table]:
    scored = [
        {
            "number": i.number,
            "text": i.text,
            "factor": factor_names.get(i.factor or "", ""),
            "answers": i.answers,
            "mean": i.mean,
        }
        for i in items
        if i.type != ItemType.TEXT
    ]
    distribution = [
        {
            "number": i.number,
            "text": i.text,
            "value": d["label"],
            "count": d["count"],
            "share": d["share"],
        }
        for i in items
        if i.type != ItemType.TEXT
        for d in i.distribution()
    ]
    themes = [
        {"number": i.number, "text": i.text, "word": word, "count": n}
        for i in items
        if i.type == ItemType.TEXT
        for word, n in i.themes()
    ]
    number = Column("number", _("No."), "int")
    text = Column("text", _("Question"))
    return [
        Table(
            "items",
            _("Items"),
            (
                number,
                text,
                Column("factor", _("Factor")),
                Column("answers", _("Answers"), "int"),
                Column("mean", _("Mean score (0–100)"), "number"),
            ),
            scored,
        ),
        Table(
            "distribution",
            _("Answer distribution"),
            (
                number,
                text,
                Column("value", _("Answer")),
                Column("count", _("Count"), "int"),
                Column("share", _("Share"), "percent"),
            ),
            distribution,
        ),
        Table(
            "themes",
            _("Themes of the comments"),
            (number, text, Column("word", _("Keyword")), Column("count", _("Comments"), "int")),
            themes,
            _("Keywords of the free-text answers (jieba), by the number of answers using them."),
        ),
    ]


def report(
    scope: Scope, company: Unit, filters: Filters, *, source: RollupSource | RawSource = ROLLUPS
) -> Report:
    """Every figure of the results page for ``filters``, in the reader's scope."""
    scope.require(Perm.VIEW_REPORTS)
    f = filters
    if not f.versions:
        empty = Sums()
        return Report(company, f, empty, Sums(), [], {}, [], [], [], [], [], _empty_tables(f))
    by_month = source.sums(scope, company, f, ("month",))
    cube = source.sums(scope, company, f, ("unit", "region", "technician", "campaign"))
    totals = Sums()
    for sums in by_month.values():
        totals.add(sums)
    previous = Sums()
    for sums in source.sums(scope, company, f.previous(), ()).values():
        previous.add(sums)

    by_unit, by_region = _collapse(cube, 0), _collapse(cube, 1)
    by_tech, by_campaign = _collapse(cube, 2), _collapse(cube, 3)
    unit_names = _names(Unit, [*by_unit, *by_region])
    tech_names = _names(Staff, by_tech)
    campaign_names = _names(Campaign, by_campaign)
    tech_units = dict(
        Staff.objects.filter(pk__in=[pk for pk in by_tech if pk]).values_list("pk", "unit__name")
    )

    factors, factor_trend = _factor_figures(source, scope, company, f)
    items = _item_figures(source, scope, company, f)
    item_scores = {i.code: i.mean for i in items if i.mean is not None and i.scored}
    by_code = {i.code: i for i in items}
    strong, weak = rank(item_scores)
    factor_scores = {fig.code: fig.mean for fig in factors if fig.mean is not None}
    fac_by_code = {fig.code: fig for fig in factors}
    strong_f, weak_f = rank(factor_scores)
    factor_names = {fig.code: fig.name for fig in factors}

    tables = [
        trend_table(by_month, f),
        _named_table("by_region", _("By region"), _("Region"), by_region, unit_names, _("(none)")),
        _named_table("by_outlet", _("By outlet"), _("Outlet"), by_unit, unit_names, _("(none)")),
        _named_table(
            "by_technician",
            _("By technician"),
            _("Technician"),
            by_tech,
            tech_names,
            _("(no technician: campaigns, walk-ins)"),
            extra=Column("outlet", _("Outlet")),
            extra_values=tech_units,
        ),
        _named_table(
            "by_campaign",
            _("By campaign"),
            _("Campaign"),
            by_campaign,
            campaign_names,
            _("(triggered by closed cases, walk-ins)"),
        ),
        Table(
            "factors",
            _("Factor scores"),
            (
                Column("name", _("Factor")),
                Column("weight", _("Weight"), "number"),
                Column("n", _("Responses"), "int"),
                Column("mean", _("Mean score (0–100)"), "number"),
            ),
            [
                {"name": fig.name, "weight": fig.weight, "n": fig.n, "mean": fig.mean}
                for fig in factors
            ],
        ),
        *_item_tables(items, factor_names),
    ]
    return Report(
        company=company,
        filters=f,
        totals=totals,
        previous=previous,
        factors=factors,
        factor_trend=factor_trend,
        items=items,
        strengths=[by_code[c] for c in strong],
        weaknesses=[by_code[c] for c in weak],
        strong_factors=[fac_by_code[c] for c in strong_f],
        weak_factors=[fac_by_code[c] for c in weak_f],
        tables={t.key: t for t in tables},
    )


def _empty_tables(f: Filters) -> dict[str, Table]:
    report_tables = [trend_table({}, f)]
    for key, title in (
        ("by_region", _("By region")),
        ("by_outlet", _("By outlet")),
        ("by_technician", _("By technician")),
        ("by_campaign", _("By campaign")),
    ):
        report_tables.append(Table(key, title, (Column("name", _("Name")), *FIGURE_COLUMNS), []))
    report_tables.append(Table("factors", _("Factor scores"), (Column("name", _("Factor")),), []))
    report_tables.extend(_item_tables([], {}))
    return {t.key: t for t in report_tables}


# -- the answers behind a theme -------------------------------------------------------------------


@dataclass
class CommentPage:
    items: list[SurveyAnswer]
    next_cursor: int | None


def comment_page(
    scope: Scope,
    company: Unit,
    filters: Filters,
    *,
    item: str,
    word: str = "",
    after: Any = None,
    size: int = COMMENTS_PAGE,
) -> CommentPage:
    """The free-text answers to item ``item`` (a code) in the filters, containing ``word``,
    newest first; a keyset page (``after``: the last id of the previous page)."""
    scope.require(Perm.VIEW_REPORTS)
    item_ids = list(
        Item.objects.filter(
            version_id__in=filters.versions, code=item, type=ItemType.TEXT
        ).values_list("pk", flat=True)
    )
    if not item_ids:
        raise InvalidInput(_("Choose a free-text question of the instrument."), field="item")
    # The answer rows carry the company, outlet and month, and an item belongs to one version:
    # only a technician or campaign filter needs the response (a join per candidate row).
    qs = SurveyAnswer.objects.filter(
        company_id=company.pk,
        item_id__in=item_ids,
        month__gte=filters.start,
        month__lte=filters.end,
    ).exclude(text="")
    if filters.unit is not None:
        qs = qs.filter(unit__in=_subtree(filters.unit))
    if filters.technician is not None:
        qs = qs.filter(response__technician_id=filters.technician.pk)
    if filters.campaign is not None:
        qs = qs.filter(response__campaign_id=filters.campaign.pk)
    qs = _scoped(scope, qs)
    word = (word or "").strip()[:40]
    if word:
        qs = qs.filter(text__icontains=word)
    cursor = _pk(after) if after not in (None, "") else None
    if after not in (None, "") and cursor is None:
        raise InvalidInput(_("Not a valid page."), field="after")
    if cursor is not None:
        qs = qs.filter(pk__lt=cursor)
    rows = list(
        qs.select_related("unit", "response")
        .only(
            "id",
            "text",
            "unit__name",
            "response__id",
            "response__submitted_at",
            "response__index",
            "response__nps_value",
            "response__csat_value",
        )
        .order_by("-pk")[: size + 1]
    )
    more = len(rows) > size
    rows = rows[:size]
    return CommentPage(rows, rows[-1].pk if more and rows else None)
