"""From the ranking exercise (003 P-045) to the weights of an audit form.

The rule (Borda-style, normalised):

* the template's standards are split by side; within a side, the ``n`` chosen standards are
  placed in the exercise's rank order (1 = most important) and get **points n − place + 1**:
  the first of five gets 5, the last 1. Chosen standards the exercise did not rank come after
  the ranked ones, in code order;
* the audit instrument has one factor per side, weighted by the side's share
  (e.g. 20 procedural / 80 personal); each item's weight within its factor is its points;
* so the **effective weight** of a standard in the 0–100 index is
  ``share × points / (n(n+1)/2)``: a side's weights add up to its share, all weights to 100.

With no exercise every standard gets 1 point and the split is 50/50. A side without standards
in the template drops out, and the other side carries the whole index (the scoring engine
re-normalises over the factors that have a score; an all-"not applicable" side drops out the
same way at scoring time).

Example (the test's hand computation): 20/80; procedural A (rank 1), B (2); personal C (1),
D (2), E (3). Points A 2, B 1, C 3, D 2, E 1. Verdicts A met, B not met, C partly, D met,
E not met: procedural (2·100 + 1·0)/3 = 66.67, personal (3·50 + 2·100 + 1·0)/6 = 58.33,
index (20·66.67 + 80·58.33)/100 = 60.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from manyi.quality.models import Side

DEFAULT_SHARE = 50


@dataclass(frozen=True)
class Weighted:
    """One standard of a template with its place, points and effective weight (0–100)."""

    standard_id: int
    side: str
    place: int
    points: int
    weight: float


def side_shares(procedural_share: int | None, sides: set[str]) -> dict[str, float]:
    """The factor weights of the sides present (a missing side's share goes to the other)."""
    share = DEFAULT_SHARE if procedural_share is None else procedural_share
    shares = {Side.PROCEDURAL.value: float(share), Side.PERSONAL.value: float(100 - share)}
    present = {side: shares[side] for side in shares if side in sides}
    if len(present) == 1:
        return dict.fromkeys(present, 100.0)
    return present


def weigh(
    standards: Iterable[tuple[int, str, str]],
    *,
    procedural_share: int | None,
    ranks: Mapping[int, int],
) -> list[Weighted]:
    """Weights of ``standards`` — (id, side, code) triples — under a split and ranks
    ({standard id: rank within its side}); returned side by side, in place order."""
    by_side: dict[str, list[tuple[int, str]]] = {}
    for pk, side, code in standards:
        by_side.setdefault(side, []).append((pk, code))
    shares = side_shares(procedural_share, set(by_side))
    unranked = 10**6
    result: list[Weighted] = []
    for side in (Side.PROCEDURAL.value, Side.PERSONAL.value):
        members = by_side.get(side, [])
        members.sort(key=lambda m: (ranks.get(m[0], unranked), m[1], m[0]))
        n = len(members)
        total_points = n * (n + 1) / 2
        for place, (pk, _code) in enumerate(members, start=1):
            points = n - place + 1
            result.append(Weighted(pk, side, place, points, shares[side] * points / total_points))
    return result
