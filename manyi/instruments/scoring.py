"""Scoring, in one place, for every instrument (surveys, audits, CSAS, training evaluation …).

Pure functions over a :class:`~manyi.instruments.definition.Definition` and an answers dict
``{item code: value}`` (the shapes :mod:`manyi.instruments.answers` produces):

=========== ================================ =============================================
type        answer                           0–100 item score
=========== ================================ =============================================
scale       int ``start``…``start+k-1``      (v − start) / (k − 1) × 100  (1…5: (v−1)/4×100)
nps         int 0…10                         v × 10
yes_no      True / False                     yes 100, no 0
single      option value                     (score − lowest) / (highest − lowest) × 100 over
                                             the item's scored options
multiple    list of option values            (sum − lowest sum) / (highest sum − lowest sum)
                                             × 100 (lowest: all negative scores chosen)
audit       "met" / "partly" / "not_met"     100 / 50 / 0
number      int or float                     (v − min) / (max − min) × 100, clipped; only
                                             when declared ``scored`` with min and max
text        str                              never scored
any         "na" (not applicable)            skipped: counts nowhere
=========== ================================ =============================================

``reverse`` turns an item's score round (100 − s). Then:

* an item is **hidden** when its display condition is false (or the item it refers to is
  hidden): hidden items are skipped, whatever was sent for them;
* **missing** answers to scored, shown items follow the version's rule: ``skip`` leaves them
  out and the remaining weights are re-normalised; ``zero`` counts them as 0;
* **factor score** = weighted mean (item weights) of its scored items; a factor with nothing
  scored has no score;
* **index** = weighted mean (factor weights) of the factors that have a score, leaving out
  importance factors (expectation ratings, see ``Factor.importance_of``) and weight-0
  factors. With no factors declared, the index is the weighted mean of all scored items;
  when factors are declared, items without a factor do not count in the index.
* **total** = the sum of raw points (scale value, NPS value, option score, 1/0.5/0 for audit
  verdicts, yes 1 / no 0, the number) of the scored items counted, **max_total** the sum of
  their maxima — what paper forms add up (003 P-056: the total gives the grade);
* **band** = the label of the highest grade band whose minimum the index (or total) reaches;
* **strengths / weaknesses** = the best and the worst items and factors (see :func:`rank`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from manyi.instruments.definition import (
    AUDIT_SCORES,
    NA,
    Condition,
    Definition,
    ItemDef,
)
from manyi.instruments.models import BandBasis, ItemType, MissingRule

PROMOTER, PASSIVE, DETRACTOR = "promoter", "passive", "detractor"
_AUDIT_POINTS = {"met": 1.0, "partly": 0.5, "not_met": 0.0}


def is_missing(value: Any) -> bool:
    """Whether ``value`` counts as no answer (absent, None, empty text or list)."""
    return value is None or value == "" or value == [] or value == ()


def raw_range(item: ItemDef) -> tuple[float, float] | None:
    """The lowest and highest raw points an answer to ``item`` can get (None: unscored)."""
    if not item.is_scored:
        return None
    if item.type in (ItemType.SCALE, ItemType.NPS):
        values = item.values
        return float(values[0]), float(values[-1])
    if item.type in (ItemType.YES_NO, ItemType.AUDIT):
        return 0.0, 1.0
    if item.type == ItemType.NUMBER:
        return float(item.min_value), float(item.max_value)
    scores = [o.score for o in item.options if o.score is not None]
    if item.type == ItemType.SINGLE:
        return min(scores), max(scores)
    return sum(s for s in scores if s < 0), sum(s for s in scores if s > 0)


def raw_points(item: ItemDef, value: Any) -> float | None:
    """The raw points of one answer (before normalising); None if unscored or not applicable."""
    if not item.is_scored or is_missing(value) or value == NA:
        return None
    if item.type in (ItemType.SCALE, ItemType.NPS, ItemType.NUMBER):
        low, high = raw_range(item)
        points = min(max(float(value), low), high)
    elif item.type == ItemType.YES_NO:
        points = 1.0 if value else 0.0
    elif item.type == ItemType.AUDIT:
        points = _AUDIT_POINTS[value]
    elif item.type == ItemType.SINGLE:
        option = item.option(value)
        if option is None or option.score is None:
            return None
        points = option.score
    else:  # multiple choice
        chosen = [item.option(v) for v in value]
        scores = [o.score for o in chosen if o is not None and o.score is not None]
        if not scores:
            return None
        points = sum(scores)
    if item.reverse:
        low, high = raw_range(item)
        points = low + high - points
    return points


def item_score(item: ItemDef, value: Any) -> float | None:
    """One answer normalised to 0–100; None when unscored, missing or not applicable."""
    points = raw_points(item, value)
    if points is None:
        return None
    low, high = raw_range(item)
    if item.type == ItemType.AUDIT:
        # 100 / 50 / 0 (AUDIT_SCORES), the same as the points scaled.
        return AUDIT_SCORES["met"] * points
    if high == low:
        return 100.0
    return (points - low) / (high - low) * 100.0


def condition_holds(condition: Condition, value: Any) -> bool:
    """Whether the answer ``value`` satisfies ``condition``; a missing or "na" answer never does
    (except that ``answered`` is then simply false)."""
    if condition.op == "answered":
        return not is_missing(value) and value != NA
    if is_missing(value) or value == NA:
        return False
    target = condition.value
    if isinstance(value, list):  # multiple choice: any chosen option matches
        wanted = set(target) if condition.op in ("in", "not_in") else {target}
        hit = bool(wanted & set(value))
        return hit if condition.op in ("==", "in") else not hit
    if condition.op == "in":
        return value in target
    if condition.op == "not_in":
        return value not in target
    if condition.op == "==":
        return value == target
    if condition.op == "!=":
        return value != target
    try:
        number, bound = float(value), float(target)
    except (TypeError, ValueError):
        return False
    return {
        "<": number < bound,
        "<=": number <= bound,
        ">": number > bound,
        ">=": number >= bound,
    }[condition.op]


def visible_items(definition: Definition, answers: Mapping[str, Any]) -> set[str]:
    """The codes of the items shown for these answers (conditions refer only to earlier items,
    so one pass in order settles chains: an item whose source is hidden is hidden too)."""
    shown: set[str] = set()
    for item in definition.items:
        cond = item.show_if
        if cond is None or (cond.item in shown and condition_holds(cond, answers.get(cond.item))):
            shown.add(item.code)
    return shown


def weighted_mean(pairs: Iterable[tuple[float, float]]) -> float | None:
    """Σ w·s / Σ w over (score, weight) pairs with a positive weight; None when there are none."""
    total = weight_sum = 0.0
    for score, weight in pairs:
        if weight > 0:
            total += score * weight
            weight_sum += weight
    return total / weight_sum if weight_sum else None


def rank(scores: Mapping[str, float], n: int = 3) -> tuple[list[str], list[str]]:
    """Strengths (best first) and weaknesses (worst first): up to ``n`` each, and never more
    than half of the scores each, so nothing is both. Ties keep the given order."""
    ordered = sorted(scores, key=lambda code: -scores[code])
    k = min(n, len(ordered) // 2)
    if k == 0:
        return [], []
    return ordered[:k], list(reversed(ordered))[:k]


def band_for(value: float | None, bands: Iterable[tuple[float, str]]) -> str | None:
    """The label of the highest band whose minimum ``value`` reaches (bands highest first)."""
    if value is None:
        return None
    for minimum, label in sorted(bands, reverse=True):
        if value >= minimum - 1e-9:
            return label
    return None


@dataclass
class Result:
    """The scores of one response; dict keys are item and factor codes."""

    index: float | None
    factors: dict[str, float] = field(default_factory=dict)
    items: dict[str, float] = field(default_factory=dict)
    total: float | None = None
    max_total: float | None = None
    band: str | None = None
    strengths: list[str] = field(default_factory=list)
    weaknesses: list[str] = field(default_factory=list)
    strong_factors: list[str] = field(default_factory=list)
    weak_factors: list[str] = field(default_factory=list)
    hidden: set[str] = field(default_factory=set)
    not_applicable: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)


def score(definition: Definition, answers: Mapping[str, Any], *, n: int = 3) -> Result:
    """Score one response (see the module docstring for every rule)."""
    shown = visible_items(definition, answers)
    zero_missing = definition.missing_rule == MissingRule.ZERO
    items: dict[str, float] = {}
    total = max_total = 0.0
    counted = 0
    hidden, not_applicable, missing = set(), set(), set()
    # Expectation ratings are scored (a gap view reads them) but count in no total or ranking.
    importance = {f.code for f in definition.factors if f.importance_of}
    for item in definition.items:
        if item.code not in shown:
            hidden.add(item.code)
            continue
        value = answers.get(item.code)
        if value == NA:
            not_applicable.add(item.code)
            continue
        if not item.is_scored:
            continue
        s = item_score(item, value)
        low, high = raw_range(item)
        if s is None:
            if not is_missing(value):
                continue  # an option without a score ("其他")
            missing.add(item.code)
            if not zero_missing:
                continue
            s, points = 0.0, low
        else:
            points = raw_points(item, value)
        items[item.code] = s
        if item.factor in importance:
            continue
        total += points
        max_total += high
        counted += 1

    by_factor: dict[str, list[tuple[float, float]]] = {}
    for item in definition.items:
        if item.code in items and item.factor:
            by_factor.setdefault(item.factor, []).append((items[item.code], item.weight))
    factors = {}
    for factor in definition.factors:
        mean = weighted_mean(by_factor.get(factor.code, ()))
        if mean is not None:
            factors[factor.code] = mean

    counting = [f for f in definition.factors if not f.importance_of]
    if counting:
        index = weighted_mean((factors[f.code], f.weight) for f in counting if f.code in factors)
    else:
        weights = {item.code: item.weight for item in definition.items}
        index = weighted_mean((s, weights[code]) for code, s in items.items())

    result = Result(
        index=index,
        factors=factors,
        items=items,
        total=total if counted else None,
        max_total=max_total if counted else None,
        hidden=hidden,
        not_applicable=not_applicable,
        missing=missing,
    )
    basis = result.total if definition.band_basis == BandBasis.TOTAL else result.index
    result.band = band_for(basis, definition.bands)
    ranked = {
        code: s for code, s in items.items() if definition.item(code).factor not in importance
    }
    result.strengths, result.weaknesses = rank(ranked, n)
    counted_factors = {f.code: factors[f.code] for f in counting if f.code in factors}
    result.strong_factors, result.weak_factors = rank(counted_factors, n)
    return result


# -- helpers of the survey figures --------------------------------------------------------------


def nps_category(value: int | None) -> str | None:
    """Promoter (9–10), passive (7–8) or detractor (0–6) for a 0–10 answer."""
    if value is None or isinstance(value, bool) or value == NA:
        return None
    if value >= 9:
        return PROMOTER
    if value >= 7:
        return PASSIVE
    return DETRACTOR


def nps(promoters: int, passives: int, detractors: int) -> float | None:
    """Net promoter score: % promoters − % detractors (−100 … 100); None with no answers."""
    answered = promoters + passives + detractors
    if not answered:
        return None
    return (promoters - detractors) * 100.0 / answered


def is_top2(value: int | None, *, points: int = 5, start: int = 1) -> bool:
    """CSAT top-2-box: the answer is one of the two highest points of the scale (4–5 of 1–5)."""
    if value is None or isinstance(value, bool) or value == NA:
        return False
    return value >= start + points - 2


def csat(top2: int, answered: int) -> float | None:
    """CSAT: the share of top-2-box answers, in % (None with no answers)."""
    return top2 * 100.0 / answered if answered else None


# -- rows for the response tables ------------------------------------------------------------------


def factor_rows(definition: Definition, result: Result) -> list[tuple[int, float]]:
    """(factor id, score) for each factor with a score: rows for a FactorScoreBase subclass."""
    return [
        (f.id, result.factors[f.code])
        for f in definition.factors
        if f.code in result.factors and f.id is not None
    ]


def answer_rows(
    definition: Definition, answers: Mapping[str, Any], result: Result
) -> list[dict[str, Any]]:
    """Field values for an AnswerBase subclass: one dict per shown, answered item (plus the
    missing items counted as zero)."""
    rows = []
    for item in definition.items:
        if item.id is None or item.code in result.hidden:
            continue
        value = answers.get(item.code)
        if is_missing(value) and item.code not in result.items:
            continue
        row: dict[str, Any] = {
            "item_id": item.id,
            "number": None,
            "choice": "",
            "text": "",
            "is_na": value == NA,
            "score": result.items.get(item.code),
        }
        if value == NA or is_missing(value):
            pass
        elif item.type in (ItemType.SCALE, ItemType.NPS, ItemType.NUMBER):
            row["number"] = float(value)
        elif item.type == ItemType.YES_NO:
            row["number"] = 1.0 if value else 0.0
        elif item.type == ItemType.MULTIPLE:
            row["choice"] = ",".join(value)[:200]
        elif item.type in (ItemType.SINGLE, ItemType.AUDIT):
            row["choice"] = value
        else:
            row["text"] = value
        rows.append(row)
    return rows
