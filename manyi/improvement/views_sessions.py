"""The live page of a problem-solving session, used on phones in the meeting.

The page has two parts. The **board** (``_session_board.html``) is what everyone sees — phase,
members, the recorded ideas, who has voted, the tally, the facilitator's buttons — and polls
every 2 seconds: the server answers 204 (nothing to redraw) while the session's revision is
unchanged, the new board when it moved, and ``HX-Refresh`` when the phase changed, so every
phone switches to the next phase's form together. The **personal panel**
(``_session_mine.html``) holds the forms (my ideas, my ranking); it is not polled, so nobody's
typing is wiped by a redraw, and is swapped only by the member's own posts. No websockets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from manyi.errors import DomainError, InvalidInput, InvalidMove, OutOfScope, StaleVersion
from manyi.improvement import queries
from manyi.improvement import session_actions as actions
from manyi.improvement.forms import (
    IdeaForm,
    RankingForm,
    RewordForm,
    StatementForm,
    SubgroupForm,
)
from manyi.improvement.models import Method, Phase, Session
from manyi.improvement.phases import (
    FINAL_ROUND,
    IDEA_PHASES,
    TIDY_PHASES,
    hint,
    next_phase,
    phases_of,
    rounds_so_far,
    vote_round,
)
from manyi.org.models import Unit
from manyi.org.scopes import Perm, Scope, scope_for

POLL_SECONDS = 2


def _get(request: HttpRequest, pk: int) -> tuple[Scope, Session]:
    scope = scope_for(request.user)
    if not queries.can_view(scope):
        raise OutOfScope()
    return scope, queries.get_session(scope, pk)


def _facilitates(scope: Scope, request: HttpRequest, session: Session) -> bool:
    if session.facilitator_id == request.user.pk:
        return True
    return scope.can(Perm.MANAGE_IMPROVEMENT) and scope.covers(session.unit)


def _board_context(request: HttpRequest, scope: Scope, session: Session) -> dict[str, Any]:
    """What everyone sees; also the data the personal panel needs (members, my membership)."""
    members = queries.members_of(session)
    me = next((m for m in members if m.user_id == request.user.pk), None)
    phase = session.phase
    round_ = vote_round(phase)
    voted = queries.voters(session, round_) if round_ else set()
    order = phases_of(session.method)
    here = order.index(phase)
    steps = [
        {
            "code": p,
            "label": Phase(p).label,
            "state": "done" if i < here else ("current" if i == here else ""),
        }
        for i, p in enumerate(order)
    ]
    ideas = queries.board_ideas(session)
    facilitates = _facilitates(scope, request, session)
    # The latest vote first: at the end, the final tally tops the page.
    rounds = sorted(rounds_so_far(session.method, phase), reverse=True)
    tallies = [queries.session_tally(session, r) for r in rounds]
    groups: list[tuple[int, list]] = []
    if session.method == Method.BRAINSTORM and session.subgroups:
        by_group: dict[int, list] = {g: [] for g in range(1, session.subgroups + 1)}
        for idea in ideas:
            by_group.setdefault(idea.subgroup or 0, []).append(idea)
        groups = sorted(by_group.items())
    return {
        "session": session,
        "problem": session.problem,
        "steps": steps,
        "hint": hint(session.method, phase),
        "members": members,
        "me": me,
        "facilitates": facilitates,
        "can_join": me is None and not session.is_finished and scope.can(Perm.RAISE_PROBLEMS),
        "ideas": ideas,
        "groups": groups,
        "round": round_,
        "voted": voted,
        "voted_count": len(voted),
        "waiting_total": sum(m.waiting for m in members),
        "next_turn": queries.next_turn(session, members) if phase == Phase.RECORDING else None,
        "tallies": tallies,
        "final_round": FINAL_ROUND[session.method],
        "blocker": actions.advance_blocker(session)
        if facilitates and not session.is_finished
        else None,
        "tidy": facilitates and phase in TIDY_PHASES,
        "poll_seconds": POLL_SECONDS,
        "is_ngt": session.method == Method.NGT,
        "next_label": Phase(next_phase(session.method, phase)).label
        if not session.is_finished
        else "",
    }


def _mine_context(
    request: HttpRequest, session: Session, board: dict[str, Any], bound: dict | None = None
) -> dict[str, Any]:
    """The member's own part: the idea form and their ideas, or their ranking form."""
    bound = bound or {}
    me = board["me"]
    context: dict[str, Any] = {"error": bound.get("error")}
    if me is None:
        return context
    if session.phase in IDEA_PHASES[session.method]:
        builds_on = board["ideas"] if session.method == Method.BRAINSTORM else ()
        context["idea_form"] = bound.get("idea") or IdeaForm(board=builds_on)
        context["my_ideas"] = queries.own_ideas(me)
    round_ = board["round"]
    if round_:
        mine = queries.my_ranking(me, round_)
        context["my_ranking"] = mine
        if not mine:
            eligible = list(queries.eligible_ideas(session))
            size = min(session.top_n, len(eligible))
            context["ranking_form"] = bound.get("ranking") or RankingForm(ideas=eligible, size=size)
            context["ranking_size"] = size
    return context


def _facilitator_forms(session: Session, board: dict[str, Any]) -> dict[str, Any]:
    if not board["facilitates"]:
        return {}
    forms: dict[str, Any] = {}
    if session.phase == Phase.STATE:
        forms["statement_form"] = StatementForm(initial={"statement": session.statement})
    if session.phase == Phase.GROUPS:
        forms["subgroup_form"] = SubgroupForm(
            initial={"count": session.subgroups or min(2, max(1, len(board["members"]) // 2))}
        )
    if session.phase in TIDY_PHASES:
        forms["reword"] = [
            (idea, RewordForm(initial={"text": idea.text}, auto_id=f"id_reword{idea.pk}_%s"))
            for idea in board["ideas"]
        ]
    return forms


@login_required
def session_live(request: HttpRequest, pk: int) -> HttpResponse:
    """The live page: the board (polled) and the member's own forms."""
    scope, session = _get(request, pk)
    board = _board_context(request, scope, session)
    context = {
        **board,
        **_mine_context(request, session, board),
        **_facilitator_forms(session, board),
    }
    return render(request, "improvement/session_live.html", context)


def _refresh() -> HttpResponse:
    response = HttpResponse(status=200)
    response["HX-Refresh"] = "true"
    return response


@login_required
def session_board(request: HttpRequest, pk: int) -> HttpResponse:
    """The board, polled: 204 while nothing changed; a full reload when the phase moved on."""
    scope, session = _get(request, pk)
    if request.GET.get("phase") != session.phase:
        return _refresh()
    if request.GET.get("rev") == str(session.revision):
        return HttpResponse(status=204)
    return render(
        request, "improvement/_session_board.html", _board_context(request, scope, session)
    )


def _after(
    request: HttpRequest,
    pk: int,
    perform: Callable[[], Any],
    *,
    target: str,
    bound: Callable[[DomainError], dict] | None = None,
) -> HttpResponse:
    """Run one action for a session page, then answer as the page expects.

    htmx posts get the fragment they target (``mine`` or ``board``) or a reload (``refresh``);
    a refusal is shown in the fragment, and a phase that moved on reloads the page. A plain
    post (no JavaScript) redirects back; its refusals go to the error middleware.
    """
    try:
        perform()
    except (InvalidMove, StaleVersion) as exc:
        if not request.htmx:
            raise
        messages.error(request, exc.message)
        return _refresh()
    except DomainError as exc:
        if not request.htmx:
            raise
        scope, session = _get(request, pk)
        board = _board_context(request, scope, session)
        extra = bound(exc) if bound else {}
        if target == "board":
            return render(
                request, "improvement/_session_board.html", {**board, "error": exc.message}
            )
        mine = _mine_context(request, session, board, {"error": exc.message, **extra})
        return render(request, "improvement/_session_mine.html", {**board, **mine})
    if not request.htmx:
        return redirect("improvement:session", pk)
    if target == "refresh":
        return _refresh()
    scope, session = _get(request, pk)
    board = _board_context(request, scope, session)
    if target == "board":
        return render(request, "improvement/_session_board.html", board)
    mine = _mine_context(request, session, board)
    response = render(request, "improvement/_session_mine.html", {**board, **mine})
    # The board redraws at once (my idea counted, my tick shown), not at the next poll.
    response["HX-Trigger"] = "session-changed"
    return response


@login_required
@require_POST
def session_join(request: HttpRequest, pk: int) -> HttpResponse:
    _scope, session = _get(request, pk)
    return _after(
        request,
        pk,
        lambda: actions.join_session(actor=request.user, session=session),
        target="refresh",
    )


@login_required
@require_POST
def idea_add(request: HttpRequest, pk: int) -> HttpResponse:
    _scope, session = _get(request, pk)
    text = request.POST.get("text", "")
    builds_on = request.POST.get("builds_on") or None

    def keep_text(exc: DomainError) -> dict:
        form = IdeaForm(initial={"text": text})
        return {"idea": form}

    return _after(
        request,
        pk,
        lambda: actions.add_idea(
            actor=request.user, session=session, text=text, builds_on=builds_on
        ),
        target="mine",
        bound=keep_text,
    )


@login_required
@require_POST
def idea_remove(request: HttpRequest, pk: int, idea_pk: int) -> HttpResponse:
    _scope, session = _get(request, pk)
    return _after(
        request,
        pk,
        lambda: actions.remove_idea(actor=request.user, session=session, idea=idea_pk),
        target="mine",
    )


@login_required
@require_POST
def ranking_submit(request: HttpRequest, pk: int) -> HttpResponse:
    _scope, session = _get(request, pk)
    eligible = list(queries.eligible_ideas(session))
    size = min(session.top_n, len(eligible))
    form = RankingForm(request.POST, ideas=eligible, size=size)

    def perform() -> None:
        if not form.is_valid():
            raise InvalidInput(_("Choose an idea for every place."), field="ranking")
        actions.submit_ranking(actor=request.user, session=session, idea_ids=form.ordered())

    return _after(request, pk, perform, target="mine", bound=lambda exc: {"ranking": form})


@login_required
@require_POST
def record_next(request: HttpRequest, pk: int) -> HttpResponse:
    _scope, session = _get(request, pk)
    return _after(
        request,
        pk,
        lambda: actions.record_next_idea(actor=request.user, session=session),
        target="board",
    )


@login_required
@require_POST
def record_all(request: HttpRequest, pk: int) -> HttpResponse:
    _scope, session = _get(request, pk)
    return _after(
        request,
        pk,
        lambda: actions.record_all_ideas(actor=request.user, session=session),
        target="board",
    )


@login_required
@require_POST
def idea_aside(request: HttpRequest, pk: int, idea_pk: int) -> HttpResponse:
    _scope, session = _get(request, pk)
    aside = request.POST.get("aside") != "0"
    return _after(
        request,
        pk,
        lambda: actions.set_idea_aside(
            actor=request.user, session=session, idea=idea_pk, aside=aside
        ),
        target="board",
    )


@login_required
@require_POST
def idea_reword(request: HttpRequest, pk: int, idea_pk: int) -> HttpResponse:
    _scope, session = _get(request, pk)
    return _after(
        request,
        pk,
        lambda: actions.reword_idea(
            actor=request.user, session=session, idea=idea_pk, text=request.POST.get("text")
        ),
        target="refresh",
    )


@login_required
@require_POST
def statement(request: HttpRequest, pk: int) -> HttpResponse:
    _scope, session = _get(request, pk)
    return _after(
        request,
        pk,
        lambda: actions.update_statement(
            actor=request.user, session=session, statement=request.POST.get("statement")
        ),
        target="refresh",
    )


@login_required
@require_POST
def subgroups(request: HttpRequest, pk: int) -> HttpResponse:
    _scope, session = _get(request, pk)
    return _after(
        request,
        pk,
        lambda: actions.form_subgroups(
            actor=request.user, session=session, count=request.POST.get("count")
        ),
        target="refresh",
    )


@login_required
@require_POST
def advance(request: HttpRequest, pk: int) -> HttpResponse:
    _scope, session = _get(request, pk)
    return _after(
        request,
        pk,
        lambda: actions.advance_session(
            actor=request.user, session=session, from_phase=request.POST.get("from_phase")
        ),
        target="refresh",
    )


@login_required
def session_results(request: HttpRequest, pk: int) -> HttpResponse:
    """The tally of every closed vote, the final one first, with the ties stated."""
    scope, session = _get(request, pk)
    rounds = rounds_so_far(session.method, session.phase)
    tallies = [queries.session_tally(session, r) for r in sorted(rounds, reverse=True)]
    problem = session.problem
    can_plan = (
        scope.can(Perm.MANAGE_IMPROVEMENT)
        and scope.covers(Unit.objects.get(pk=problem.unit_id))
        and problem.is_active
    )
    return render(
        request,
        "improvement/session_results.html",
        {
            "session": session,
            "problem": problem,
            "tallies": tallies,
            "final_round": FINAL_ROUND[session.method],
            "members": queries.members_of(session),
            "can_plan": can_plan,
            "plan_url": reverse("improvement:problem", args=[problem.pk]),
        },
    )
