"""The improvement API under /api/v1/: problems, measures, action plans and live sessions.

The same actions and scope rules as the pages. A session's state (``GET /sessions/{id}``)
carries a ``revision`` that every change raises: a client polls it and redraws when it moved.
Create endpoints are not idempotent yet (an ``Idempotency-Key`` is a later issue).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from manyi.errors import Conflict, InvalidInput, OutOfScope, both_languages
from manyi.improvement import actions, queries
from manyi.improvement import session_actions as sessions
from manyi.improvement.models import ActionItem, Idea, Measure, Problem, Session
from manyi.improvement.phases import FINAL_ROUND, hint, rounds_so_far, vote_round
from manyi.improvement.sources import SourceRef, problem_kinds
from manyi.improvement.tally import Tally
from manyi.org.scopes import Perm, Scope, scope_for

router = Router(tags=["improvement"])

Id = Annotated[int, Field(ge=1, lt=2**63)]


class BothLanguages(Schema):
    zh: str
    en: str


def _scope(request: HttpRequest) -> Scope:
    scope = scope_for(request.user)
    if not queries.can_view(scope):
        raise OutOfScope()
    return scope


# -- schemas -------------------------------------------------------------------------------------


class SourceIn(Schema):
    kind: str = Field(..., max_length=30, description="see GET /problem-sources")
    id: str = Field(..., max_length=64)
    label: str = Field("", max_length=200, description="only for kinds manyi cannot describe")
    url: str = Field("", max_length=300, description="a path inside manyi")


class SourceOut(Schema):
    kind: str
    id: str
    label: str
    url: str


class SourceKindOut(Schema):
    code: str
    label: str
    described: bool = Field(..., description="manyi checks the id and names the row itself")


class ProblemIn(Schema):
    title: str = Field(..., max_length=200)
    description: str = Field("", max_length=5000)
    unit_id: int | None = Field(None, ge=1, lt=2**63, description="default: the source's unit")
    owner_id: int | None = Field(None, ge=1, lt=2**63)
    source: SourceIn | None = None


class ProblemPatch(Schema):
    title: str = Field(..., max_length=200)
    description: str = Field("", max_length=5000)


class OwnerIn(Schema):
    owner_id: int = Field(..., ge=1, lt=2**63)


class NoteIn(Schema):
    note: str = Field("", max_length=5000)


class ReasonIn(Schema):
    reason: str = Field(..., max_length=500)


class ProblemOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    title: str
    description: str
    status: str
    status_label: str
    owner_id: int | None
    owner_name: str | None
    source: SourceOut | None
    created_at: dt.datetime
    closed_at: dt.datetime | None
    closing_note: str


class ProblemPage(Schema):
    items: list[ProblemOut]
    next_cursor: int | None


class MeasureIn(Schema):
    kind: str = Field(..., max_length=20)
    description: str = Field(..., max_length=200)
    target: Decimal
    baseline: Decimal | None = None
    lower_is_better: bool | None = Field(None, description="default: true for complaint counts")


class ResultIn(Schema):
    result: Decimal
    measured_at: dt.datetime | None = None


class MeasureOut(Schema):
    id: int
    problem_id: int
    kind: str
    kind_label: str
    description: str
    baseline: Decimal | None
    target: Decimal
    lower_is_better: bool
    result: Decimal | None
    measured_at: dt.datetime | None
    target_met: bool | None


class StandardIn(Schema):
    id: str = Field(..., max_length=64)
    label: str = Field("", max_length=200)
    url: str = Field("", max_length=300)


class ActionIn(Schema):
    title: str = Field(..., max_length=200)
    owner_id: int = Field(..., ge=1, lt=2**63)
    due_on: dt.date
    description: str = Field("", max_length=5000)
    idea_id: int | None = Field(None, ge=1, lt=2**63)
    standard: StandardIn | None = Field(None, description="the service standard this changes")


class ActionPatch(Schema):
    title: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=5000)
    owner_id: int | None = Field(None, ge=1, lt=2**63)
    due_on: dt.date | None = None
    standard: StandardIn | None = None


class CompleteIn(Schema):
    evidence_text: str = Field("", max_length=5000)


class ActionOut(Schema):
    id: int
    problem_id: int
    problem_title: str
    title: str
    description: str
    owner_id: int
    owner_name: str
    due_on: dt.date
    status: str
    status_label: str
    is_overdue: bool
    idea_id: int | None
    standard: SourceOut | None
    evidence_text: str
    evidence_file: str | None = Field(..., description="a link to the evidence file, if any")
    started_at: dt.datetime | None
    done_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    cancel_reason: str


class SessionSummary(Schema):
    id: int
    method: str
    phase: str
    phase_label: str
    created_at: dt.datetime
    finished_at: dt.datetime | None


class ProblemDetail(ProblemOut):
    actions: list[ActionOut]
    measures: list[MeasureOut]
    sessions: list[SessionSummary]
    closure_blockers: list[BothLanguages] = Field(
        ..., description="what stands between the problem and its closure (empty: it may close)"
    )


class SessionIn(Schema):
    method: str = Field(..., max_length=12, description="ngt or brainstorm")
    top_n: int = Field(3, ge=1, le=10, description="ideas each member ranks")
    statement: str = Field("", max_length=2000, description="default: the problem's words")


class MemberOut(Schema):
    id: int
    name: str
    position: int
    subgroup: int | None
    ideas: int
    waiting: int
    ranked: bool = Field(..., description="has submitted a ranking in the current vote")


class IdeaOut(Schema):
    id: int
    number: int | None
    text: str
    subgroup: int | None
    set_aside: bool
    builds_on_id: int | None


class RankedOut(Schema):
    rank: int
    idea_id: int
    number: int | None
    points: int


class TallyRowOut(Schema):
    place: int
    idea_id: int
    number: int
    text: str
    points: int
    first_places: int
    voters: int
    tied_with: int | None
    broken_by: str = Field(..., description="'firsts', 'earliest' or '' (no tie)")
    note: BothLanguages | None


class TallyOut(Schema):
    round: int
    final: bool
    rankings: int
    rows: list[TallyRowOut]


class SessionOut(Schema):
    id: int
    problem_id: int
    method: str
    phase: str
    phase_label: str
    hint: BothLanguages
    statement: str
    top_n: int
    subgroups: int
    revision: int = Field(..., description="raised by every change: poll and compare")
    facilitator_id: int | None
    is_facilitator: bool
    advance_blocker: BothLanguages | None
    vote_round: int | None
    members: list[MemberOut]
    ideas: list[IdeaOut] = Field(..., description="the ideas on the board (numbered)")
    my_member_id: int | None
    my_ideas: list[IdeaOut]
    my_ranking: list[RankedOut] = Field(..., description="yours in the current vote, if any")
    tallies: list[TallyOut] = Field(..., description="the votes closed so far")


class IdeaIn(Schema):
    text: str = Field(..., max_length=300)
    builds_on_id: int | None = Field(None, ge=1, lt=2**63)


class AsideIn(Schema):
    aside: bool = True


class SubgroupsIn(Schema):
    count: int = Field(..., ge=1, le=10)


class RankingIn(Schema):
    idea_ids: list[Annotated[int, Field(ge=1, lt=2**63)]] = Field(
        ..., max_length=10, description="your top ideas, best first"
    )


class RankingOut(Schema):
    round: int
    entries: list[RankedOut]


class AdvanceIn(Schema):
    from_phase: str = Field(..., max_length=12, description="the phase you are moving on from")


# -- converters --------------------------------------------------------------------------------


def _source_out(problem: Problem) -> dict | None:
    if not problem.source_kind:
        return None
    return {
        "kind": problem.source_kind,
        "id": problem.source_id,
        "label": problem.source_label,
        "url": problem.source_url,
    }


def _problem_out(problem: Problem) -> dict[str, Any]:
    return {
        "id": problem.pk,
        "unit_id": problem.unit_id,
        "unit_name": problem.unit.name,
        "title": problem.title,
        "description": problem.description,
        "status": problem.status,
        "status_label": str(problem.get_status_display()),
        "owner_id": problem.owner_id,
        "owner_name": problem.owner.name if problem.owner_id else None,
        "source": _source_out(problem),
        "created_at": problem.created_at,
        "closed_at": problem.closed_at,
        "closing_note": problem.closing_note,
    }


def _measure_out(measure: Measure) -> dict[str, Any]:
    return {
        "id": measure.pk,
        "problem_id": measure.problem_id,
        "kind": measure.kind,
        "kind_label": str(measure.get_kind_display()),
        "description": measure.description,
        "baseline": measure.baseline,
        "target": measure.target,
        "lower_is_better": measure.lower_is_better,
        "result": measure.result,
        "measured_at": measure.measured_at,
        "target_met": measure.target_met(),
    }


def _action_out(action: ActionItem, today: dt.date) -> dict[str, Any]:
    return {
        "id": action.pk,
        "problem_id": action.problem_id,
        "problem_title": action.problem.title,
        "title": action.title,
        "description": action.description,
        "owner_id": action.owner_id,
        "owner_name": action.owner.name,
        "due_on": action.due_on,
        "status": action.status,
        "status_label": str(action.get_status_display()),
        "is_overdue": action.is_overdue(today),
        "idea_id": action.idea_id,
        "standard": {
            "kind": "standard",
            "id": action.standard_id,
            "label": action.standard_label,
            "url": action.standard_url,
        }
        if action.standard_id
        else None,
        "evidence_text": action.evidence_text,
        "evidence_file": f"/improvement/actions/{action.pk}/evidence/"
        if action.evidence_file
        else None,
        "started_at": action.started_at,
        "done_at": action.done_at,
        "cancelled_at": action.cancelled_at,
        "cancel_reason": action.cancel_reason,
    }


def _problem_detail(scope: Scope, pk: int) -> dict[str, Any]:
    problem = queries.get_problem(scope, pk)
    today = queries.clock_today()
    return {
        **_problem_out(problem),
        "actions": [_action_out(a, today) for a in queries.problem_actions(problem)],
        "measures": [_measure_out(m) for m in problem.measures.all()],
        "sessions": [
            {
                "id": s.pk,
                "method": s.method,
                "phase": s.phase,
                "phase_label": str(s.get_phase_display()),
                "created_at": s.created_at,
                "finished_at": s.finished_at,
            }
            for s in problem.sessions.all()
        ],
        "closure_blockers": [both_languages(b) for b in actions.closure_blockers(problem)]
        if problem.is_active
        else [],
    }


def _idea_out(idea: Idea) -> dict[str, Any]:
    return {
        "id": idea.pk,
        "number": idea.number,
        "text": idea.text,
        "subgroup": idea.subgroup,
        "set_aside": idea.set_aside,
        "builds_on_id": idea.builds_on_id,
    }


def _tally_out(tally: Tally, final_round: int) -> dict[str, Any]:
    return {
        "round": tally.round,
        "final": tally.round == final_round,
        "rankings": tally.rankings,
        "rows": [
            {
                "place": r.place,
                "idea_id": r.idea_id,
                "number": r.number,
                "text": r.text,
                "points": r.points,
                "first_places": r.firsts,
                "voters": r.voters,
                "tied_with": r.tied_with,
                "broken_by": r.broken_by,
                "note": both_languages(r.note) if r.note else None,
            }
            for r in tally.rows
        ],
    }


def _session_out(request: HttpRequest, scope: Scope, session: Session) -> dict[str, Any]:
    members = queries.members_of(session)
    me = next((m for m in members if m.user_id == request.user.pk), None)
    round_ = vote_round(session.phase)
    voted = queries.voters(session, round_) if round_ else set()
    facilitates = session.facilitator_id == request.user.pk or (
        scope.can(Perm.MANAGE_IMPROVEMENT) and scope.covers(session.unit)
    )
    blocker = sessions.advance_blocker(session) if facilitates and not session.is_finished else None
    final = FINAL_ROUND[session.method]
    return {
        "id": session.pk,
        "problem_id": session.problem_id,
        "method": session.method,
        "phase": session.phase,
        "phase_label": str(session.get_phase_display()),
        "hint": both_languages(hint(session.method, session.phase)),
        "statement": session.statement,
        "top_n": session.top_n,
        "subgroups": session.subgroups,
        "revision": session.revision,
        "facilitator_id": session.facilitator_id,
        "is_facilitator": facilitates,
        "advance_blocker": both_languages(blocker) if blocker else None,
        "vote_round": round_,
        "members": [
            {
                "id": m.pk,
                "name": m.name,
                "position": m.position,
                "subgroup": m.subgroup,
                "ideas": m.idea_count,
                "waiting": m.waiting,
                "ranked": m.pk in voted,
            }
            for m in members
        ],
        "ideas": [_idea_out(i) for i in queries.board_ideas(session)],
        "my_member_id": me.pk if me else None,
        "my_ideas": [_idea_out(i) for i in queries.own_ideas(me)] if me else [],
        "my_ranking": [
            {"rank": e.rank, "idea_id": e.idea_id, "number": e.idea.number, "points": e.points}
            for e in queries.my_ranking(me, round_)
        ]
        if round_
        else [],
        "tallies": [
            _tally_out(queries.session_tally(session, r), final)
            for r in rounds_so_far(session.method, session.phase)
        ],
    }


def _session(request: HttpRequest, pk: int) -> tuple[Scope, Session]:
    scope = _scope(request)
    session = queries.get_session(scope, pk)
    return scope, session


def _session_response(request: HttpRequest, pk: int) -> dict[str, Any]:
    scope, session = _session(request, pk)
    return _session_out(request, scope, session)


def _source_ref(source: SourceIn | None) -> SourceRef | None:
    if source is None:
        return None
    return SourceRef(source.kind, source.id, source.label, source.url)


def _standard_ref(standard: StandardIn | None) -> SourceRef | None:
    if standard is None:
        return None
    return SourceRef("standard", standard.id, standard.label, standard.url)


# -- problems ------------------------------------------------------------------------------------


@router.get("/problem-sources", response=list[SourceKindOut], summary="Kinds of problem source")
def list_sources(request: HttpRequest):
    _scope(request)
    return [
        {"code": k.code, "label": str(k.label), "described": k.describe is not None}
        for k in problem_kinds()
    ]


@router.get("/problems", response=ProblemPage, summary="Problems in your units, newest first")
def list_problems(
    request: HttpRequest,
    status: str = Query(
        "",
        max_length=12,
        description="open, in_progress, closed, dropped, all; default: open and in progress",
    ),
    q: str = Query("", max_length=50),
    mine: bool = False,
    after: int | None = Query(None, ge=1, lt=2**63),
    size: int = Query(30, ge=1, le=200),
):
    scope = _scope(request)
    filters = queries.ProblemFilters.from_params(
        {"status": status, "q": q, "mine": "1" if mine else ""}
    )
    page = queries.problem_page(scope, filters, after=after, size=size)
    return {"items": [_problem_out(p) for p in page.items], "next_cursor": page.next_cursor}


@router.post("/problems", response={201: ProblemDetail}, summary="Raise a problem")
def create_problem(request: HttpRequest, body: ProblemIn):
    problem = actions.raise_problem(
        actor=request.user,
        title=body.title,
        description=body.description,
        unit=body.unit_id,
        source=_source_ref(body.source),
        owner=body.owner_id,
    )
    return Status(201, _problem_detail(_scope(request), problem.pk))


@router.get("/problems/{problem_id}", response=ProblemDetail)
def get_problem(request: HttpRequest, problem_id: Id):
    return _problem_detail(_scope(request), problem_id)


@router.patch("/problems/{problem_id}", response=ProblemDetail, summary="Reword a problem")
def patch_problem(request: HttpRequest, problem_id: Id, body: ProblemPatch):
    scope = _scope(request)
    problem = queries.get_problem(scope, problem_id)
    actions.update_problem(actor=request.user, problem=problem, **body.dict())
    return _problem_detail(scope, problem_id)


@router.post("/problems/{problem_id}/owner", response=ProblemDetail)
def set_owner(request: HttpRequest, problem_id: Id, body: OwnerIn):
    scope = _scope(request)
    problem = queries.get_problem(scope, problem_id)
    actions.assign_problem_owner(actor=request.user, problem=problem, owner=body.owner_id)
    return _problem_detail(scope, problem_id)


@router.post(
    "/problems/{problem_id}/close",
    response=ProblemDetail,
    summary="Close a solved problem (all actions done, a measured result attached)",
)
def close(request: HttpRequest, problem_id: Id, body: NoteIn):
    scope = _scope(request)
    actions.close_problem(
        actor=request.user, problem=queries.get_problem(scope, problem_id), note=body.note
    )
    return _problem_detail(scope, problem_id)


@router.post("/problems/{problem_id}/reopen", response=ProblemDetail)
def reopen(request: HttpRequest, problem_id: Id, body: ReasonIn):
    scope = _scope(request)
    actions.reopen_problem(
        actor=request.user, problem=queries.get_problem(scope, problem_id), reason=body.reason
    )
    return _problem_detail(scope, problem_id)


@router.post("/problems/{problem_id}/drop", response=ProblemDetail)
def drop(request: HttpRequest, problem_id: Id, body: ReasonIn):
    scope = _scope(request)
    actions.drop_problem(
        actor=request.user, problem=queries.get_problem(scope, problem_id), reason=body.reason
    )
    return _problem_detail(scope, problem_id)


# -- measures ------------------------------------------------------------------------------------


@router.post("/problems/{problem_id}/measures", response={201: MeasureOut})
def add_measure(request: HttpRequest, problem_id: Id, body: MeasureIn):
    scope = _scope(request)
    measure = actions.add_measure(
        actor=request.user, problem=queries.get_problem(scope, problem_id), **body.dict()
    )
    return Status(201, _measure_out(measure))


@router.post("/measures/{measure_id}/result", response=MeasureOut, summary="Record the result")
def measure_result(request: HttpRequest, measure_id: Id, body: ResultIn):
    _scope(request)
    measure = actions.record_measure_result(
        actor=request.user, measure=measure_id, result=body.result, measured_at=body.measured_at
    )
    return _measure_out(measure)


# -- actions -------------------------------------------------------------------------------------


def _action_response(scope: Scope, pk: int) -> dict[str, Any]:
    return _action_out(queries.get_action(scope, pk), queries.clock_today())


@router.post("/problems/{problem_id}/actions", response={201: ActionOut}, summary="Plan an action")
def add_action(request: HttpRequest, problem_id: Id, body: ActionIn):
    scope = _scope(request)
    action = actions.add_action(
        actor=request.user,
        problem=queries.get_problem(scope, problem_id),
        title=body.title,
        owner=body.owner_id,
        due_on=body.due_on,
        description=body.description,
        idea=body.idea_id,
        standard=_standard_ref(body.standard),
    )
    return Status(201, _action_response(scope, action.pk))


@router.get(
    "/actions",
    response=list[ActionOut],
    summary="Your actions: overdue first, then by due date, then recently finished",
)
def list_actions(request: HttpRequest, everyone: bool = False):
    scope = _scope(request)
    board = queries.action_board(scope, everyone=everyone and scope.can(Perm.MANAGE_IMPROVEMENT))
    return [_action_out(a, board.today) for a in [*board.overdue, *board.pending, *board.finished]]


@router.get("/actions/{action_id}", response=ActionOut)
def get_action(request: HttpRequest, action_id: Id):
    return _action_response(_scope(request), action_id)


@router.patch(
    "/actions/{action_id}",
    response=ActionOut,
    summary="Change a pending action (title, owner, due date, standard)",
)
def patch_action(request: HttpRequest, action_id: Id, body: ActionPatch):
    scope = _scope(request)
    data = body.dict(exclude_unset=True)
    changes: dict[str, Any] = {}
    for field in ("title", "description", "due_on"):
        if field in data:
            if data[field] is None:
                raise InvalidInput(_("This field is required."), field=field)
            changes[field] = data[field]
    if "owner_id" in data:
        if data["owner_id"] is None:
            raise InvalidInput(_("This field is required."), field="owner_id")
        changes["owner"] = data["owner_id"]
    if "standard" in data:
        changes["standard"] = _standard_ref(body.standard)
    actions.update_action(actor=request.user, action=action_id, **changes)
    return _action_response(scope, action_id)


@router.post("/actions/{action_id}/start", response=ActionOut)
def start_action(request: HttpRequest, action_id: Id):
    scope = _scope(request)
    actions.start_action(actor=request.user, action=action_id)
    return _action_response(scope, action_id)


@router.post(
    "/actions/{action_id}/evidence",
    response=ActionOut,
    summary="Attach an evidence file (photo, PDF, Word, Excel; at most 10 MB)",
)
def attach_evidence(request: HttpRequest, action_id: Id, file: File[UploadedFile]):
    scope = _scope(request)
    if file.size is not None and file.size > actions.MAX_EVIDENCE_BYTES:
        raise InvalidInput(_("The file is empty or larger than 10 MB."), field="file")
    data = file.read(actions.MAX_EVIDENCE_BYTES + 1)
    actions.attach_evidence(actor=request.user, action=action_id, name=file.name or "", data=data)
    return _action_response(scope, action_id)


@router.post(
    "/actions/{action_id}/complete",
    response=ActionOut,
    summary="Mark done, with evidence (a note, or a file attached before)",
)
def complete_action(request: HttpRequest, action_id: Id, body: CompleteIn):
    scope = _scope(request)
    actions.complete_action(actor=request.user, action=action_id, evidence_text=body.evidence_text)
    return _action_response(scope, action_id)


@router.post("/actions/{action_id}/cancel", response=ActionOut)
def cancel_action(request: HttpRequest, action_id: Id, body: ReasonIn):
    scope = _scope(request)
    actions.cancel_action(actor=request.user, action=action_id, reason=body.reason)
    return _action_response(scope, action_id)


@router.post("/actions/{action_id}/reopen", response=ActionOut)
def reopen_action(request: HttpRequest, action_id: Id):
    scope = _scope(request)
    actions.reopen_action(actor=request.user, action=action_id)
    return _action_response(scope, action_id)


# -- sessions ------------------------------------------------------------------------------------


@router.post(
    "/problems/{problem_id}/sessions",
    response={201: SessionOut},
    summary="Start a problem-solving session (you facilitate)",
)
def start_session(request: HttpRequest, problem_id: Id, body: SessionIn):
    scope = _scope(request)
    session = sessions.start_session(
        actor=request.user, problem=queries.get_problem(scope, problem_id), **body.dict()
    )
    return Status(201, _session_response(request, session.pk))


@router.get("/sessions/{session_id}", response=SessionOut, summary="A session's live state")
def get_session(request: HttpRequest, session_id: Id):
    return _session_response(request, session_id)


@router.post("/sessions/{session_id}/join", response=SessionOut)
def join(request: HttpRequest, session_id: Id):
    sessions.join_session(actor=request.user, session=session_id)
    return _session_response(request, session_id)


@router.post("/sessions/{session_id}/ideas", response={201: IdeaOut}, summary="Submit an idea")
def add_idea(request: HttpRequest, session_id: Id, body: IdeaIn):
    _scope(request)
    idea = sessions.add_idea(
        actor=request.user, session=session_id, text=body.text, builds_on=body.builds_on_id
    )
    return Status(201, _idea_out(idea))


@router.post(
    "/sessions/{session_id}/record-next",
    response=SessionOut,
    summary="Round robin: record the next member's next idea",
)
def record_next(request: HttpRequest, session_id: Id):
    _scope(request)
    sessions.record_next_idea(actor=request.user, session=session_id)
    return _session_response(request, session_id)


@router.post("/sessions/{session_id}/record-all", response=SessionOut)
def record_all(request: HttpRequest, session_id: Id):
    _scope(request)
    sessions.record_all_ideas(actor=request.user, session=session_id)
    return _session_response(request, session_id)


@router.post("/sessions/{session_id}/ideas/{idea_id}/aside", response=IdeaOut)
def set_aside(request: HttpRequest, session_id: Id, idea_id: Id, body: AsideIn):
    _scope(request)
    idea = sessions.set_idea_aside(
        actor=request.user, session=session_id, idea=idea_id, aside=body.aside
    )
    return _idea_out(idea)


@router.post("/sessions/{session_id}/subgroups", response=SessionOut)
def subgroups(request: HttpRequest, session_id: Id, body: SubgroupsIn):
    _scope(request)
    sessions.form_subgroups(actor=request.user, session=session_id, count=body.count)
    return _session_response(request, session_id)


@router.post(
    "/sessions/{session_id}/rankings",
    response={201: RankingOut},
    summary="Submit your ranking in the current vote (best first)",
)
def submit_ranking(request: HttpRequest, session_id: Id, body: RankingIn):
    _scope(request)
    ranking = sessions.submit_ranking(
        actor=request.user, session=session_id, idea_ids=body.idea_ids
    )
    entries = ranking.entries.select_related("idea").order_by("rank")
    return Status(
        201,
        {
            "round": ranking.round,
            "entries": [
                {"rank": e.rank, "idea_id": e.idea_id, "number": e.idea.number, "points": e.points}
                for e in entries
            ],
        },
    )


@router.post(
    "/sessions/{session_id}/advance",
    response=SessionOut,
    summary="Move the session to its next phase (facilitator)",
)
def advance(request: HttpRequest, session_id: Id, body: AdvanceIn):
    _scope(request)
    sessions.advance_session(actor=request.user, session=session_id, from_phase=body.from_phase)
    return _session_response(request, session_id)


@router.get(
    "/sessions/{session_id}/tally",
    response=TallyOut,
    summary="The Borda count of a closed vote (default: the latest)",
)
def tally(request: HttpRequest, session_id: Id, round: int | None = Query(None, ge=1, le=2)):
    _scope_row, session = _session(request, session_id)
    closed = rounds_so_far(session.method, session.phase)
    if not closed:
        raise Conflict(_("No vote has closed yet."))
    chosen = round if round is not None else closed[-1]
    if chosen not in closed:
        raise Conflict(_("The tally is shown when the vote has closed."))
    return _tally_out(queries.session_tally(session, chosen), FINAL_ROUND[session.method])
