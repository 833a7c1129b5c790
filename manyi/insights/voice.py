"""Voice of the customer: the keyword themes of complaint texts and survey comments, this period
against the one before (003 P-069..073: what customers dislike, their common complaints).

Words are cut by the surveys' one keyword function (``manyi.surveys.rollups.keywords``: jieba,
a stop-word list, each word once per text), so a theme means the same in both sources:

- **survey comments**: already counted per keyword by the surveys' item rollups (free-text
  items, one row per keyword) — one grouped aggregate per period, no answer row read;
- **complaints**: the description of each complaint received in the period (merged duplicates
  left out), cut here; a company receives a few thousand a year, so one query of two columns.

A theme's *trend* compares its count with the previous period of the same length: ``new``
(absent before), ``up``, ``down`` or ``steady`` (a change of less than :data:`STEADY` of the
earlier count).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from manyi.complaints import analytics as complaint_analytics
from manyi.complaints.analytics import Filters, add_months
from manyi.complaints.models import Complaint
from manyi.errors import InvalidInput
from manyi.instruments.models import ItemType
from manyi.org.models import Unit
from manyi.org.scopes import Perm, Scope
from manyi.surveys.models import SurveyItemRollup
from manyi.surveys.rollups import keywords

# How many themes the page lists (the export has them all).
TOP = 30
# A change smaller than this share of the earlier count is "steady".
STEADY = 0.1
RECORDS_PAGE = 30


def previous(f: Filters) -> Filters:
    """The period of the same length just before ``f``."""
    length = len(f.months)
    return Filters(start=add_months(f.start, -length), end=add_months(f.start, -1), unit=f.unit)


@dataclass
class Theme:
    """One keyword: how often customers used it now and before, and where."""

    word: str
    surveys: int = 0
    complaints: int = 0
    surveys_before: int = 0
    complaints_before: int = 0
    # The survey item with the most comments using the word: (instrument id, item code).
    survey_item: tuple[int, str] | None = None
    _item_counts: Counter = field(default_factory=Counter, repr=False)

    @property
    def total(self) -> int:
        return self.surveys + self.complaints

    @property
    def total_before(self) -> int:
        return self.surveys_before + self.complaints_before

    @property
    def change(self) -> int:
        return self.total - self.total_before

    @property
    def trend(self) -> str:
        if not self.total_before:
            return "new" if self.total else "steady"
        if abs(self.change) < STEADY * self.total_before:
            return "steady"
        return "up" if self.change > 0 else "down"


def _survey_counts(scope: Scope, company: Unit, f: Filters) -> dict[tuple[str, int, str], int]:
    """(word, instrument, item code) → comments using the word, from the item rollups."""
    qs = SurveyItemRollup.objects.filter(
        company_id=company.pk,
        month__gte=f.start,
        month__lte=f.end,
        item__type=ItemType.TEXT,
    ).exclude(value="")
    qs = scope.filter(qs, unit_field="unit", perm=Perm.VIEW_REPORTS)
    if f.unit is not None:
        qs = qs.filter(unit__in=Unit.objects.filter(path__startswith=f.unit.path).values("pk"))
    return {
        (row["value"], row["version__instrument_id"], row["item__code"]): row["n"]
        for row in qs.values("value", "version__instrument_id", "item__code").annotate(n=Sum("n"))
    }


def _complaint_counts(scope: Scope, company: Unit, f: Filters) -> Counter:
    """word → complaints whose description uses it."""
    counts: Counter = Counter()
    rows = complaint_analytics.complaints(scope, company, f).values_list(
        "case__description", flat=True
    )
    for text in rows.iterator(chunk_size=2000):
        counts.update(keywords(text or ""))
    return counts


def themes(scope: Scope, company: Unit, f: Filters) -> list[Theme]:
    """Every theme of the period and the one before, most used first."""
    scope.require(Perm.VIEW_REPORTS)
    found: dict[str, Theme] = defaultdict(lambda: Theme(""))

    def theme(word: str) -> Theme:
        t = found[word]
        t.word = word
        return t

    before = previous(f)
    for (word, instrument_id, item), n in _survey_counts(scope, company, f).items():
        t = theme(word)
        t.surveys += n
        t._item_counts[(instrument_id, item)] += n
    for (word, _instrument, _item), n in _survey_counts(scope, company, before).items():
        theme(word).surveys_before += n
    for word, n in _complaint_counts(scope, company, f).items():
        theme(word).complaints += n
    for word, n in _complaint_counts(scope, company, before).items():
        theme(word).complaints_before += n
    result = []
    for t in found.values():
        if t._item_counts:
            t.survey_item = t._item_counts.most_common(1)[0][0]
        result.append(t)
    result.sort(key=lambda t: (-t.total, -t.change, t.word))
    return result


def complaint_records(
    scope: Scope, company: Unit, f: Filters, *, word: str, after: Any = None
) -> tuple[list[Complaint], int | None]:
    """The complaints of the period whose text uses ``word``, newest first; a keyset page
    (``after``: the last id shown). Returns the rows and the next cursor."""
    word = (word or "").strip()[:40]
    qs: QuerySet[Complaint] = complaint_analytics.complaints(scope, company, f)
    if word:
        qs = qs.filter(Q(case__description__icontains=word) | Q(case__title__icontains=word))
    if after not in (None, ""):
        try:
            qs = qs.filter(pk__lt=int(after))
        except (TypeError, ValueError):
            raise InvalidInput(_("Not a valid page."), field="after") from None
    rows = list(qs.select_related("case", "case__unit").order_by("-pk")[: RECORDS_PAGE + 1])
    more = len(rows) > RECORDS_PAGE
    rows = rows[:RECORDS_PAGE]
    return rows, (rows[-1].pk if more and rows else None)
