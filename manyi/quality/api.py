"""The quality API under /api/v1/: the same actions and scopes as the pages.

* standards: list, create, read (with versions), update, approve (the four tests), retire;
* the ranking exercise: read and replace (``/priorities``, ``?unit=`` for an outlet);
* audit templates (generate), audit plans (create), the caller's due audits;
* audits: start, read, save answers and notes, submit; findings to action items;
* mystery shopping: programmes (read, advance) and — for shoppers only — their own visits
  (``/shopper-visits``: read, save, submit). A shopper reaches nothing else.

Answers are keyed by item code (``s<standard id>`` for audits) with the values of
``manyi/instruments/answers.py``: ``"met"``, ``"partly"``, ``"not_met"`` or ``"na"``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from manyi.org.scopes import scope_for
from manyi.pagination import keyset_page
from manyi.quality import queries
from manyi.quality.access import read_scope
from manyi.quality.actions import audits, mystery, standards
from manyi.quality.models import Audit, Standard, Visit

# A record's id as the database can hold it: a larger number is refused (422), not a 500.
Id = Annotated[int, Field(ge=1, lt=2**63)]

router = Router(tags=["quality"])


# -- schemas --------------------------------------------------------------------------------------


class StandardVersionOut(Schema):
    number: int
    area: str
    statement: str
    criterion: str
    criterion_value: float | None
    criterion_unit: str
    change_note: str
    checks: dict[str, bool]
    created_at: dt.datetime
    approved_at: dt.datetime | None


class StandardOut(Schema):
    id: int
    code: str
    industry: str = Field(..., description="empty: every industry")
    area: str
    side: str = Field(..., description="procedural or personal (follows from the area)")
    statement: str
    criterion: str
    criterion_value: float | None
    criterion_unit: str
    observable: bool = Field(..., description="false: no measurable criterion (003 P-040)")
    owner_id: int | None
    effective_on: dt.date | None
    review_on: dt.date | None
    status: str = Field(..., description="draft, approved or retired")
    version: int


class StandardDetail(StandardOut):
    versions: list[StandardVersionOut]


class StandardIn(Schema):
    code: str = Field("", max_length=20)
    industry: str = Field("", max_length=20)
    area: str = Field(..., max_length=20)
    statement: str = Field(..., max_length=300)
    criterion: str = Field("", max_length=300)
    criterion_value: float | None = None
    criterion_unit: str = Field("", max_length=20)
    owner_id: Id | None = None
    effective_on: dt.date | None = None
    review_on: dt.date | None = None
    source: str = Field("", max_length=100)


class StandardPatch(Schema):
    code: str | None = Field(None, max_length=20)
    industry: str | None = Field(None, max_length=20)
    area: str | None = Field(None, max_length=20)
    statement: str | None = Field(None, max_length=300)
    criterion: str | None = Field(None, max_length=300)
    criterion_value: float | None = None
    criterion_unit: str | None = Field(None, max_length=20)
    owner_id: int | None = None
    effective_on: dt.date | None = None
    review_on: dt.date | None = None
    change_note: str = Field("", max_length=300)


class ApproveIn(Schema):
    checks: list[str] = Field(..., description="clear, concise, observable, realistic")


class PrioritiesIn(Schema):
    unit_id: Id | None = Field(None, description="an outlet; empty: the company's ranking")
    procedural_share: int = Field(..., description="0–100; the personal side gets the rest")
    procedural: list[Id] = Field(default_factory=list, description="standard ids, rank 1 first")
    personal: list[Id] = Field(default_factory=list)


class PrioritiesOut(Schema):
    unit_id: int | None
    procedural_share: int
    personal_share: int
    procedural: list[int]
    personal: list[int]


class TemplateIn(Schema):
    name: str = Field(..., max_length=100)
    standards: list[Id]
    walkaround: bool = False
    unit_id: Id | None = Field(None, description="weigh by this outlet's ranking")


class TemplateOut(Schema):
    id: int
    name: str
    walkaround: bool
    instrument_id: int | None
    active: bool


class PlanIn(Schema):
    name: str = Field(..., max_length=100)
    template_id: Id
    outlet_ids: list[Id]
    every: int
    period: str = Field(..., description="week or month")
    starts_on: dt.date
    ends_on: dt.date | None = None
    auditor_id: Id | None = None


class PlanOut(Schema):
    id: int
    name: str
    template_id: int
    outlet_ids: list[int]
    every: int
    period: str
    starts_on: dt.date
    ends_on: dt.date | None
    auditor_id: int | None
    active: bool


class DueOut(Schema):
    plan_id: int
    outlet_id: int
    outlet: str
    due_on: dt.date
    last_audit_on: dt.date | None
    overdue: bool
    audit_in_progress_id: int | None


class AuditStartIn(Schema):
    outlet_id: Id
    template_id: Id | None = None
    plan_id: Id | None = None


class AnswersIn(Schema):
    answers: dict[str, Any] | None = Field(None, description="{item code: verdict}; null removes")
    notes: dict[str, str | None] | None = Field(None, description="{item code: note}")
    note: str | None = Field(None, max_length=2000)


class FindingOut(Schema):
    id: int
    uid: str = Field(..., description="stable reference (link improvement problems to it)")
    standard_id: int
    kind: str = Field(..., description="gap or recognition")
    verdict: str
    note: str
    status: str
    reference: str


class AuditOut(Schema):
    id: int
    outlet_id: int
    template_id: int
    plan_id: int | None
    walkaround: bool
    auditor_id: int
    status: str
    answers: dict[str, Any]
    notes: dict[str, str]
    note: str
    index: float | None
    band: str
    day: dt.date | None
    started_at: dt.datetime
    submitted_at: dt.datetime | None


class AuditDetail(AuditOut):
    sides: dict[str, float]
    findings: list[FindingOut]


class AuditPage(Schema):
    items: list[AuditOut]
    next_cursor: int | None


class ActionIn(Schema):
    description: str = Field(..., max_length=300)
    owner_id: Id
    due_on: dt.date


class ActionOut(Schema):
    id: int
    finding_id: int | None
    program_id: int | None
    outlet_id: int | None
    description: str
    owner_id: int
    due_on: dt.date
    status: str


class DoneIn(Schema):
    note: str = Field("", max_length=300)


class ProgramOut(Schema):
    id: int
    name: str
    stage: str
    objectives: str
    learn_areas: list[str]
    checklist_version_id: int | None
    blocked_by: str | None = Field(..., description="why it cannot move on yet (null: it can)")


class AdvanceIn(Schema):
    stage: str | None = Field(None, description="the next stage (optional check)")


class ReportOut(Schema):
    factors: list[dict[str, str]]
    targets: list[dict[str, Any]]
    own: dict[str, Any]
    competitors: dict[str, Any]


class VisitOut(Schema):
    id: int
    outlet: str
    address: str
    scenario: str
    script: str
    briefing: str
    planned_on: dt.date
    planned_window: str
    status: str
    visited_at: dt.datetime | None
    duration_minutes: int | None
    narrative: str
    answers: dict[str, Any]
    checklist_version_id: int
    index: float | None


class VisitIn(Schema):
    visited_at: dt.datetime | None = None
    duration_minutes: int | None = None
    narrative: str | None = Field(None, max_length=4000)
    answers: dict[str, Any] | None = None


# -- converters -----------------------------------------------------------------------------------


def _standard(s: Standard) -> dict[str, Any]:
    return {
        "id": s.pk,
        "code": s.code,
        "industry": s.industry,
        "area": s.area,
        "side": s.side,
        "statement": s.statement,
        "criterion": s.criterion,
        "criterion_value": float(s.criterion_value) if s.criterion_value is not None else None,
        "criterion_unit": s.criterion_unit,
        "observable": s.is_observable,
        "owner_id": s.owner_id,
        "effective_on": s.effective_on,
        "review_on": s.review_on,
        "status": s.status,
        "version": s.version,
    }


def _standard_detail(s: Standard) -> dict[str, Any]:
    return {
        **_standard(s),
        "versions": [
            {
                "number": v.number,
                "area": v.area,
                "statement": v.statement,
                "criterion": v.criterion,
                "criterion_value": float(v.criterion_value)
                if v.criterion_value is not None
                else None,
                "criterion_unit": v.criterion_unit,
                "change_note": v.change_note,
                "checks": v.checks or {},
                "created_at": v.created_at,
                "approved_at": v.approved_at,
            }
            for v in s.versions.order_by("-number")
        ],
    }


def _audit(a: Audit) -> dict[str, Any]:
    return {
        "id": a.pk,
        "outlet_id": a.outlet_id,
        "template_id": a.template_id,
        "plan_id": a.plan_id,
        "walkaround": a.is_walkaround,
        "auditor_id": a.auditor_id,
        "status": a.status,
        "answers": a.answers or {},
        "notes": a.notes or {},
        "note": a.note,
        "index": a.index,
        "band": a.band,
        "day": a.day,
        "started_at": a.started_at,
        "submitted_at": a.submitted_at,
    }


def _audit_detail(a: Audit) -> dict[str, Any]:
    return {
        **_audit(a),
        "sides": {r.factor.code: r.score for r in a.factor_scores.select_related("factor")},
        "findings": [
            {
                "id": f.pk,
                "uid": str(f.uid),
                "standard_id": f.standard_id,
                "kind": f.kind,
                "verdict": f.verdict,
                "note": f.note,
                "status": f.status,
                "reference": f.reference,
            }
            for f in a.findings.order_by("pk")
        ],
    }


def _action(item) -> dict[str, Any]:
    return {
        f: getattr(item, f)
        for f in (
            "id",
            "finding_id",
            "program_id",
            "outlet_id",
            "description",
            "owner_id",
            "due_on",
            "status",
        )
    }


def _program(p) -> dict[str, Any]:
    reason = mystery.blocker(p)
    return {
        "id": p.pk,
        "name": p.name,
        "stage": p.stage,
        "objectives": p.objectives,
        "learn_areas": list(p.learn_areas or []),
        "checklist_version_id": p.checklist_id,
        "blocked_by": str(reason) if reason is not None else None,
    }


def _visit(v: Visit) -> dict[str, Any]:
    place = v.target.outlet or v.target.competitor
    return {
        "id": v.pk,
        "outlet": place.name,
        "address": place.address,
        "scenario": v.scenario.title,
        "script": v.scenario.script,
        "briefing": v.program.briefing,
        "planned_on": v.planned_on,
        "planned_window": v.planned_window,
        "status": v.status,
        "visited_at": v.visited_at,
        "duration_minutes": v.duration_minutes,
        "narrative": v.narrative,
        "answers": v.answers or {},
        "checklist_version_id": v.version_id,
        "index": v.index,
    }


# -- standards ------------------------------------------------------------------------------------


class StandardFilters(Schema):
    status: str = ""
    side: str = ""
    area: str = ""
    industry: str | None = None
    q: str = Field("", max_length=100)


@router.get("/standards", response=list[StandardOut])
def list_standards(request: HttpRequest, filters: Query[StandardFilters]):
    """The company's standards (filter by status, side, area, industry, words)."""
    scope = scope_for(request.user)
    rows = queries.standards_for(scope, **filters.dict())
    return [_standard(s) for s in rows[:1000]]


def _standard_data(payload: Schema) -> dict[str, Any]:
    data = payload.dict(exclude_unset=True)
    data.pop("change_note", None)
    if "owner_id" in data:
        data["owner"] = data.pop("owner_id")
    return data


@router.post("/standards", response={201: StandardDetail})
def create_standard(request: HttpRequest, payload: StandardIn):
    """A new standard (a draft, version 1)."""
    data = payload.dict()
    data["owner"] = data.pop("owner_id")
    standard = standards.create_standard(actor=request.user, data=data)
    return Status(201, _standard_detail(standard))


@router.get("/standards/{pk}", response=StandardDetail)
def get_standard(request: HttpRequest, pk: int):
    return _standard_detail(queries.get_standard(scope_for(request.user), pk))


@router.patch("/standards/{pk}", response=StandardDetail)
def update_standard(request: HttpRequest, pk: int, payload: StandardPatch):
    """Change a standard; new content on an approved one makes the next version (a draft)."""
    standard = standards.update_standard(
        actor=request.user,
        standard=pk,
        data=_standard_data(payload),
        change_note=payload.change_note,
    )
    return _standard_detail(standard)


@router.post("/standards/{pk}/approve", response=StandardDetail)
def approve_standard(request: HttpRequest, pk: int, payload: ApproveIn):
    """Approve the draft version: all four tests ticked, a measurable criterion present."""
    return _standard_detail(
        standards.approve_standard(actor=request.user, standard=pk, checks=payload.checks)
    )


@router.post("/standards/{pk}/retire", response=StandardDetail)
def retire_standard(request: HttpRequest, pk: int):
    return _standard_detail(standards.retire_standard(actor=request.user, standard=pk))


def _priorities_out(scope, unit) -> dict[str, Any]:
    ranking = queries.ranking(scope, unit)
    return {
        "unit_id": unit.pk if unit else None,
        "procedural_share": ranking.procedural_share,
        "personal_share": 100 - ranking.procedural_share,
        **{
            side: [s.pk for s, rank in rows if rank is not None]
            for side, rows in ranking.sides.items()
        },
    }


@router.get("/priorities", response=PrioritiesOut)
def get_priorities(request: HttpRequest, unit_id: int | None = None):
    """The ranking exercise of the company, or of an outlet (``unit_id``)."""
    from manyi.quality.access import company_outlet

    scope = read_scope(request.user)
    unit = company_outlet(scope, unit_id, field="unit_id") if unit_id else None
    return _priorities_out(scope, unit)


@router.put("/priorities", response=PrioritiesOut)
def put_priorities(request: HttpRequest, payload: PrioritiesIn):
    """Replace the split and the ranks (standards left out are unranked)."""
    exercise = standards.set_priorities(
        actor=request.user,
        unit=payload.unit_id,
        procedural_share=payload.procedural_share,
        ranks={"procedural": payload.procedural, "personal": payload.personal},
    )
    return _priorities_out(scope_for(request.user), exercise.unit)


# -- templates and plans --------------------------------------------------------------------------


@router.get("/audit-templates", response=list[TemplateOut])
def list_templates(request: HttpRequest):
    return [
        {
            "id": t.pk,
            "name": t.name,
            "walkaround": t.is_walkaround,
            "instrument_id": t.instrument_id,
            "active": t.is_active,
        }
        for t in queries.templates_for(scope_for(request.user))
    ]


@router.post("/audit-templates", response={201: TemplateOut})
def create_template(request: HttpRequest, payload: TemplateIn):
    """Generate an audit form from approved standards, weighted by the ranking."""
    t = audits.generate_template(
        actor=request.user,
        name=payload.name,
        standards=payload.standards,
        walkaround=payload.walkaround,
        unit=payload.unit_id,
    )
    return Status(
        201,
        {
            "id": t.pk,
            "name": t.name,
            "walkaround": t.is_walkaround,
            "instrument_id": t.instrument_id,
            "active": t.is_active,
        },
    )


def _plan(p) -> dict[str, Any]:
    return {
        "id": p.pk,
        "name": p.name,
        "template_id": p.template_id,
        "outlet_ids": [o.pk for o in p.outlets.all()],
        "every": p.every,
        "period": p.period,
        "starts_on": p.starts_on,
        "ends_on": p.ends_on,
        "auditor_id": p.auditor_id,
        "active": p.is_active,
    }


@router.get("/audit-plans", response=list[PlanOut])
def list_plans(request: HttpRequest):
    return [_plan(p) for p in queries.plans_for(scope_for(request.user))]


@router.post("/audit-plans", response={201: PlanOut})
def create_plan(request: HttpRequest, payload: PlanIn):
    plan = audits.create_plan(
        actor=request.user,
        name=payload.name,
        template=payload.template_id,
        outlets=payload.outlet_ids,
        every=payload.every,
        period=payload.period,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        auditor=payload.auditor_id,
    )
    return Status(201, _plan(plan))


@router.get("/audit-plans/due", response=list[DueOut])
def due(request: HttpRequest, horizon: int = 14):
    """The caller's audits due within ``horizon`` days (overdue ones included)."""
    rows = queries.due_audits(scope_for(request.user), horizon=max(0, min(horizon, 366)))
    return [
        {
            "plan_id": d.plan.pk,
            "outlet_id": d.outlet.pk,
            "outlet": d.outlet.name,
            "due_on": d.due_on,
            "last_audit_on": d.last_day,
            "overdue": d.overdue,
            "audit_in_progress_id": d.draft_id,
        }
        for d in rows
    ]


# -- audits ---------------------------------------------------------------------------------------


@router.get("/audits", response=AuditPage)
def list_audits(
    request: HttpRequest, outlet_id: int | None = None, after: int | None = None, size: int = 50
):
    """Submitted audits of the outlets in view, newest first (keyset: ``after`` = cursor)."""
    qs = queries.audits_for(scope_for(request.user))
    if outlet_id:
        qs = qs.filter(outlet_id=outlet_id)
    page = keyset_page(qs, after=after, size=size)
    return {"items": [_audit(a) for a in page.items], "next_cursor": page.next_cursor}


@router.post("/audits", response={201: AuditOut, 200: AuditOut})
def start_audit(request: HttpRequest, payload: AuditStartIn):
    """Start an audit (or get back the caller's audit in progress of that outlet and form)."""
    audit = audits.start_audit(
        actor=request.user,
        outlet=payload.outlet_id,
        template=payload.template_id,
        plan=payload.plan_id,
    )
    return Status(200 if getattr(audit, "resumed", False) else 201, _audit(audit))


@router.get("/audits/{pk}", response=AuditDetail)
def get_audit(request: HttpRequest, pk: int):
    return _audit_detail(queries.get_audit(scope_for(request.user), pk))


@router.put("/audits/{pk}/answers", response=AuditOut)
def save_answers(request: HttpRequest, pk: int, payload: AnswersIn):
    """Save answers and notes of the caller's audit in progress (any subset)."""
    audit = audits.save_audit(
        actor=request.user,
        audit=pk,
        answers=payload.answers,
        notes=payload.notes,
        note=payload.note,
    )
    return _audit(audit)


@router.post("/audits/{pk}/submit", response=AuditDetail)
def submit_audit(request: HttpRequest, pk: int, payload: AnswersIn):
    """Submit: every standard answered; scores, findings (gaps and good practice) recorded."""
    audit = audits.submit_audit(
        actor=request.user,
        audit=pk,
        answers=payload.answers,
        notes=payload.notes,
        note=payload.note,
    )
    return _audit_detail(audit)


@router.post("/audit-findings/{pk}/actions", response={201: ActionOut})
def create_action(request: HttpRequest, pk: int, payload: ActionIn):
    """Turn a gap into an action item with an owner and a due date."""
    item = audits.create_finding_action(
        actor=request.user,
        finding=pk,
        description=payload.description,
        owner=payload.owner_id,
        due_on=payload.due_on,
    )
    return Status(201, _action(item))


@router.get("/action-items", response=list[ActionOut])
def list_actions(request: HttpRequest, mine: bool = True, status: str = "open"):
    return [
        _action(i) for i in queries.action_items(scope_for(request.user), mine=mine, status=status)
    ]


@router.post("/action-items/{pk}/done", response=ActionOut)
def action_done(request: HttpRequest, pk: int, payload: DoneIn):
    return _action(audits.complete_action(actor=request.user, item=pk, note=payload.note))


# -- mystery shopping -----------------------------------------------------------------------------


@router.get("/mystery-programs", response=list[ProgramOut])
def list_programs(request: HttpRequest):
    return [_program(p) for p in queries.programs_for(scope_for(request.user))]


class ProgramIn(Schema):
    name: str = Field(..., max_length=100)


class ObjectivesIn(Schema):
    objectives: str = Field(..., max_length=2000)
    learn_areas: list[str] = Field(
        ..., description="of reception, attitude, facilities, key_services, competitors"
    )
    focus: str = Field("", max_length=2000)


class TargetIn(Schema):
    outlet_id: Id | None = None
    competitor_id: Id | None = None


class CompetitorIn(Schema):
    name: str = Field(..., max_length=100)
    brand: str = Field("", max_length=100)
    industry: str = Field("", max_length=20)
    address: str = Field("", max_length=200)


class ScenarioIn(Schema):
    title: str = Field(..., max_length=100)
    script: str = Field(..., max_length=4000)


class ChecklistIn(Schema):
    version_id: Id | None = Field(None, description="empty: the default checklist")


class ShopperIn(Schema):
    shopper_id: Id


class ScheduleIn(Schema):
    target_id: Id
    shopper_id: Id
    scenario_id: Id
    planned_on: dt.date
    planned_window: str = Field("", max_length=40)


class TextIn(Schema):
    text: str = Field(..., max_length=4000)


class CreatedOut(Schema):
    id: int


@router.post("/competitor-outlets", response={201: CreatedOut})
def create_competitor(request: HttpRequest, payload: CompetitorIn):
    """A competitor's outlet shoppers may visit (no staff, no customers)."""
    return Status(201, {"id": mystery.create_competitor(actor=request.user, **payload.dict()).pk})


@router.post("/mystery-programs", response={201: ProgramOut})
def create_program(request: HttpRequest, payload: ProgramIn):
    return Status(201, _program(mystery.create_program(actor=request.user, name=payload.name)))


@router.put("/mystery-programs/{pk}/objectives", response=ProgramOut)
def set_objectives(request: HttpRequest, pk: int, payload: ObjectivesIn):
    return _program(mystery.set_objectives(actor=request.user, program=pk, **payload.dict()))


@router.post("/mystery-programs/{pk}/targets", response={201: CreatedOut})
def add_target(request: HttpRequest, pk: int, payload: TargetIn):
    """An outlet to visit: one of the company's own (outlet_id) or a competitor's."""
    target = mystery.add_target(
        actor=request.user, program=pk, outlet=payload.outlet_id, competitor=payload.competitor_id
    )
    return Status(201, {"id": target.pk})


@router.post("/mystery-programs/{pk}/scenarios", response={201: CreatedOut})
def add_scenario(request: HttpRequest, pk: int, payload: ScenarioIn):
    scenario = mystery.add_scenario(actor=request.user, program=pk, **payload.dict())
    return Status(201, {"id": scenario.pk})


@router.put("/mystery-programs/{pk}/checklist", response=ProgramOut)
def set_checklist(request: HttpRequest, pk: int, payload: ChecklistIn):
    return _program(
        mystery.set_checklist(actor=request.user, program=pk, version=payload.version_id)
    )


@router.post("/mystery-programs/{pk}/shoppers", response={201: CreatedOut})
def add_shopper(request: HttpRequest, pk: int, payload: ShopperIn):
    row = mystery.add_shopper(actor=request.user, program=pk, shopper=payload.shopper_id)
    return Status(201, {"id": row.pk})


@router.post("/mystery-programs/{pk}/visits", response={201: CreatedOut})
def schedule_visit(request: HttpRequest, pk: int, payload: ScheduleIn):
    """Schedule a visit (only once the programme has its checklist and shoppers)."""
    visit = mystery.schedule_visit(
        actor=request.user,
        program=pk,
        target=payload.target_id,
        shopper=payload.shopper_id,
        scenario=payload.scenario_id,
        planned_on=payload.planned_on,
        planned_window=payload.planned_window,
    )
    return Status(201, {"id": visit.pk})


@router.post("/mystery-programs/{pk}/staff-informed", response=ProgramOut)
def inform_staff(request: HttpRequest, pk: int):
    """Step 11: the staff were told that mystery shopping will take place."""
    return _program(mystery.inform_staff(actor=request.user, program=pk))


@router.post("/mystery-programs/{pk}/briefing", response=ProgramOut)
def brief(request: HttpRequest, pk: int, payload: TextIn):
    return _program(mystery.brief_shoppers(actor=request.user, program=pk, briefing=payload.text))


@router.post("/mystery-programs/{pk}/debrief", response=ProgramOut)
def debrief(request: HttpRequest, pk: int, payload: TextIn):
    return _program(mystery.record_debrief(actor=request.user, program=pk, debrief=payload.text))


@router.get("/mystery-programs/{pk}", response=ProgramOut)
def get_program(request: HttpRequest, pk: int):
    return _program(queries.get_program(scope_for(request.user), pk))


@router.post("/mystery-programs/{pk}/advance", response=ProgramOut)
def advance_program(request: HttpRequest, pk: int, payload: AdvanceIn):
    """Move the programme to its next stage, if that stage's entry rule holds."""
    return _program(mystery.advance_program(actor=request.user, program=pk, stage=payload.stage))


@router.get("/mystery-programs/{pk}/report", response=ReportOut)
def program_report(request: HttpRequest, pk: int):
    """Scores per outlet and per checklist area, own outlets against competitors."""
    report = queries.program_report(queries.get_program(scope_for(request.user), pk))
    return {
        "factors": [{"code": c, "name": n} for c, n in report.factors],
        "targets": [
            {
                "name": t["name"],
                "competitor": t["competitor"],
                "visits": t["visits"],
                "index": t["index"],
                "factors": t["factors"],
            }
            for t in report.targets
        ],
        "own": report.own,
        "competitors": report.competitors,
    }


@router.get("/shopper-visits", response=list[VisitOut])
def my_visits(request: HttpRequest):
    """The calling shopper's own visits (nothing of anyone else's)."""
    return [_visit(v) for v in queries.shopper_visits(scope_for(request.user))]


@router.get("/shopper-visits/{pk}", response=VisitOut)
def my_visit(request: HttpRequest, pk: int):
    return _visit(queries.get_shopper_visit(scope_for(request.user), pk))


@router.put("/shopper-visits/{pk}", response=VisitOut)
def save_visit(request: HttpRequest, pk: int, payload: VisitIn):
    """Save part of the visit report (the fields sent)."""
    mystery.save_visit(actor=request.user, visit=pk, data=payload.dict(exclude_unset=True))
    return _visit(queries.get_shopper_visit(scope_for(request.user), pk))


@router.post("/shopper-visits/{pk}/submit", response=VisitOut)
def submit_visit(request: HttpRequest, pk: int, payload: VisitIn):
    """Hand the visit in: time, duration, narrative and the whole checklist."""
    mystery.submit_visit(actor=request.user, visit=pk, data=payload.dict(exclude_unset=True))
    return _visit(queries.get_shopper_visit(scope_for(request.user), pk))
