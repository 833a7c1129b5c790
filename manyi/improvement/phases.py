"""The phases of the two problem-solving methods, as data (003 P-097, P-098).

Nominal group technique (名义小组法, P-097): 1 state the problem; 2 each member lists possible
solutions silently; 3 the solutions are recorded, round-robin, one per member per turn; then
clarification; 4 a first vote (each member ranks their top N); 5 discussion; 6 the final vote.

Brainstorming (头脑风暴法, P-098): 1 state the problem; 2 split the team into sub-groups; 3 the
rules (no criticism, quantity first, wild ideas welcome, build on others' ideas); 4 brainstorm;
5 discussion; 6 select the solutions (here: each member ranks their top N, counted as in NGT).

A session moves forward one phase at a time, by the facilitator; ``actions.advance_session``
checks what each step needs (ideas recorded before anyone may rank, …).
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from manyi.improvement.models import Method, Phase

PHASES: dict[str, tuple[str, ...]] = {
    Method.NGT: (
        Phase.STATE,
        Phase.SILENT,
        Phase.RECORDING,
        Phase.CLARIFY,
        Phase.VOTE1,
        Phase.DISCUSS,
        Phase.VOTE2,
        Phase.DONE,
    ),
    Method.BRAINSTORM: (
        Phase.STATE,
        Phase.GROUPS,
        Phase.IDEAS,
        Phase.DISCUSS,
        Phase.SELECT,
        Phase.DONE,
    ),
}

# The vote round each voting phase collects.
VOTE_ROUND: dict[str, int] = {Phase.VOTE1: 1, Phase.VOTE2: 2, Phase.SELECT: 1}
# The round whose tally is the session's result.
FINAL_ROUND: dict[str, int] = {Method.NGT: 2, Method.BRAINSTORM: 1}

# Members may write ideas in these phases (NGT: privately, then more while recording).
IDEA_PHASES: dict[str, tuple[str, ...]] = {
    Method.NGT: (Phase.SILENT, Phase.RECORDING),
    Method.BRAINSTORM: (Phase.IDEAS,),
}
# The facilitator may tidy the list (set duplicates aside, reword for clarity) in these.
TIDY_PHASES = (Phase.CLARIFY, Phase.DISCUSS)

# What everyone is asked to do in each phase, shown at the top of the live page.
HINTS: dict[tuple[str, str], Promise] = {
    (Method.NGT, Phase.STATE): _(
        "The facilitator states the problem. Join the session with your login."
    ),
    (Method.NGT, Phase.SILENT): _(
        "Write down every solution you can think of, one per line, without talking. "
        "Nobody else sees your list yet."
    ),
    (Method.NGT, Phase.RECORDING): _(
        "Round robin: each member's ideas are recorded one per turn, until all are on the "
        "board. No discussion yet; new ideas may still be added."
    ),
    (Method.NGT, Phase.CLARIFY): _(
        "Clarify what each idea means. Duplicates can be set aside; nobody argues for or "
        "against an idea yet."
    ),
    (Method.NGT, Phase.VOTE1): _("First vote: rank your top ideas privately, the best first."),
    (Method.NGT, Phase.DISCUSS): _(
        "Discuss the result of the first vote: why did ideas score high or low?"
    ),
    (Method.NGT, Phase.VOTE2): _("Final vote: rank your top ideas again, the best first."),
    (Method.NGT, Phase.DONE): _("The final tally decides the order of the solutions."),
    (Method.BRAINSTORM, Phase.STATE): _(
        "The facilitator states the problem. Join the session with your login."
    ),
    (Method.BRAINSTORM, Phase.GROUPS): _(
        "The team is split into sub-groups. The rules: no criticism; the more ideas the "
        "better; wild ideas are welcome; build on each other's ideas."
    ),
    (Method.BRAINSTORM, Phase.IDEAS): _(
        "Brainstorm: post every idea at once. No criticism, no judging — build on others' "
        "ideas instead."
    ),
    (Method.BRAINSTORM, Phase.DISCUSS): _(
        "Discuss all the sub-groups' ideas together; duplicates can be set aside."
    ),
    (Method.BRAINSTORM, Phase.SELECT): _(
        "Select the solutions: rank your top ideas privately, the best first."
    ),
    (Method.BRAINSTORM, Phase.DONE): _("The tally decides the order of the solutions."),
}


def phases_of(method: str) -> tuple[str, ...]:
    """The phases of ``method`` in order."""
    return PHASES[method]


def next_phase(method: str, phase: str) -> str | None:
    """The phase after ``phase``, or None at the end."""
    order = PHASES[method]
    index = order.index(phase)
    return order[index + 1] if index + 1 < len(order) else None


def hint(method: str, phase: str) -> Promise:
    """What the team does in this phase."""
    return HINTS[(method, phase)]


def vote_round(phase: str) -> int | None:
    """The vote round collected in ``phase``, or None outside the votes."""
    return VOTE_ROUND.get(phase)


def rounds_so_far(method: str, phase: str) -> list[int]:
    """The vote rounds that are closed (their tally may be shown) at ``phase``."""
    order = PHASES[method]
    here = order.index(phase)
    return sorted({r for p, r in VOTE_ROUND.items() if p in order and order.index(p) < here})


def round_robin(
    positions: list[int], queues: dict[int, list[Any]], start: int
) -> list[tuple[int, Any]]:
    """The order in which waiting ideas are recorded: one per member per turn, in join order,
    beginning with the first member at or after ``start`` and wrapping round, until every
    queue is empty. Returns (member position, item) pairs."""
    order = sorted(positions)
    if not order:
        return []
    first = next((i for i, p in enumerate(order) if p >= start), 0)
    order = order[first:] + order[:first]
    queues = {p: list(queues.get(p, [])) for p in order}
    out: list[tuple[int, Any]] = []
    while any(queues.values()):
        for position in order:
            if queues[position]:
                out.append((position, queues[position].pop(0)))
    return out
