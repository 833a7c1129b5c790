"""Read side of improvement: problems, action plans, sessions and tallies, scoped by unit.

Who sees what:

- **problems**: staff who may raise problems see those of their unit's subtree (an outlet's
  staff their outlet's, a region manager the region's, the department head all);
- **actions**: those of the problems one sees, plus one's own actions wherever they are (an
  outlet technician may own an action of a region-wide problem);
- **sessions**: those of the problems one sees, plus those held for a unit one belongs to (an
  outlet's staff join the session on their region's problem), plus those one has joined.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from manyi import clock
from manyi.errors import NotFound
from manyi.improvement.models import (
    ACTIVE_PROBLEM,
    PENDING_ACTION,
    ActionItem,
    ActionStatus,
    Idea,
    Problem,
    ProblemStatus,
    Ranking,
    RankingEntry,
    Session,
    SessionMember,
)
from manyi.improvement.phases import round_robin
from manyi.improvement.tally import Score, Tally, order_scores
from manyi.org.models import Staff, Unit
from manyi.org.scopes import ROLE_PERMS, Perm, Scope
from manyi.pagination import Page, keyset_page


def can_view(scope: Scope) -> bool:
    """Whether the role takes part in improvement at all."""
    return scope.can(Perm.RAISE_PROBLEMS) or scope.can(Perm.MANAGE_IMPROVEMENT)


def _ancestor_ids(scope: Scope) -> list[int]:
    if not scope.unit_path:
        return []
    return [int(part) for part in scope.unit_path.strip("/").split("/") if part]


# -- problems ----------------------------------------------------------------------------------


def visible_problems(scope: Scope) -> QuerySet[Problem]:
    """The problems a scope may read: its unit subtree's."""
    if not can_view(scope):
        return Problem.objects.none()
    return scope.filter(Problem.objects.all(), unit_field="unit")


def get_problem(scope: Scope, pk: Any) -> Problem:
    """One visible problem with its unit and owner, or NotFound."""
    try:
        return (
            visible_problems(scope).select_related("unit", "owner", "raised_by__staff").get(pk=pk)
        )
    except (Problem.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc


@dataclass
class ProblemFilters:
    """The problem list's filters, from the query string."""

    status: str = ""  # "" = active (open and being solved), or one status, or "all"
    q: str = ""
    mine: bool = False

    @classmethod
    def from_params(cls, params: Any) -> ProblemFilters:
        status = (params.get("status") or "").strip()
        if status not in {*ProblemStatus.values, "all"}:
            status = ""
        return cls(
            status=status,
            q=(params.get("q") or "").strip()[:50],
            mine=params.get("mine") in ("1", "true", "on"),
        )

    def as_query(self) -> dict[str, str]:
        out = {}
        if self.status:
            out["status"] = self.status
        if self.q:
            out["q"] = self.q
        if self.mine:
            out["mine"] = "1"
        return out


def problem_list(scope: Scope, filters: ProblemFilters | None = None) -> QuerySet[Problem]:
    """Visible problems matching the filters, with the counts the list shows (one query)."""
    filters = filters or ProblemFilters()
    qs = visible_problems(scope)
    if filters.status == "":
        qs = qs.filter(status__in=ACTIVE_PROBLEM)
    elif filters.status != "all":
        qs = qs.filter(status=filters.status)
    if filters.q:
        qs = qs.filter(Q(title__icontains=filters.q) | Q(source_label__icontains=filters.q))
    if filters.mine:
        qs = qs.filter(owner_id=scope.staff_id) if scope.staff_id else qs.none()
    today = timezone.localdate(clock.now())
    return qs.select_related("unit", "owner").annotate(
        action_count=Count("actions", distinct=True),
        done_count=Count("actions", filter=Q(actions__status=ActionStatus.DONE), distinct=True),
        overdue_count=Count(
            "actions",
            filter=Q(actions__status__in=PENDING_ACTION, actions__due_on__lt=today),
            distinct=True,
        ),
    )


def problem_page(
    scope: Scope, filters: ProblemFilters, *, after: Any = None, size: Any = 30
) -> Page:
    """One newest-first page of the problem list (keyset on id)."""
    return keyset_page(problem_list(scope, filters), after=after, size=size)


def problems_from(scope: Scope, kind: str, source_id: str) -> list[Problem]:
    """The visible problems raised from one source row (the back-link on a source's page)."""
    return list(
        visible_problems(scope).filter(source_kind=kind, source_id=str(source_id)).order_by("-id")
    )


def problem_actions(problem: Problem) -> list[ActionItem]:
    """A problem's action plan, soonest due first, with owners (one query)."""
    return list(problem.actions.select_related("owner", "idea").order_by("due_on", "id"))


def problem_sessions(problem: Problem) -> list[Session]:
    """A problem's sessions, newest first, with their member counts (one query)."""
    return list(
        problem.sessions.annotate(member_count=Count("members")).select_related(
            "facilitator__staff"
        )
    )


# -- who may own what --------------------------------------------------------------------------


def _may_raise(role: str) -> bool:
    return Perm.RAISE_PROBLEMS in ROLE_PERMS.get(role, frozenset())


def eligible_owners(unit: Unit, *, managers_only: bool = False) -> QuerySet[Staff]:
    """Active staff of the unit's company who may own work on a problem of ``unit``: those
    working in the unit's subtree and those above it (a region's manager, the department head).
    ``managers_only``: those who may manage improvement (problem owners)."""
    roles = [
        role
        for role, perms in ROLE_PERMS.items()
        if Perm.RAISE_PROBLEMS in perms and (not managers_only or Perm.MANAGE_IMPROVEMENT in perms)
    ]
    return (
        Staff.objects.filter(company_id=unit.company_id, user__is_active=True, role__in=roles)
        .filter(Q(unit__path__startswith=unit.path) | Q(unit_id__in=unit.ancestor_ids()))
        .filter(unit__is_active=True)
        .select_related("unit")
        .order_by("unit__path", "name")
    )


def units_for_problems(scope: Scope) -> QuerySet[Unit]:
    """The units a person may raise a problem for: their subtree (active units)."""
    if not can_view(scope):
        return Unit.objects.none()
    return scope.units().filter(is_active=True).order_by("path")


# -- actions -----------------------------------------------------------------------------------


def visible_actions(scope: Scope) -> QuerySet[ActionItem]:
    """The actions of visible problems, plus the actor's own actions anywhere."""
    if not can_view(scope):
        return ActionItem.objects.none()
    in_scope = scope.filter(ActionItem.objects.all(), unit_field="unit")
    if scope.staff_id is None:
        return in_scope
    return ActionItem.objects.filter(Q(pk__in=in_scope.values("pk")) | Q(owner_id=scope.staff_id))


def get_action(scope: Scope, pk: Any) -> ActionItem:
    """One visible action with its problem and owner, or NotFound."""
    try:
        return (
            visible_actions(scope)
            .select_related("problem__unit", "problem__owner", "owner__user", "idea")
            .get(pk=pk)
        )
    except (ActionItem.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc


@dataclass
class MyActions:
    """A person's actions: overdue first, then the rest to do, then recently finished."""

    overdue: list[ActionItem]
    pending: list[ActionItem]
    finished: list[ActionItem]
    today: dt.date


def action_board(
    scope: Scope, *, everyone: bool = False, limit: int = 100, finished_limit: int = 20
) -> MyActions:
    """The actions list: the actor's own (or, for managers, everyone's in their units), overdue
    first, then soonest due; finished ones last, newest first. Two queries."""
    today = timezone.localdate(clock.now())
    qs = visible_actions(scope) if everyone else ActionItem.objects.filter(owner_id=scope.staff_id)
    if scope.staff_id is None and not everyone:
        qs = ActionItem.objects.none()
    qs = qs.select_related("problem", "owner")
    pending = list(qs.filter(status__in=PENDING_ACTION).order_by("due_on", "id")[:limit])
    finished = list(
        qs.exclude(status__in=PENDING_ACTION).order_by("-due_on", "-id")[:finished_limit]
    )
    return MyActions(
        overdue=[a for a in pending if a.due_on < today],
        pending=[a for a in pending if a.due_on >= today],
        finished=finished,
        today=today,
    )


def overdue_count(scope: Scope) -> int:
    """How many of the actor's own actions are overdue (the menu badge and the list's head)."""
    if scope.staff_id is None:
        return 0
    today = timezone.localdate(clock.now())
    return ActionItem.objects.filter(
        owner_id=scope.staff_id, status__in=PENDING_ACTION, due_on__lt=today
    ).count()


# -- sessions ----------------------------------------------------------------------------------


def visible_sessions(scope: Scope) -> QuerySet[Session]:
    """Sessions of visible problems, of units above the actor's (their team's), or joined."""
    if not can_view(scope):
        return Session.objects.none()
    in_scope = scope.filter(Session.objects.all(), unit_field="unit")
    if scope.everything:
        return in_scope
    team = Q(company_id=scope.company_id, unit_id__in=_ancestor_ids(scope))
    joined = Exists(SessionMember.objects.filter(session=OuterRef("pk"), user_id=scope.user_id))
    return Session.objects.filter(Q(pk__in=in_scope.values("pk")) | team | Q(joined))


def get_session(scope: Scope, pk: Any) -> Session:
    """One visible session with its problem, or NotFound."""
    try:
        return (
            visible_sessions(scope)
            .select_related("problem", "unit", "facilitator__staff")
            .get(pk=pk)
        )
    except (Session.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc


def live_sessions(scope: Scope, *, limit: int = 10) -> list[Session]:
    """Sessions still running that the actor may join or watch, newest first."""
    return list(
        visible_sessions(scope)
        .filter(finished_at__isnull=True)
        .select_related("problem")
        .order_by("-id")[:limit]
    )


def members_of(session: Session) -> list[SessionMember]:
    """The members in turn order, with how many ideas each wrote (one query)."""
    return list(
        session.members.annotate(
            idea_count=Count("ideas"),
            waiting=Count("ideas", filter=Q(ideas__number__isnull=True)),
        ).order_by("position")
    )


def member_for(session: Session, user) -> SessionMember | None:
    """The user's membership of the session, if they joined."""
    if not getattr(user, "pk", None):
        return None
    return session.members.filter(user_id=user.pk).first()


def board_ideas(session: Session) -> list[Idea]:
    """The ideas everyone sees: recorded (numbered) ones, in order."""
    return list(session.ideas.filter(number__isnull=False).order_by("number"))


def own_ideas(member: SessionMember) -> list[Idea]:
    """A member's own ideas, recorded or still waiting, in the order written."""
    return list(member.ideas.order_by("created_at", "id"))


def eligible_ideas(session: Session) -> QuerySet[Idea]:
    """The ideas that may be ranked: recorded and not set aside."""
    return session.ideas.filter(number__isnull=False, set_aside=False).order_by("number")


def voters(session: Session, round: int) -> set[int]:
    """The member ids that submitted their ranking in ``round``."""
    return set(
        Ranking.objects.filter(session=session, round=round).values_list("member_id", flat=True)
    )


def my_ranking(member: SessionMember | None, round: int) -> list[RankingEntry]:
    """The member's ranking in ``round`` (best first), empty if not yet submitted."""
    if member is None:
        return []
    return list(
        RankingEntry.objects.filter(ranking__member=member, ranking__round=round)
        .select_related("idea")
        .order_by("rank")
    )


def session_tally(session: Session, round: int) -> Tally:
    """The Borda count of ``round``: points, first places and voters per idea summed in SQL,
    then ordered with the ties stated (``tally.order_scores``). Two queries."""
    sums = {
        row["idea_id"]: row
        for row in RankingEntry.objects.filter(ranking__session=session, ranking__round=round)
        .values("idea_id")
        .annotate(
            points=Sum("points"),
            firsts=Count("pk", filter=Q(rank=1)),
            voters=Count("pk"),
        )
    }
    rankings = Ranking.objects.filter(session=session, round=round).count()
    scores = [
        Score(
            idea_id=idea.pk,
            number=idea.number,
            text=idea.text,
            points=sums.get(idea.pk, {}).get("points") or 0,
            firsts=sums.get(idea.pk, {}).get("firsts") or 0,
            voters=sums.get(idea.pk, {}).get("voters") or 0,
        )
        for idea in session.ideas.filter(number__isnull=False, set_aside=False)
    ]
    # An idea set aside after it was ranked still counts in the round it was ranked in.
    ranked_aside = set(sums) - {s.idea_id for s in scores}
    if ranked_aside:
        for idea in session.ideas.filter(pk__in=ranked_aside):
            row = sums[idea.pk]
            scores.append(
                Score(
                    idea.pk,
                    idea.number or 0,
                    idea.text,
                    row["points"],
                    row["firsts"],
                    row["voters"],
                )
            )
    return order_scores(scores, round=round, rankings=rankings)


def clock_today() -> dt.date:
    """Today in the site's time zone (on the simulation clock)."""
    return timezone.localdate(clock.now())


def next_turn(session: Session, members: list[SessionMember]) -> SessionMember | None:
    """Whose idea is recorded next in the round robin (``members`` from :func:`members_of`)."""
    queues = {m.position: [m] * m.waiting for m in members}
    order = round_robin([m.position for m in members], queues, session.turn)
    return order[0][1] if order else None
