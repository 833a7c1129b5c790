"""Mystery-shopping pages: programmes with their stages, the report, and the shopper's own
visits (a shopper reaches nothing else: every other quality page refuses Perm.SHOP)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from manyi.errors import DomainError, InvalidInput, NotFound
from manyi.forms import add_domain_error
from manyi.instruments.answers import answers_from_form
from manyi.instruments.models import InstrumentKind, VersionStatus
from manyi.instruments.queries import definition_for
from manyi.instruments.render import answer_form
from manyi.org.models import Role
from manyi.org.scopes import scope_for
from manyi.quality import queries
from manyi.quality.access import outlet_units
from manyi.quality.actions import mystery
from manyi.quality.exports import workbook, xlsx_response
from manyi.quality.forms import (
    ActionItemForm,
    CompetitorForm,
    ObjectivesForm,
    ScenarioForm,
    ScheduleForm,
    VisitForm,
    staff_choices,
)
from manyi.quality.models import (
    STAGE_ORDER,
    CompetitorOutlet,
    LearnArea,
    ProgramStage,
    VisitPhotoKind,
    VisitStatus,
)

# The seed's 15 steps (003 P-015/016) and the stage each belongs to.
SEED_STEPS = {
    ProgramStage.OBJECTIVES: ["1 了解到5个方面的情况"],
    ProgramStage.OUTLETS: ["4 选择要检查的具体环境的3项要求"],
    ProgramStage.SCENARIOS: [
        "2 模拟顾客时需要做的4件事",
        "6 确定接待顾客的流程",
        "7 确定顾客服务设施",
        "8 强调重点服务项目",
        "9 确定变量",
    ],
    ProgramStage.CHECKLIST: ["3 评估服务表现的清单9项内容", "12 准备检查目录"],
    ProgramStage.SHOPPERS: ["5 谁应该参加这个计划"],
    ProgramStage.SCHEDULE: ["10 制定购物计划", "11 与员工核对"],
    ProgramStage.BRIEFING: ["13 向购物者介绍"],
    ProgramStage.VISITS: ["14 实施神秘购物"],
    ProgramStage.REPORT: ["15 汇报"],
    ProgramStage.DEBRIEF: ["15 行动"],
}


def _score(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@login_required
def program_list(request: HttpRequest) -> HttpResponse:
    """Programmes, a new one, and the competitor outlets shoppers may visit."""
    scope = scope_for(request.user)
    programs = queries.programs_for(scope)
    competitor_form = CompetitorForm(prefix="c")
    if request.method == "POST":
        if "name" in request.POST:
            try:
                program = mystery.create_program(actor=request.user, name=request.POST["name"])
            except InvalidInput as exc:
                messages.error(request, exc.message)
            else:
                return redirect("quality:program", program.pk)
        else:
            competitor_form = CompetitorForm(request.POST, prefix="c")
            if competitor_form.is_valid():
                try:
                    mystery.create_competitor(actor=request.user, **competitor_form.cleaned_data)
                except InvalidInput as exc:
                    add_domain_error(competitor_form, exc)
                else:
                    messages.success(request, _("The competitor outlet is added."))
                    return redirect("quality:programs")
    return render(
        request,
        "quality/program_list.html",
        {
            "programs": programs,
            "competitors": CompetitorOutlet.objects.filter(company_id=scope.company_id),
            "competitor_form": competitor_form,
        },
    )


def _program_context(request: HttpRequest, program, forms: dict[str, Any]) -> dict[str, Any]:
    scope = scope_for(request.user)
    targets = list(program.targets.select_related("outlet", "competitor").order_by("pk"))
    scenarios = list(program.scenarios.all())
    shoppers = list(program.shoppers.select_related("shopper"))
    visits = list(
        program.visits.select_related(
            "target__outlet", "target__competitor", "shopper", "scenario"
        ).order_by("planned_on", "pk")
    )
    taken_outlets = {t.outlet_id for t in targets if t.outlet_id}
    taken_rivals = {t.competitor_id for t in targets if t.competitor_id}
    schedule = forms.get("schedule") or ScheduleForm(prefix="v")
    schedule.fields["target"].choices = [(str(t.pk), t.name) for t in targets]
    schedule.fields["shopper"].choices = [(str(s.shopper_id), s.shopper.name) for s in shoppers]
    schedule.fields["scenario"].choices = [(str(s.pk), s.title) for s in scenarios]
    action_form = forms.get("action") or ActionItemForm(prefix="a")
    action_form.fields["owner"].choices = staff_choices(scope.company_id)
    from manyi.instruments.models import InstrumentVersion

    checklists = InstrumentVersion.objects.filter(
        instrument__company_id=scope.company_id,
        instrument__kind=InstrumentKind.MYSTERY_SHOPPING,
        status=VersionStatus.PUBLISHED,
    ).select_related("instrument")
    index = STAGE_ORDER.index(program.stage)
    return {
        "program": program,
        "stages": [
            {
                "code": code,
                "label": label,
                "state": "done" if i < index else "current" if i == index else "",
                "steps": SEED_STEPS.get(code, []),
            }
            for i, (code, label) in enumerate(ProgramStage.choices)
        ],
        "blocker": mystery.blocker(program),
        "next_stage": ProgramStage(STAGE_ORDER[index + 1]).label
        if index + 1 < len(STAGE_ORDER)
        else None,
        "setup_open": not program.reached(ProgramStage.VISITS),
        "targets": targets,
        "scenarios": scenarios,
        "shoppers": shoppers,
        "visits": visits,
        "learn_labels": [LearnArea(a).label for a in program.learn_areas if a in LearnArea.values],
        "objectives_form": forms.get("objectives")
        or ObjectivesForm(
            prefix="o",
            initial={
                "objectives": program.objectives,
                "learn_areas": program.learn_areas,
                "focus": program.focus,
            },
        ),
        "scenario_form": forms.get("scenario") or ScenarioForm(prefix="s"),
        "schedule_form": schedule,
        "action_form": action_form,
        "own_outlets": [
            o
            for o in outlet_units(scope).filter(company_id=scope.company_id)
            if o.pk not in taken_outlets
        ],
        "rivals": CompetitorOutlet.objects.filter(company_id=scope.company_id).exclude(
            pk__in=taken_rivals
        ),
        "shopper_choices": [
            (pk, label)
            for pk, label in staff_choices(scope.company_id, roles=[Role.SHOPPER])
            if pk and int(pk) not in {s.shopper_id for s in shoppers}
        ],
        "checklists": checklists,
        "actions": list(program.actions.select_related("owner", "outlet")),
        "can_schedule": program.reached(ProgramStage.SCHEDULE)
        and not program.reached(ProgramStage.REPORT)
        and bool(targets and shoppers and scenarios),
        "can_brief": program.reached(ProgramStage.BRIEFING)
        and not program.reached(ProgramStage.REPORT),
        "after_report": program.reached(ProgramStage.REPORT),
    }


@login_required
def program_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A programme: the stage stepper with the seed's steps, and the form of every stage."""
    program = queries.get_program(scope_for(request.user), pk)
    return render(request, "quality/program_detail.html", _program_context(request, program, {}))


def _run(request: HttpRequest, call) -> bool:
    """Run one action; a refusal becomes a message. True when it went through."""
    try:
        call()
    except DomainError as exc:
        messages.error(request, exc.message)
        return False
    return True


@login_required
@require_POST
def program_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """One write on a programme (``step`` names it); back to the programme page."""
    user = request.user
    program = queries.get_program(scope_for(user), pk)
    post = request.POST
    forms: dict[str, Any] = {}
    if step == "objectives":
        form = ObjectivesForm(post, prefix="o")
        if form.is_valid():
            _run(
                request,
                lambda: mystery.set_objectives(actor=user, program=program, **form.cleaned_data),
            )
        else:
            forms["objectives"] = form
    elif step == "target":
        _run(
            request,
            lambda: mystery.add_target(
                actor=user,
                program=program,
                outlet=post.get("outlet") or None,
                competitor=post.get("competitor") or None,
            ),
        )
    elif step == "target-remove":
        _run(request, lambda: mystery.remove_target(actor=user, target=post.get("target")))
    elif step == "scenario":
        form = ScenarioForm(post, prefix="s")
        if form.is_valid():
            _run(
                request,
                lambda: mystery.add_scenario(actor=user, program=program, **form.cleaned_data),
            )
        else:
            forms["scenario"] = form
    elif step == "checklist":
        _run(
            request,
            lambda: mystery.set_checklist(
                actor=user, program=program, version=post.get("version") or None
            ),
        )
    elif step == "shopper":
        _run(
            request,
            lambda: mystery.add_shopper(actor=user, program=program, shopper=post.get("shopper")),
        )
    elif step == "visit":
        form = ScheduleForm(post, prefix="v")
        form.fields["target"].choices = [(str(t.pk), "") for t in program.targets.all()]
        form.fields["shopper"].choices = [(str(s.shopper_id), "") for s in program.shoppers.all()]
        form.fields["scenario"].choices = [(str(s.pk), "") for s in program.scenarios.all()]
        if form.is_valid():
            try:
                mystery.schedule_visit(actor=user, program=program, **form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
                forms["schedule"] = form
        else:
            forms["schedule"] = form
    elif step == "visit-cancel":
        _run(request, lambda: mystery.cancel_visit(actor=user, visit=post.get("visit")))
    elif step == "inform":
        _run(request, lambda: mystery.inform_staff(actor=user, program=program))
    elif step == "brief":
        _run(
            request,
            lambda: mystery.brief_shoppers(
                actor=user, program=program, briefing=post.get("briefing", "")
            ),
        )
    elif step == "debrief":
        _run(
            request,
            lambda: mystery.record_debrief(
                actor=user, program=program, debrief=post.get("debrief", "")
            ),
        )
    elif step == "action":
        form = ActionItemForm(post, prefix="a")
        form.fields["owner"].choices = staff_choices(program.company_id)
        if form.is_valid():
            try:
                mystery.create_program_action(
                    actor=user,
                    program=program,
                    outlet=post.get("a-outlet") or None,
                    **form.cleaned_data,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
                forms["action"] = form
        else:
            forms["action"] = form
    elif step == "advance":
        if _run(
            request,
            lambda: mystery.advance_program(actor=user, program=program, stage=post.get("stage")),
        ):
            messages.success(request, _("The programme moved on."))
    else:
        raise NotFound()
    if forms:
        program.refresh_from_db()
        context = _program_context(request, program, forms)
        return render(request, "quality/program_detail.html", context, status=422)
    return redirect(reverse("quality:program", args=[program.pk]) + f"#{step}")


@login_required
def program_report(request: HttpRequest, pk: int) -> HttpResponse:
    """Scores per outlet and per checklist area, own outlets against competitors; charts;
    ``?export=xlsx`` gives the table as an Excel file."""
    program = queries.get_program(scope_for(request.user), pk)
    report = queries.program_report(program)
    names = [name for _code, name in report.factors]
    if request.GET.get("export") == "xlsx":
        rows = [
            [
                t["name"],
                _("Competitor") if t["competitor"] else _("Own outlet"),
                t["visits"],
                _score(t["index"]),
                *[_score(v) for v in t["factors"]],
            ]
            for t in report.targets
        ]
        for label, group in (
            (_("Own outlets"), report.own),
            (_("Competitors"), report.competitors),
        ):
            rows.append(
                [
                    label,
                    "",
                    group["visits"],
                    _score(group["index"]),
                    *[_score(v) for v in group["factors"]],
                ]
            )
        header = [_("Outlet"), _("Kind"), _("Visits"), _("Score"), *names]
        return xlsx_response(workbook([(program.name, header, rows)]), f"mystery-{program.pk}.xlsx")
    charts = {
        "targets": {
            "labels": [t["name"] for t in report.targets if t["visits"]],
            "values": [_score(t["index"]) for t in report.targets if t["visits"]],
            "competitor": [t["competitor"] for t in report.targets if t["visits"]],
            "name": _("Score"),
        },
        "areas": {
            "labels": names,
            "series": [
                {"name": _("Own outlets"), "data": [_score(v) for v in report.own["factors"]]},
                {
                    "name": _("Competitors"),
                    "data": [_score(v) for v in report.competitors["factors"]],
                },
            ],
        },
    }
    return render(
        request,
        "quality/program_report.html",
        {"program": program, "report": report, "names": names, "charts": charts},
    )


# -- the shopper's pages -------------------------------------------------------------------------


@login_required
def my_visits(request: HttpRequest) -> HttpResponse:
    """A shopper's own visits: what, where, when, with which scenario."""
    visits = queries.shopper_visits(scope_for(request.user))
    return render(request, "quality/visit_list.html", {"visits": visits})


def _visit_context(visit, answers, errors, form) -> dict[str, Any]:
    definition = definition_for(visit.version)
    return {
        "visit": visit,
        "form": form,
        "answer_form": answer_form(definition, answers, errors),
        "photos": list(visit.photos.all()),
        "editable": visit.status == VisitStatus.PLANNED
        and visit.program.stage == ProgramStage.VISITS,
        "errors": errors,
    }


@login_required
def my_visit(request: HttpRequest, pk: int) -> HttpResponse:
    """One of the shopper's visits: the briefing and script, the report form, the checklist."""
    scope = scope_for(request.user)
    visit = queries.get_shopper_visit(scope, pk)
    initial = {
        "visited_at": visit.visited_at,
        "duration_minutes": visit.duration_minutes,
        "narrative": visit.narrative,
    }
    if request.method != "POST":
        form = VisitForm(initial=initial)
        return render(
            request, "quality/visit_form.html", _visit_context(visit, visit.answers, {}, form)
        )
    form = VisitForm(request.POST, request.FILES, initial=initial)
    definition = definition_for(visit.version)
    answers = answers_from_form(definition, request.POST)
    errors: dict[str, str] = {}
    if form.is_valid():
        data = {k: form.cleaned_data[k] for k in ("visited_at", "duration_minutes", "narrative")}
        data["answers"] = answers
        try:
            mystery.save_visit(actor=request.user, visit=visit, data=data)
            for field, kind in (
                ("receipt", VisitPhotoKind.RECEIPT),
                ("photo", VisitPhotoKind.PHOTO),
            ):
                upload = form.cleaned_data.get(field)
                if upload:
                    mystery.add_visit_photo(
                        actor=request.user, visit=visit, kind=kind, data=upload.read()
                    )
            if "submit" in request.POST:
                mystery.submit_visit(actor=request.user, visit=visit, data={})
                messages.success(request, _("Thank you: the visit report is handed in."))
                return redirect("quality:my-visits")
        except InvalidInput as exc:
            for field, message in exc.field_errors():
                if field in form.fields:
                    form.add_error(field, str(message))
                else:
                    errors[field or ""] = str(message)
            if not exc.field_errors():
                form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Saved."))
            return redirect("quality:my-visit", visit.pk)
    visit = queries.get_shopper_visit(scope, pk)
    context = _visit_context(visit, {**(visit.answers or {}), **answers}, errors, form)
    context["has_errors"] = True
    return render(request, "quality/visit_form.html", context, status=422)
