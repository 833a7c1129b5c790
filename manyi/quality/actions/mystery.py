"""Writes of mystery shopping (003 P-015/016): programmes, their stages, visits.

A programme moves forward one stage at a time (:func:`advance_program`), and each stage has
an entry rule (:data:`ENTRY_RULES`): outlets only after objectives, a checklist only after a
scenario, visits only once a checklist and shoppers exist, the visits stage only after the
shoppers were briefed, the report only when no visit is left open. The set-up (outlets,
scenarios, checklist, shoppers) may change until the visits begin.

Shoppers (Role.SHOPPER) write only their own visits, and only while the programme is in its
visits stage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.errors import Conflict, InvalidInput, InvalidMove, interpolate
from manyi.instruments import actions as instruments
from manyi.instruments.answers import clean_answers
from manyi.instruments.models import Instrument, InstrumentKind, InstrumentVersion, VersionStatus
from manyi.instruments.queries import current_version, definition_for
from manyi.instruments.scoring import answer_rows, factor_rows, score
from manyi.org.actions import audit as log
from manyi.org.models import AuditAction, Industry, Role, Staff, Unit
from manyi.quality.access import (
    company_outlet,
    company_staff,
    get_row,
    manager_scope,
    shopper_scope,
)
from manyi.quality.actions.audits import _description, _due, _owner, _user, store_image
from manyi.quality.library import CHECKLIST_CODE, checklist_content
from manyi.quality.models import (
    STAGE_ORDER,
    ActionItem,
    CompetitorOutlet,
    LearnArea,
    ProgramShopper,
    ProgramStage,
    ProgramTarget,
    Scenario,
    ShoppingProgram,
    Visit,
    VisitAnswer,
    VisitFactorScore,
    VisitPhoto,
    VisitPhotoKind,
    VisitStatus,
)

MAX_PHOTOS = 20


def _text(value: Any, limit: int, field: str, *, required: bool = True) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise InvalidInput(_("This field is required."), field=field)
    if len(text) > limit:
        raise InvalidInput(interpolate(_("At most %(n)d characters."), {"n": limit}), field=field)
    return text


def _program(scope, program: ShoppingProgram | int) -> ShoppingProgram:
    """One of the company's programmes, locked for the change."""
    return get_row(
        ShoppingProgram.objects.select_for_update().filter(company_id=scope.company_id), program
    )


def _setup_open(program: ShoppingProgram) -> None:
    """Refuse set-up changes once the visits have begun."""
    if program.reached(ProgramStage.VISITS):
        raise Conflict(_("The visits have begun: the programme's set-up no longer changes."))


def _changed(actor: Any, program: ShoppingProgram, changes: dict[str, Any]) -> None:
    log(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=program,
        company_id=program.company_id,
        changes=changes,
    )


# -- competitors and programmes -------------------------------------------------------------------


@transaction.atomic
def create_competitor(
    *, actor: Any, name: str, brand: str = "", industry: str = "", address: str = "", note: str = ""
) -> CompetitorOutlet:
    """A competitor's outlet that shoppers may visit (no staff, no customers)."""
    scope = manager_scope(actor)
    name = _text(name, 100, "name")
    if industry and industry not in Industry.values:
        raise InvalidInput(_("Not one of the available choices."), field="industry")
    if CompetitorOutlet.objects.filter(company_id=scope.company_id, name=name).exists():
        raise InvalidInput(_("A competitor outlet with this name exists already."), field="name")
    competitor = CompetitorOutlet.objects.create(
        company_id=scope.company_id,
        name=name,
        brand=_text(brand, 100, "brand", required=False),
        industry=industry or "",
        address=_text(address, 200, "address", required=False),
        note=_text(note, 300, "note", required=False),
        created_at=clock.now(),
    )
    log(
        actor=actor,
        action=AuditAction.CREATE,
        obj=competitor,
        company_id=scope.company_id,
        changes={"name": [None, name]},
    )
    return competitor


@transaction.atomic
def create_program(*, actor: Any, name: str) -> ShoppingProgram:
    """A new programme, at its first stage (objectives)."""
    scope = manager_scope(actor)
    program = ShoppingProgram.objects.create(
        company_id=scope.company_id,
        name=_text(name, 100, "name"),
        created_at=clock.now(),
        created_by=_user(actor),
    )
    log(
        actor=actor,
        action=AuditAction.CREATE,
        obj=program,
        company_id=scope.company_id,
        changes={"name": [None, program.name]},
    )
    return program


@transaction.atomic
def set_objectives(
    *,
    actor: Any,
    program: ShoppingProgram | int,
    objectives: str,
    learn_areas: Iterable[str],
    focus: str = "",
) -> ShoppingProgram:
    """Step 1 (and 7–9): what the programme wants to learn (of the five areas), and the
    facilities, key services and variables to look at."""
    scope = manager_scope(actor)
    program = _program(scope, program)
    _setup_open(program)
    objectives = _text(objectives, 2000, "objectives")
    areas = list(dict.fromkeys(learn_areas or []))
    if not areas or any(a not in LearnArea.values for a in areas):
        raise InvalidInput(_("Choose at least one of the five areas."), field="learn_areas")
    program.objectives = objectives
    program.learn_areas = areas
    program.focus = _text(focus, 2000, "focus", required=False)
    program.save(update_fields=["objectives", "learn_areas", "focus"])
    _changed(actor, program, {"learn_areas": [None, areas]})
    return program


@transaction.atomic
def add_target(
    *,
    actor: Any,
    program: ShoppingProgram | int,
    outlet: Unit | int | None = None,
    competitor: CompetitorOutlet | int | None = None,
) -> ProgramTarget:
    """Step 4: an outlet to visit — one of the company's own or a competitor's."""
    scope = manager_scope(actor)
    program = _program(scope, program)
    _setup_open(program)
    if (outlet in (None, "")) == (competitor in (None, "")):
        raise InvalidInput(_("Choose one own outlet or one competitor outlet."), field="outlet")
    if outlet not in (None, ""):
        unit = company_outlet(scope, outlet)
        target, created = ProgramTarget.objects.get_or_create(program=program, outlet=unit)
    else:
        rival = get_row(CompetitorOutlet.objects.filter(company_id=scope.company_id), competitor)
        target, created = ProgramTarget.objects.get_or_create(program=program, competitor=rival)
    if created:
        _changed(actor, program, {"target": [None, target.name]})
    return target


@transaction.atomic
def remove_target(*, actor: Any, target: ProgramTarget | int) -> None:
    """Take an outlet out of a programme (only before any visit to it was scheduled)."""
    scope = manager_scope(actor)
    target = get_row(
        ProgramTarget.objects.select_related("program", "outlet", "competitor").filter(
            program__company_id=scope.company_id
        ),
        target,
    )
    _setup_open(target.program)
    if target.visits.exists():
        raise Conflict(_("Visits to this outlet are scheduled; cancel them first."))
    _changed(actor, target.program, {"target": [target.name, None]})
    target.delete()


@transaction.atomic
def add_scenario(
    *, actor: Any, program: ShoppingProgram | int, title: str, script: str
) -> Scenario:
    """Steps 2 and 6–9: a situation the shopper acts out and the script they follow."""
    scope = manager_scope(actor)
    program = _program(scope, program)
    _setup_open(program)
    scenario = Scenario.objects.create(
        program=program, title=_text(title, 100, "title"), script=_text(script, 4000, "script")
    )
    _changed(actor, program, {"scenario": [None, scenario.title]})
    return scenario


def default_checklist(actor: Any, scope) -> InstrumentVersion:
    """The company's default mystery-shopping checklist (the nine evaluation points and the
    service steps, library.checklist_content), created and published on first use."""
    instrument = Instrument.objects.filter(company_id=scope.company_id, code=CHECKLIST_CODE).first()
    if instrument is None:
        instrument = instruments.import_instrument(actor=actor, data=checklist_content())
        return instruments.publish(actor=actor, version=instrument.versions.get())
    version = current_version(instrument)
    if version is None:
        raise Conflict(_("The default checklist has no published version."))
    return version


@transaction.atomic
def set_checklist(
    *, actor: Any, program: ShoppingProgram | int, version: InstrumentVersion | int | None = None
) -> ShoppingProgram:
    """Steps 3 and 12: the checklist shoppers fill — a published mystery-shopping instrument
    of the company, or (``version`` None) the default one. Fixed once visits are scheduled."""
    scope = manager_scope(actor)
    program = _program(scope, program)
    _setup_open(program)
    if program.visits.exists():
        raise Conflict(_("Visits are scheduled with this checklist; it no longer changes."))
    if version in (None, ""):
        chosen = default_checklist(actor, scope)
    else:
        chosen = get_row(
            InstrumentVersion.objects.select_related("instrument").filter(
                instrument__company_id=scope.company_id,
                instrument__kind=InstrumentKind.MYSTERY_SHOPPING,
                status=VersionStatus.PUBLISHED,
            ),
            version,
        )
    old = program.checklist_id
    program.checklist = chosen
    program.save(update_fields=["checklist"])
    _changed(actor, program, {"checklist": [old, chosen.pk]})
    return program


@transaction.atomic
def add_shopper(
    *, actor: Any, program: ShoppingProgram | int, shopper: Staff | int
) -> ProgramShopper:
    """Step 5: a mystery shopper (an external login with Role.SHOPPER) takes part."""
    scope = manager_scope(actor)
    program = _program(scope, program)
    _setup_open(program)
    staff = company_staff(scope, shopper, field="shopper")
    if staff.role != Role.SHOPPER:
        raise InvalidInput(_("Choose a mystery shopper's login."), field="shopper")
    row, created = ProgramShopper.objects.get_or_create(program=program, shopper=staff)
    if created:
        _changed(actor, program, {"shopper": [None, staff.name]})
    return row


@transaction.atomic
def schedule_visit(
    *,
    actor: Any,
    program: ShoppingProgram | int,
    target: ProgramTarget | int,
    shopper: Staff | int,
    scenario: Scenario | int,
    planned_on: dt.date,
    planned_window: str = "",
) -> Visit:
    """Step 10: a visit of one shopper to one outlet with one scenario on a day. Only once the
    programme has its checklist and shoppers (the schedule stage or later, before the report)."""
    scope = manager_scope(actor)
    program = _program(scope, program)
    if not program.reached(ProgramStage.SCHEDULE) or program.reached(ProgramStage.REPORT):
        raise InvalidMove(
            _("Visits are scheduled in the schedule stage, after the checklist and the shoppers.")
        )
    if program.checklist_id is None:
        raise Conflict(_("Choose the checklist before scheduling visits."))
    target = get_row(program.targets.all(), target)
    try:
        member = program.shoppers.select_related("shopper").get(
            shopper_id=int(getattr(shopper, "pk", shopper))
        )
    except (ProgramShopper.DoesNotExist, TypeError, ValueError) as exc:
        raise InvalidInput(_("Choose one of the programme's shoppers."), field="shopper") from exc
    scenario = get_row(program.scenarios.all(), scenario)
    if not isinstance(planned_on, dt.date) or isinstance(planned_on, dt.datetime):
        raise InvalidInput(_("Enter a valid date."), field="planned_on")
    if planned_on < timezone.localdate(clock.now()):
        raise InvalidInput(_("A visit cannot be planned in the past."), field="planned_on")
    visit = Visit.objects.create(
        program=program,
        target=target,
        shopper=member.shopper,
        scenario=scenario,
        planned_on=planned_on,
        planned_window=_text(planned_window, 40, "planned_window", required=False),
        version_id=program.checklist_id,
    )
    _changed(
        actor,
        program,
        {"visit": [None, f"{target.name} {planned_on.isoformat()} {member.shopper.name}"]},
    )
    return visit


@transaction.atomic
def cancel_visit(*, actor: Any, visit: Visit | int) -> Visit:
    """Cancel a planned visit (a submitted one stays)."""
    scope = manager_scope(actor)
    visit = get_row(
        Visit.objects.select_for_update().filter(program__company_id=scope.company_id), visit
    )
    if visit.status != VisitStatus.PLANNED:
        raise Conflict(_("Only a planned visit can be cancelled."))
    visit.status = VisitStatus.CANCELLED
    visit.save(update_fields=["status"])
    _changed(actor, visit.program, {"visit": [visit.pk, VisitStatus.CANCELLED]})
    return visit


@transaction.atomic
def inform_staff(*, actor: Any, program: ShoppingProgram | int) -> ShoppingProgram:
    """Step 11 "与员工核对": record that the outlets' staff were told mystery shopping will
    take place (not when, nor by whom)."""
    scope = manager_scope(actor)
    program = _program(scope, program)
    if program.staff_informed_at is None:
        program.staff_informed_at = clock.now()
        program.save(update_fields=["staff_informed_at"])
        _changed(
            actor, program, {"staff_informed_at": [None, program.staff_informed_at.isoformat()]}
        )
    return program


@transaction.atomic
def brief_shoppers(*, actor: Any, program: ShoppingProgram | int, briefing: str) -> ShoppingProgram:
    """Step 13: the briefing the shoppers read with their visits; recorded as given."""
    scope = manager_scope(actor)
    program = _program(scope, program)
    if not program.reached(ProgramStage.BRIEFING) or program.reached(ProgramStage.REPORT):
        raise InvalidMove(_("Shoppers are briefed in the briefing stage."))
    program.briefing = _text(briefing, 4000, "briefing")
    program.briefed_at = clock.now()
    program.save(update_fields=["briefing", "briefed_at"])
    _changed(actor, program, {"briefed_at": [None, program.briefed_at.isoformat()]})
    return program


@transaction.atomic
def record_debrief(*, actor: Any, program: ShoppingProgram | int, debrief: str) -> ShoppingProgram:
    """Step 15: what the debrief with the staff concluded."""
    scope = manager_scope(actor)
    program = _program(scope, program)
    if not program.reached(ProgramStage.REPORT) or program.stage == ProgramStage.CLOSED:
        raise InvalidMove(_("The debrief follows the report."))
    program.debrief = _text(debrief, 4000, "debrief")
    program.save(update_fields=["debrief"])
    _changed(actor, program, {"debrief": [None, len(program.debrief)]})
    return program


@transaction.atomic
def create_program_action(
    *,
    actor: Any,
    program: ShoppingProgram | int,
    description: str,
    owner: Any,
    due_on: dt.date,
    outlet: Unit | int | None = None,
) -> ActionItem:
    """Step 15 "行动": an action decided at the debrief, for one own outlet or for all."""
    scope = manager_scope(actor)
    program = _program(scope, program)
    if not program.reached(ProgramStage.REPORT):
        raise InvalidMove(_("Actions follow the report."))
    unit = company_outlet(scope, outlet) if outlet not in (None, "") else None
    item = ActionItem.objects.create(
        company_id=scope.company_id,
        outlet=unit,
        program=program,
        description=_description(description),
        owner=_owner(scope, owner, unit),
        due_on=_due(due_on),
        created_at=clock.now(),
        created_by=_user(actor),
    )
    log(
        actor=actor,
        action=AuditAction.CREATE,
        obj=item,
        company_id=scope.company_id,
        changes={"program": [None, program.name], "owner": [None, item.owner.name]},
    )
    return item


# -- stages ---------------------------------------------------------------------------------------


def _has_objectives(p: ShoppingProgram) -> Any:
    if not p.objectives.strip() or not p.learn_areas:
        return _("Write the objectives and choose what to learn first.")
    return None


def _has_targets(p: ShoppingProgram) -> Any:
    return None if p.targets.exists() else _("Add at least one outlet to visit first.")


def _has_scenarios(p: ShoppingProgram) -> Any:
    return None if p.scenarios.exists() else _("Write at least one scenario first.")


def _has_checklist(p: ShoppingProgram) -> Any:
    return None if p.checklist_id else _("Choose the checklist first.")


def _has_shoppers(p: ShoppingProgram) -> Any:
    if p.checklist_id is None:
        return _("Choose the checklist first.")
    return None if p.shoppers.exists() else _("Add at least one shopper first.")


def _is_scheduled(p: ShoppingProgram) -> Any:
    planned = set(
        p.visits.exclude(status=VisitStatus.CANCELLED).values_list("target_id", flat=True)
    )
    if not planned or set(p.targets.values_list("pk", flat=True)) - planned:
        return _("Schedule at least one visit to every outlet first.")
    if p.staff_informed_at is None:
        return _("Tell the staff that mystery shopping will take place first (step 11).")
    return None


def _is_briefed(p: ShoppingProgram) -> Any:
    return None if p.briefed_at else _("Brief the shoppers first.")


def _visits_done(p: ShoppingProgram) -> Any:
    if p.visits.filter(status=VisitStatus.PLANNED).exists():
        return _("Some visits are still open: wait for them or cancel them.")
    if not p.visits.filter(status=VisitStatus.SUBMITTED).exists():
        return _("No visit was submitted.")
    return None


def _has_debrief(p: ShoppingProgram) -> Any:
    return None if p.debrief.strip() else _("Record the debrief first.")


# What must hold to enter each stage (None: nothing more).
ENTRY_RULES: dict[str, Callable[[ShoppingProgram], Any]] = {
    ProgramStage.OUTLETS: _has_objectives,
    ProgramStage.SCENARIOS: _has_targets,
    ProgramStage.CHECKLIST: _has_scenarios,
    ProgramStage.SHOPPERS: _has_checklist,
    ProgramStage.SCHEDULE: _has_shoppers,
    ProgramStage.BRIEFING: _is_scheduled,
    ProgramStage.VISITS: _is_briefed,
    ProgramStage.REPORT: _visits_done,
    ProgramStage.CLOSED: _has_debrief,
}


def blocker(program: ShoppingProgram) -> Any:
    """Why the programme cannot move to its next stage (None: it can; closed: it cannot)."""
    index = STAGE_ORDER.index(program.stage)
    if index + 1 >= len(STAGE_ORDER):
        return _("The programme is closed.")
    rule = ENTRY_RULES.get(STAGE_ORDER[index + 1])
    return rule(program) if rule else None


@transaction.atomic
def advance_program(
    *, actor: Any, program: ShoppingProgram | int, stage: str | None = None
) -> ShoppingProgram:
    """Move the programme to its next stage (``stage``, when given, must be that one)."""
    scope = manager_scope(actor)
    program = _program(scope, program)
    index = STAGE_ORDER.index(program.stage)
    if index + 1 >= len(STAGE_ORDER):
        raise InvalidMove(_("The programme is closed."))
    target = STAGE_ORDER[index + 1]
    if stage not in (None, "", target):
        raise InvalidMove(_("A programme moves one stage at a time."))
    reason = blocker(program)
    if reason is not None:
        raise InvalidMove(reason)
    old = program.stage
    program.stage = target
    fields = ["stage"]
    if target == ProgramStage.CLOSED:
        program.closed_at = clock.now()
        fields.append("closed_at")
    program.save(update_fields=fields)
    _changed(actor, program, {"stage": [old, target]})
    return program


# -- the shopper's side ---------------------------------------------------------------------------


def _own_visit(actor: Any, visit: Visit | int) -> tuple[Any, Visit]:
    """The shopper's own planned visit, locked, in a programme at its visits stage."""
    scope = shopper_scope(actor)
    visit = get_row(
        Visit.objects.select_for_update()
        .select_related("program", "version__instrument")
        .filter(shopper_id=scope.staff_id),
        visit,
    )
    if visit.status != VisitStatus.PLANNED:
        raise Conflict(_("This visit was submitted or cancelled; it no longer changes."))
    if visit.program.stage != ProgramStage.VISITS:
        raise InvalidMove(_("Visits are filled in once the programme's visits have begun."))
    return scope, visit


def _visit_fields(visit: Visit, data: Mapping[str, Any], *, final: bool) -> None:
    """Visit time, duration and narrative from ``data`` (keys present only), validated."""
    errors: list = []
    if "visited_at" in data:
        value = data["visited_at"]
        if value in (None, ""):
            visit.visited_at = None
        elif not isinstance(value, dt.datetime):
            errors.append(("visited_at", _("Enter a valid date and time.")))
        else:
            if timezone.is_naive(value):
                value = timezone.make_aware(value)
            if value > clock.now() + dt.timedelta(minutes=5):
                errors.append(("visited_at", _("The visit cannot be in the future.")))
            visit.visited_at = value
    if "duration_minutes" in data:
        value = data["duration_minutes"]
        if value in (None, ""):
            visit.duration_minutes = None
        else:
            try:
                minutes = int(value)
                if isinstance(value, bool) or not 1 <= minutes <= 600:
                    raise ValueError
            except (TypeError, ValueError):
                errors.append(("duration_minutes", _("Enter minutes from 1 to 600.")))
            else:
                visit.duration_minutes = minutes
    if "narrative" in data:
        text = data["narrative"] if isinstance(data["narrative"], str) else ""
        if len(text.strip()) > 4000:
            errors.append(("narrative", interpolate(_("At most %(n)d characters."), {"n": 4000})))
        visit.narrative = text.strip()
    if final:
        if visit.visited_at is None:
            errors.append(("visited_at", _("Enter when you made the visit.")))
        if visit.duration_minutes is None:
            errors.append(("duration_minutes", _("Enter how long the visit took.")))
        if not visit.narrative:
            errors.append(("narrative", _("Describe what happened.")))
    if errors:
        raise InvalidInput(errors[0][1], errors=errors)


@transaction.atomic
def save_visit(*, actor: Any, visit: Visit | int, data: Mapping[str, Any]) -> Visit:
    """The shopper saves part of a visit report (``answers`` and any of visited_at,
    duration_minutes, narrative); validated as far as given."""
    _scope, visit = _own_visit(actor, visit)
    _visit_fields(visit, data, final=False)
    if data.get("answers") is not None:
        answers = data["answers"]
        if not isinstance(answers, Mapping):
            raise InvalidInput(_("The answers must be an object keyed by question code."))
        merged = {**(visit.answers or {}), **answers}
        merged = {k: v for k, v in merged.items() if v not in (None, "")}
        visit.answers = clean_answers(definition_for(visit.version), merged, partial=True)
    visit.save(update_fields=["visited_at", "duration_minutes", "narrative", "answers"])
    return visit


@transaction.atomic
def add_visit_photo(*, actor: Any, visit: Visit | int, kind: str, data: bytes) -> VisitPhoto:
    """A receipt or photo kept from the visit."""
    _scope, visit = _own_visit(actor, visit)
    if kind not in VisitPhotoKind.values:
        raise InvalidInput(_("Not one of the available choices."), field="kind")
    if visit.photos.count() >= MAX_PHOTOS:
        raise InvalidInput(
            interpolate(_("At most %(n)d photos per visit."), {"n": MAX_PHOTOS}), field="file"
        )
    return store_image(VisitPhoto(visit=visit, kind=kind, created_at=clock.now()), data, kind)


@transaction.atomic
def submit_visit(*, actor: Any, visit: Visit | int, data: Mapping[str, Any]) -> Visit:
    """The shopper hands in the visit: when, how long, what happened and the whole checklist;
    the answers are scored like any instrument response."""
    _scope, visit = _own_visit(actor, visit)
    _visit_fields(visit, data, final=True)
    definition = definition_for(visit.version)
    answers = data.get("answers")
    if answers is None:
        answers = visit.answers or {}
    elif isinstance(answers, Mapping):
        answers = {
            k: v for k, v in {**(visit.answers or {}), **answers}.items() if v not in (None, "")
        }
    visit.answers = clean_answers(definition, answers)
    result = score(definition, visit.answers)
    visit.apply_result(result)
    visit.status = VisitStatus.SUBMITTED
    visit.submitted_at = clock.now()
    visit.save()
    VisitFactorScore.objects.bulk_create(
        VisitFactorScore(visit=visit, factor_id=fid, score=s)
        for fid, s in factor_rows(definition, result)
    )
    VisitAnswer.objects.bulk_create(
        VisitAnswer(visit=visit, **row) for row in answer_rows(definition, visit.answers, result)
    )
    log(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=visit,
        company_id=visit.program.company_id,
        changes={"status": [VisitStatus.PLANNED, VisitStatus.SUBMITTED]},
    )
    return visit
