"""Read side of CSAS rounds: which rounds a user sees, a round's results, a team's trend.

Managers (MANAGE_TEAM, or VIEW_REPORTS to read) see the rounds of their subtree; a member sees
the rounds they were asked in. Results exist only when the round's ``results_visible`` says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Avg,
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    StdDev,
)

from manyi.errors import NotFound
from manyi.instruments.queries import definition_for
from manyi.org.models import Unit
from manyi.org.scopes import Perm, Scope
from manyi.pagination import Page, keyset_page
from manyi.team.actions.common import today
from manyi.team.builtin import CSAS_ITEMS, CSAS_STATEMENTS
from manyi.team.models import (
    MIN_ANSWERS,
    AssessmentAnswer,
    AssessmentResponse,
    AssessmentRound,
    RoundMember,
    RoundStatus,
)

# The P-096 sample lists four strengths and four weaknesses.
STRENGTHS_SHOWN = 4


def can_manage(scope: Scope) -> bool:
    """Whether the scope opens rounds or reads every round of its subtree."""
    return scope.can(Perm.MANAGE_TEAM) or scope.can(Perm.VIEW_REPORTS)


def visible_rounds(scope: Scope) -> QuerySet[AssessmentRound]:
    """Rounds of the scope's subtree (managers) and the rounds the user is a member of."""
    mine = Q(Exists(RoundMember.objects.filter(round=OuterRef("pk"), staff_id=scope.staff_id)))
    if not can_manage(scope):
        if scope.staff_id is None:
            return AssessmentRound.objects.none()
        return AssessmentRound.objects.filter(mine)
    managed = scope.filter(AssessmentRound.objects.all(), unit_field="unit")
    if scope.staff_id is None:
        return managed
    return AssessmentRound.objects.filter(Q(pk__in=managed.values("pk")) | mine)


def round_list(scope: Scope, *, unit: Unit | None = None, after: Any = None) -> Page:
    """A page of rounds, newest first, with team and instrument (one query)."""
    qs = visible_rounds(scope).select_related("unit", "version__instrument").order_by("-id")
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    return keyset_page(qs, after=after)


def get_round(scope: Scope, pk: Any) -> AssessmentRound:
    """One round the user may see, or NotFound."""
    try:
        return (
            visible_rounds(scope)
            .select_related("unit", "version__instrument", "opened_by__staff")
            .get(pk=pk)
        )
    except (AssessmentRound.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc


def may_manage_round(scope: Scope, round_: AssessmentRound) -> bool:
    """Whether the user may see who answered and close the round."""
    return scope.can(Perm.MANAGE_TEAM) and scope.covers(round_.unit)


def members_of(round_: AssessmentRound) -> list[RoundMember]:
    """The members and whether each has answered (the progress a manager follows up)."""
    return list(
        RoundMember.objects.filter(round=round_)
        .select_related("staff__unit")
        .order_by("has_answered", "staff__name")
    )


def open_rounds_for(staff_id: int | None) -> list[RoundMember]:
    """The rounds waiting for this person's answer."""
    if staff_id is None:
        return []
    members = RoundMember.objects.filter(
        staff_id=staff_id, has_answered=False, round__status=RoundStatus.OPEN
    ).select_related("round__unit")
    return [m for m in members.order_by("-round_id")[:20] if m.round.is_open]


@dataclass
class ItemResult:
    """One CSAS item over a round's answers: mean and spread on the 0–5 points."""

    code: str
    number: int
    text: str
    mean: float
    sd: float
    low: float
    high: float
    answered: int
    score: float  # the mean on 0–100
    strength: str = ""
    weakness: str = ""


@dataclass
class RoundResults:
    """A round's results: the index, every item, the P-096 strengths and weaknesses."""

    answers: int
    index: float | None
    items: list[ItemResult]
    strengths: list[ItemResult] = field(default_factory=list)
    weaknesses: list[ItemResult] = field(default_factory=list)


def _statements(code: str, text: str) -> tuple[str, str]:
    """The P-096 phrases of a built-in CSAS item (kept while a copy keeps its question)."""
    phrases = CSAS_STATEMENTS.get(code)
    number = int(code[1:]) if code[1:].isdigit() else 0
    if phrases and 1 <= number <= len(CSAS_ITEMS) and CSAS_ITEMS[number - 1][0] == text:
        return phrases
    return text, text


def round_results(round_: AssessmentRound) -> RoundResults | None:
    """The results of a round, or None while they must stay hidden (two queries)."""
    if not round_.results_visible:
        return None
    definition = definition_for(round_.version)
    by_id = {item.id: item for item in definition.items if item.id is not None}
    rows = (
        AssessmentAnswer.objects.filter(round=round_, is_na=False, number__isnull=False)
        .values("item_id")
        .annotate(
            mean=Avg("number"),
            sd=StdDev("number"),
            low=Min("number"),
            high=Max("number"),
            answered=Count("id"),
            score=Avg("score"),
        )
    )
    items = []
    for row in rows:
        item = by_id.get(row["item_id"])
        if item is None:
            continue
        strength, weakness = _statements(item.code, item.text)
        items.append(
            ItemResult(
                code=item.code,
                number=item.number,
                text=item.text,
                mean=row["mean"],
                sd=row["sd"] or 0.0,
                low=row["low"],
                high=row["high"],
                answered=row["answered"],
                score=row["score"] or 0.0,
                strength=strength,
                weakness=weakness,
            )
        )
    items.sort(key=lambda r: r.number)
    index = AssessmentResponse.objects.filter(round=round_).aggregate(index=Avg("index"))["index"]
    # P-095/096: strengths are the best items at or above the team's own average, weaknesses
    # the worst below it — an item the team "usually" does is not listed as a weakness just
    # because it ties with others.
    average = sum(r.mean for r in items) / len(items) if items else 0.0
    ordered = sorted(items, key=lambda r: -r.mean)
    return RoundResults(
        answers=round_.answer_count,
        index=index,
        items=items,
        strengths=[r for r in ordered if r.mean >= average - 1e-9][:STRENGTHS_SHOWN],
        weaknesses=[r for r in reversed(ordered) if r.mean < average - 1e-9][:STRENGTHS_SHOWN],
    )


def team_trend(unit_id: int, *, limit: int = 12) -> list[AssessmentRound]:
    """The team's rounds whose results may show, oldest first, each with its mean index
    (``trend_index``) — one query."""
    finished = (
        Q(status=RoundStatus.CLOSED)
        | Q(answer_count__gte=F("member_count"))
        | Q(closes_on__lt=today())
    )
    rounds = (
        AssessmentRound.objects.filter(unit_id=unit_id, answer_count__gte=MIN_ANSWERS)
        .filter(finished)
        .annotate(trend_index=Avg("responses__index"))
        .order_by("-opened_at")[:limit]
    )
    return list(reversed(rounds))
