"""The vote tally of a problem-solving session: a Borda count on the members' rankings.

Each member ranks their top N ideas (N = the session's ``top_n``, or fewer when there are fewer
ideas). The first of N earns N points, the second N−1, … the last 1; an idea nobody ranked earns
0. Ideas are ordered by points. Ties are broken, and the break is stated on the result:

1. more first places (the idea more members put first goes ahead);
2. then the earlier idea (the lower number: it was on the board first).

The points are summed in SQL (``queries.session_tally``); this module orders them and explains
the ties, so it can be tested without a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from manyi.errors import interpolate


@dataclass(frozen=True)
class Score:
    """One idea's sums over a round's rankings."""

    idea_id: int
    number: int
    text: str
    points: int = 0
    firsts: int = 0
    voters: int = 0


@dataclass
class Row:
    """One line of the tally, in final order."""

    place: int
    idea_id: int
    number: int
    text: str
    points: int
    firsts: int
    voters: int
    # The idea just above on equal points, and what put this one below it.
    tied_with: int | None = None
    broken_by: str = ""  # "firsts" or "earliest"
    note: Any = ""
    # Points as a percentage of the winner's (the bar on the results).
    share: int = 0


@dataclass
class Tally:
    """A round's result: rows in order, and the statements of the ties that were broken."""

    round: int
    rankings: int
    rows: list[Row] = field(default_factory=list)
    ties: list[Any] = field(default_factory=list)

    @property
    def winner(self) -> Row | None:
        return self.rows[0] if self.rows and self.rows[0].points > 0 else None

    @property
    def winner_by_tie_break(self) -> bool:
        """Whether the first place was decided by a tie-break, not by points alone."""
        return len(self.rows) > 1 and self.rows[1].tied_with == self.rows[0].number


def borda_points(size: int, rank: int) -> int:
    """Points for ``rank`` (1 = best) in a ranking of ``size`` ideas: size, size−1, … 1."""
    if not 1 <= rank <= size:
        raise ValueError("rank out of range")
    return size - rank + 1


def round_share(points: int, top: int) -> int:
    """``points`` as a whole percentage of ``top`` (0 when nobody scored)."""
    return (points * 100 + top // 2) // top if top > 0 else 0


def order_scores(scores: list[Score], *, round: int = 1, rankings: int = 0) -> Tally:
    """Order the ideas by points, then first places, then earliest; state each broken tie."""
    ordered = sorted(scores, key=lambda s: (-s.points, -s.firsts, s.number))
    tally = Tally(round=round, rankings=rankings)
    top = ordered[0].points if ordered else 0
    previous: Score | None = None
    for place, score in enumerate(ordered, start=1):
        row = Row(
            place=place,
            idea_id=score.idea_id,
            number=score.number,
            text=score.text,
            points=score.points,
            firsts=score.firsts,
            voters=score.voters,
            share=round_share(score.points, top),
        )
        if previous is not None and previous.points == score.points and score.points > 0:
            row.tied_with = previous.number
            values = {
                "above": previous.number,
                "below": score.number,
                "points": score.points,
                "a": previous.firsts,
                "b": score.firsts,
            }
            if previous.firsts != score.firsts:
                row.broken_by = "firsts"
                row.note = interpolate(
                    _(
                        "Tied with idea %(above)s on %(points)s points; idea %(above)s goes "
                        "first with more first places (%(a)s against %(b)s)."
                    ),
                    values,
                )
            else:
                row.broken_by = "earliest"
                row.note = interpolate(
                    _(
                        "Tied with idea %(above)s on %(points)s points and on first places "
                        "(%(a)s each); the earlier idea, %(above)s, goes first."
                    ),
                    values,
                )
            tally.ties.append(row.note)
        tally.rows.append(row)
        previous = score
    return tally
