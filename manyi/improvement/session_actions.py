"""Every write of a problem-solving session (003 P-097 nominal group, P-098 brainstorming).

The facilitator (who started the session, or another manager of the unit standing in) states
the problem and moves the session through its phases (``phases.py``); members join with their
own login, write ideas and rank them. Every write locks the session row, so two phones acting at
once are serialised, and raises the session's ``revision`` so the live pages redraw.

Phase rules: ideas only in the idea phases; rankings only in a vote, from members, once per
member per round, and only of recorded ideas that were not set aside; the session cannot reach a
vote while ideas still wait to be recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.errors import (
    Conflict,
    InvalidInput,
    InvalidMove,
    NotFound,
    OutOfScope,
    StaleVersion,
    interpolate,
)
from manyi.improvement import queries
from manyi.improvement.actions import _managed_problem, _start_work
from manyi.improvement.models import (
    Idea,
    Method,
    Phase,
    Problem,
    Ranking,
    RankingEntry,
    Session,
    SessionMember,
)
from manyi.improvement.phases import (
    IDEA_PHASES,
    TIDY_PHASES,
    next_phase,
    phases_of,
    round_robin,
    vote_round,
)
from manyi.improvement.tally import borda_points
from manyi.org.actions import audit
from manyi.org.models import AuditAction, Unit
from manyi.org.scopes import Perm, Scope, scope_for

MAX_TOP_N = 10
MAX_IDEAS_PER_MEMBER = 30
MAX_SUBGROUPS = 10


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def _name_of(user: Any) -> str:
    staff = getattr(user, "staff", None)
    return (staff.name if staff else user.get_username())[:50]


def _locked(actor: Any, session: Session | int) -> tuple[Scope, Session]:
    """The session, locked, if the actor may see it."""
    scope = scope_for(actor)
    try:
        locked = queries.visible_sessions(scope).select_for_update().get(pk=_pk(session))
    except (Session.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc
    return scope, locked


def _bump(session: Session, *fields: str) -> None:
    session.revision += 1
    session.save(update_fields=[*fields, "revision"])


def _require_facilitator(scope: Scope, actor: Any, session: Session) -> None:
    """The facilitator, or a manager of the unit standing in (a phone may die mid-meeting)."""
    if session.facilitator_id is not None and session.facilitator_id == getattr(actor, "pk", None):
        return
    if scope.can(Perm.MANAGE_IMPROVEMENT) and scope.covers(Unit.objects.get(pk=session.unit_id)):
        return
    raise OutOfScope(_("Only the facilitator may do this."))


def _member(session: Session, actor: Any) -> SessionMember:
    member = queries.member_for(session, actor)
    if member is None:
        raise OutOfScope(_("Only members of the session may do this; join it first."))
    return member


def _require_phase(session: Session, phases: Iterable[str], message: Any) -> None:
    if session.phase not in tuple(phases):
        raise InvalidMove(message)


def _clean(value: Any, field: str, limit: int) -> str:
    text = (value or "").strip() if isinstance(value, str | None) else ""
    if not text:
        raise InvalidInput(_("This field is required."), field=field)
    if len(text) > limit:
        raise InvalidInput(
            interpolate(_("At most %(limit)s characters."), {"limit": limit}), field=field
        )
    return text


def _add_member(session: Session, user: Any) -> SessionMember:
    top = session.members.aggregate(m=Max("position"))["m"]
    subgroup = None
    if session.method == Method.BRAINSTORM and session.subgroups:
        sizes = dict(
            session.members.exclude(subgroup=None)
            .values_list("subgroup")
            .annotate(n=Count("pk"))
            .order_by()
        )
        subgroup = min(range(1, session.subgroups + 1), key=lambda g: (sizes.get(g, 0), g))
    return SessionMember.objects.create(
        session=session,
        user=user,
        name=_name_of(user),
        position=0 if top is None else top + 1,
        subgroup=subgroup,
        joined_at=clock.now(),
    )


# -- starting and joining ------------------------------------------------------------------------


@transaction.atomic
def start_session(
    *,
    actor: Any,
    problem: Problem | int,
    method: str,
    top_n: int = 3,
    statement: str = "",
) -> Session:
    """Open a problem-solving session on the problem; the actor facilitates and takes part."""
    _scope, problem = _managed_problem(actor, problem)
    if method not in Method.values:
        raise InvalidInput(_("Not one of the available choices."), field="method")
    try:
        top_n = int(top_n)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(_("Enter a whole number."), field="top_n") from exc
    if not 1 <= top_n <= MAX_TOP_N:
        raise InvalidInput(
            interpolate(_("Between 1 and %(max)s."), {"max": MAX_TOP_N}), field="top_n"
        )
    statement = (statement or "").strip() or "\n".join(
        part for part in (problem.title, problem.description) if part
    )
    statement = _clean(statement[:2000], "statement", 2000)
    session = Session.objects.create(
        problem=problem,
        company_id=problem.company_id,
        unit_id=problem.unit_id,
        method=method,
        statement=statement,
        phase=phases_of(method)[0],
        facilitator=actor,
        top_n=top_n,
        created_at=clock.now(),
    )
    _add_member(session, actor)
    _start_work(problem)
    audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=session,
        company_id=session.company_id,
        changes={"problem": [None, problem.pk], "method": [None, method]},
    )
    return session


@transaction.atomic
def join_session(*, actor: Any, session: Session | int) -> SessionMember:
    """Take part in the session with one's own login (joining twice changes nothing)."""
    scope, session = _locked(actor, session)
    scope.require(Perm.RAISE_PROBLEMS)
    existing = queries.member_for(session, actor)
    if existing is not None:
        return existing
    if session.is_finished:
        raise InvalidMove(_("The session has finished."))
    member = _add_member(session, actor)
    _bump(session)
    return member


@transaction.atomic
def update_statement(*, actor: Any, session: Session | int, statement: str) -> Session:
    """Restate the problem, before the team starts on ideas."""
    scope, session = _locked(actor, session)
    _require_facilitator(scope, actor, session)
    _require_phase(session, [Phase.STATE], _("The problem can be restated only at the start."))
    session.statement = _clean(statement, "statement", 2000)
    _bump(session, "statement")
    return session


@transaction.atomic
def form_subgroups(*, actor: Any, session: Session | int, count: int) -> Session:
    """Brainstorming: split the members into ``count`` sub-groups, in turn order."""
    scope, session = _locked(actor, session)
    _require_facilitator(scope, actor, session)
    if session.method != Method.BRAINSTORM:
        raise InvalidMove(_("Only a brainstorming session has sub-groups."))
    _require_phase(session, [Phase.GROUPS], _("Sub-groups are formed before the brainstorm."))
    members = list(session.members.order_by("position"))
    try:
        count = int(count)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(_("Enter a whole number."), field="count") from exc
    limit = min(MAX_SUBGROUPS, len(members))
    if not 1 <= count <= limit:
        raise InvalidInput(interpolate(_("Between 1 and %(max)s."), {"max": limit}), field="count")
    for index, member in enumerate(members):
        member.subgroup = index % count + 1
    SessionMember.objects.bulk_update(members, ["subgroup"])
    session.subgroups = count
    _bump(session, "subgroups")
    return session


# -- ideas -----------------------------------------------------------------------------------


def _next_number(session: Session) -> int:
    top = session.ideas.aggregate(m=Max("number"))["m"]
    return 1 if top is None else top + 1


@transaction.atomic
def add_idea(
    *, actor: Any, session: Session | int, text: str, builds_on: Idea | int | None = None
) -> Idea:
    """Write down a possible solution.

    Nominal group: privately in the silent phase (others see only how many), or while the
    ideas are being recorded; it waits for its owner's turn. Brainstorming: on the board at
    once, for the member's sub-group; it may build on another idea.
    """
    scope, session = _locked(actor, session)
    member = _member(session, actor)
    _require_phase(
        session,
        IDEA_PHASES[session.method],
        _("Ideas are not being collected in this phase."),
    )
    text = _clean(text, "text", 300)
    if member.ideas.count() >= MAX_IDEAS_PER_MEMBER:
        raise Conflict(
            interpolate(_("At most %(n)s ideas per member."), {"n": MAX_IDEAS_PER_MEMBER})
        )
    base = None
    if builds_on is not None:
        base = session.ideas.filter(pk=_pk(builds_on), number__isnull=False).first()
        if base is None:
            raise InvalidInput(_("Choose an idea on the board."), field="builds_on")
    idea = Idea(session=session, author=member, text=text, builds_on=base, created_at=clock.now())
    if session.method == Method.BRAINSTORM:
        idea.number = _next_number(session)
        idea.recorded_at = idea.created_at
        idea.subgroup = member.subgroup
    idea.save()
    _bump(session)
    return idea


@transaction.atomic
def remove_idea(*, actor: Any, session: Session | int, idea: Idea | int) -> None:
    """Take back one's own idea before it is recorded."""
    scope, session = _locked(actor, session)
    member = _member(session, actor)
    found = session.ideas.filter(pk=_pk(idea), author=member, number__isnull=True).first()
    if found is None:
        raise NotFound()
    _require_phase(session, IDEA_PHASES[session.method], _("The ideas are closed."))
    found.delete()
    _bump(session)


def _waiting_order(session: Session) -> list[tuple[int, Idea]]:
    members = {m.pk: m.position for m in session.members.all()}
    queues: dict[int, list[Idea]] = {}
    for idea in session.ideas.filter(number__isnull=True).order_by("created_at", "id"):
        queues.setdefault(members[idea.author_id], []).append(idea)
    return round_robin(list(members.values()), queues, session.turn)


def _record(session: Session, pairs: list[tuple[int, Idea]]) -> list[Idea]:
    number = _next_number(session)
    now = clock.now()
    ideas = []
    for offset, (_position, idea) in enumerate(pairs):
        idea.number = number + offset
        idea.recorded_at = now
        ideas.append(idea)
    Idea.objects.bulk_update(ideas, ["number", "recorded_at"])
    session.turn = pairs[-1][0] + 1
    _bump(session, "turn")
    return ideas


@transaction.atomic
def record_next_idea(*, actor: Any, session: Session | int) -> Idea | None:
    """Round robin: record the next member's next idea (None when none is waiting)."""
    scope, session = _locked(actor, session)
    _require_facilitator(scope, actor, session)
    _require_phase(session, [Phase.RECORDING], _("Ideas are recorded in the round-robin phase."))
    order = _waiting_order(session)
    if not order:
        return None
    return _record(session, order[:1])[0]


@transaction.atomic
def record_all_ideas(*, actor: Any, session: Session | int) -> int:
    """Round robin to the end: record every waiting idea, one per member per turn."""
    scope, session = _locked(actor, session)
    _require_facilitator(scope, actor, session)
    _require_phase(session, [Phase.RECORDING], _("Ideas are recorded in the round-robin phase."))
    order = _waiting_order(session)
    if order:
        _record(session, order)
    return len(order)


@transaction.atomic
def set_idea_aside(
    *, actor: Any, session: Session | int, idea: Idea | int, aside: bool = True
) -> Idea:
    """Set a duplicate aside during clarification or discussion (or bring it back)."""
    scope, session = _locked(actor, session)
    _require_facilitator(scope, actor, session)
    _require_phase(
        session, TIDY_PHASES, _("Ideas are set aside during clarification or discussion.")
    )
    found = session.ideas.filter(pk=_pk(idea), number__isnull=False).first()
    if found is None:
        raise NotFound()
    if found.set_aside != bool(aside):
        found.set_aside = bool(aside)
        found.save(update_fields=["set_aside"])
        _bump(session)
    return found


@transaction.atomic
def reword_idea(*, actor: Any, session: Session | int, idea: Idea | int, text: str) -> Idea:
    """Reword an idea as the team clarified it."""
    scope, session = _locked(actor, session)
    _require_facilitator(scope, actor, session)
    _require_phase(session, TIDY_PHASES, _("Ideas are reworded during clarification."))
    found = session.ideas.filter(pk=_pk(idea), number__isnull=False).first()
    if found is None:
        raise NotFound()
    found.text = _clean(text, "text", 300)
    found.save(update_fields=["text"])
    _bump(session)
    return found


# -- voting ----------------------------------------------------------------------------------


@transaction.atomic
def submit_ranking(*, actor: Any, session: Session | int, idea_ids: list[Any]) -> Ranking:
    """A member's ranking of their top ideas, best first: the first of N earns N points.

    Only in a vote, only from members, once per member per round; exactly N distinct ideas
    from the board (N = the session's top N, or every idea when there are fewer).
    """
    scope, session = _locked(actor, session)
    member = _member(session, actor)
    round_ = vote_round(session.phase)
    if round_ is None:
        raise InvalidMove(_("Rankings are taken only during a vote."))
    if Ranking.objects.filter(session=session, member=member, round=round_).exists():
        raise Conflict(_("You have already submitted your ranking in this vote."))
    eligible = {idea.pk: idea for idea in queries.eligible_ideas(session)}
    size = min(session.top_n, len(eligible))
    chosen: list[int] = []
    for raw in idea_ids or []:
        try:
            chosen.append(int(_pk(raw)))
        except (TypeError, ValueError) as exc:
            raise InvalidInput(_("Choose ideas from the board."), field="ranking") from exc
    if len(chosen) != size:
        raise InvalidInput(
            interpolate(_("Rank exactly %(n)s ideas."), {"n": size}), field="ranking"
        )
    if len(set(chosen)) != len(chosen):
        raise InvalidInput(_("Each idea may appear only once."), field="ranking")
    if any(pk not in eligible for pk in chosen):
        raise InvalidInput(_("Choose ideas from the board."), field="ranking")
    try:
        with transaction.atomic():
            ranking = Ranking.objects.create(
                session=session, member=member, round=round_, created_at=clock.now()
            )
    except IntegrityError as exc:
        raise Conflict(_("You have already submitted your ranking in this vote.")) from exc
    RankingEntry.objects.bulk_create(
        RankingEntry(ranking=ranking, idea_id=pk, rank=rank, points=borda_points(size, rank))
        for rank, pk in enumerate(chosen, start=1)
    )
    _bump(session)
    return ranking


# -- moving on -------------------------------------------------------------------------------


def advance_blocker(session: Session) -> Any | None:
    """Why the session cannot move to its next phase yet (None: it can)."""
    target = next_phase(session.method, session.phase)
    if target is None:
        return _("The session has finished.")
    phase = session.phase
    if phase == Phase.STATE and session.members.count() < 2:
        return _("At least two members must join before the team starts.")
    if phase == Phase.SILENT and not session.ideas.exists():
        return _("No idea has been written yet.")
    if phase == Phase.RECORDING:
        waiting = session.ideas.filter(number__isnull=True).count()
        if waiting:
            return interpolate(_("%(n)s idea(s) still wait to be recorded."), {"n": waiting})
    if phase == Phase.GROUPS and not session.subgroups:
        return _("Split the team into sub-groups first.")
    if vote_round(target) is not None and queries.eligible_ideas(session).count() < 2:
        return _("At least two recorded ideas are needed for a vote.")
    round_ = vote_round(phase)
    if round_ is not None and not Ranking.objects.filter(session=session, round=round_).exists():
        return _("Nobody has submitted a ranking yet.")
    return None


@transaction.atomic
def advance_session(*, actor: Any, session: Session | int, from_phase: str) -> Session:
    """Move the session to its next phase. ``from_phase`` is the phase the facilitator saw:
    if someone already moved it on, the request is refused rather than skipping a phase."""
    scope, session = _locked(actor, session)
    _require_facilitator(scope, actor, session)
    if session.phase != from_phase:
        raise StaleVersion(_("The session has already moved on; look at it again."))
    blocker = advance_blocker(session)
    if blocker is not None:
        raise InvalidMove(blocker)
    old = session.phase
    session.phase = next_phase(session.method, session.phase)
    fields = ["phase"]
    if session.phase == Phase.DONE:
        session.finished_at = clock.now()
        fields.append("finished_at")
    _bump(session, *fields)
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=session,
        company_id=session.company_id,
        changes={"phase": [old, session.phase]},
    )
    return session
