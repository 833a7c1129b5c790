"""Audit pages: the auditor's list, the audit on a phone, the result with its findings,
action items, an outlet's history and trend, the comparison across outlets (with Excel).

Charts get their data through ``json_script`` and are drawn by ``static/quality/charts.js``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from manyi import clock
from manyi.errors import InvalidInput, NotFound, OutOfScope
from manyi.forms import add_domain_error
from manyi.instruments.answers import answers_from_form
from manyi.instruments.queries import definition_for
from manyi.instruments.render import answer_form
from manyi.org.models import Unit, UnitKind
from manyi.org.scopes import Perm, scope_for
from manyi.pagination import keyset_page
from manyi.quality import queries
from manyi.quality.access import outlet_units, read_scope
from manyi.quality.actions import audits
from manyi.quality.exports import workbook, xlsx_response
from manyi.quality.forms import ActionItemForm, StartAuditForm, staff_choices
from manyi.quality.models import Area, AuditFinding, FindingStatus, Period, Side


def _score(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@login_required
def audit_home(request: HttpRequest) -> HttpResponse:
    """The auditor's page: audits due, audits in progress, starting one, recent results."""
    scope = read_scope(request.user)
    can_audit = scope.can(Perm.AUDIT_OUTLETS) and scope.staff_id is not None
    form = None
    if can_audit:
        form = StartAuditForm(request.POST or None)
        form.fields["outlet"].choices = [
            (str(o.pk), o.name) for o in outlet_units(scope).filter(company_id=scope.company_id)
        ]
        templates = queries.templates_for(scope, active_only=True)
        if scope.role == "outlet_manager":
            templates = [t for t in templates if t.is_walkaround]
        form.fields["template"].choices = [
            (str(t.pk), f"{t.name}{' · ' + _('walk-around') if t.is_walkaround else ''}")
            for t in templates
        ]
        if request.method == "POST" and form.is_valid():
            try:
                audit = audits.start_audit(
                    actor=request.user,
                    outlet=form.cleaned_data["outlet"],
                    template=form.cleaned_data["template"],
                )
            except InvalidInput as exc:
                add_domain_error(form, exc)
            else:
                return redirect("quality:audit", audit.pk)
    elif request.method == "POST":
        raise OutOfScope()
    page = keyset_page(queries.audits_for(scope), after=request.GET.get("after"), size=30)
    return render(
        request,
        "quality/audit_home.html",
        {
            "due": queries.due_audits(scope) if can_audit else [],
            "drafts": queries.drafts_of(scope),
            "form": form,
            "page": page,
        },
    )


@login_required
@require_POST
def audit_start_planned(request: HttpRequest) -> HttpResponse:
    """Start (or resume) the audit a plan puts on the auditor's list."""
    audit = audits.start_audit(
        actor=request.user, outlet=request.POST.get("outlet"), plan=request.POST.get("plan")
    )
    return redirect("quality:audit", audit.pk)


def _fill_context(audit, answers, errors, notes) -> dict[str, Any]:
    definition = definition_for(audit.version)
    form = answer_form(definition, answers, errors)
    photos: dict[str, list] = {}
    for photo in audit.photos.all():
        photos.setdefault(photo.item_code, []).append(photo)
    answered = sum(1 for item in definition.items if item.code in (answers or {}))
    for section in form["sections"]:
        for field in section["items"]:
            field["note"] = notes.get(field["name"], "")
            field["photos"] = photos.get(field["name"], [])
            field["note_error"] = errors.get(f"note-{field['name']}")
    return {
        "audit": audit,
        "answer_form": form,
        "answered": answered,
        "total": len(definition.items),
        "errors": errors,
        "general_error": errors.get(""),
    }


@login_required
def audit_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One audit: the phone form while it is the auditor's own and in progress, else the
    result with its findings."""
    scope = scope_for(request.user)
    audit = queries.get_audit(scope, pk)
    if audit.is_draft:
        if audit.auditor_id != scope.staff_id:
            raise NotFound()
        return _fill(request, audit)
    return _result(request, scope, audit)


def _fill(request: HttpRequest, audit) -> HttpResponse:
    definition = definition_for(audit.version)
    if request.method != "POST":
        return render(
            request,
            "quality/audit_form.html",
            _fill_context(audit, audit.answers, {}, audit.notes or {}),
        )
    answers = answers_from_form(definition, request.POST)
    notes = {item.code: request.POST.get(f"note-{item.code}", "") for item in definition.items}
    note = request.POST.get("note", "")
    errors: dict[str, str] = {}
    try:
        audit = audits.save_audit(
            actor=request.user, audit=audit, answers=answers, notes=notes, note=note
        )
    except InvalidInput as exc:
        errors = {field or "": str(message) for field, message in exc.field_errors()}
        errors.setdefault("", str(exc.message))
    for item in definition.items:
        upload = request.FILES.get(f"photo-{item.code}")
        if upload is None:
            continue
        try:
            audits.add_audit_photo(
                actor=request.user, audit=audit, item=item.code, data=upload.read()
            )
        except InvalidInput as exc:
            errors[item.code] = str(exc.message)
    if not errors and "submit" in request.POST:
        try:
            audits.submit_audit(actor=request.user, audit=audit)
        except InvalidInput as exc:
            errors = {field or "": str(message) for field, message in exc.field_errors()}
        else:
            messages.success(request, _("The audit is submitted."))
            return redirect("quality:audit", audit.pk)
    if errors:
        audit.refresh_from_db()
        merged = {**(audit.answers or {}), **answers}
        context = _fill_context(audit, merged, errors, {**(audit.notes or {}), **notes})
        context["has_errors"] = True
        return render(request, "quality/audit_form.html", context, status=422)
    messages.success(request, _("Saved."))
    return redirect("quality:audit", audit.pk)


def _may_act(scope, outlet: Unit) -> bool:
    manage = scope.can(Perm.MANAGE_QUALITY) and scope.is_company_wide
    return manage or (scope.can(Perm.MANAGE_IMPROVEMENT) and scope.covers(outlet))


def _result(request: HttpRequest, scope, audit, forms: dict | None = None) -> HttpResponse:
    details = queries.audit_details(audit)
    may_act = _may_act(scope, audit.outlet)
    owners = staff_choices(scope.company_id) if may_act else []
    forms = forms or {}
    for finding in details["gaps"]:
        if may_act and finding.status != FindingStatus.CLOSED:
            form = forms.get(finding.pk) or ActionItemForm(prefix=f"f{finding.pk}")
            form.fields["owner"].choices = owners
            finding.action_form = form
    side_names = dict(Side.choices)
    return render(
        request,
        "quality/audit_detail.html",
        {
            "audit": audit,
            **details,
            "side_rows": [
                (side_names.get(code, code), score) for code, score in details["sides"].items()
            ],
            "may_act": may_act,
            "may_praise": scope.covers(audit.outlet)
            and (scope.can(Perm.AUDIT_OUTLETS) or scope.can(Perm.MANAGE_QUALITY)),
        },
        status=422 if forms else 200,
    )


@login_required
@require_POST
def audit_discard(request: HttpRequest, pk: int) -> HttpResponse:
    audits.discard_audit(actor=request.user, audit=pk)
    messages.success(request, _("The audit in progress was thrown away."))
    return redirect("quality:audits")


def _finding_for(scope, pk: int) -> AuditFinding:
    try:
        finding = AuditFinding.objects.select_related("audit", "outlet").get(
            pk=pk, company_id=scope.company_id
        )
    except (AuditFinding.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc
    if not scope.covers(finding.outlet):
        raise NotFound()
    return finding


@login_required
@require_POST
def finding_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Turn a gap into an action item (owner, due date)."""
    scope = scope_for(request.user)
    finding = _finding_for(scope, pk)
    form = ActionItemForm(request.POST, prefix=f"f{finding.pk}")
    form.fields["owner"].choices = staff_choices(scope.company_id)
    if form.is_valid():
        try:
            audits.create_finding_action(
                actor=request.user,
                finding=finding,
                description=form.cleaned_data["description"],
                owner=form.cleaned_data["owner"],
                due_on=form.cleaned_data["due_on"],
            )
        except InvalidInput as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The action item is assigned."))
            return redirect(reverse("quality:audit", args=[finding.audit_id]) + "#gaps")
    audit = queries.get_audit(scope, finding.audit_id)
    return _result(request, scope, audit, forms={finding.pk: form})


@login_required
@require_POST
def finding_praise(request: HttpRequest, pk: int) -> HttpResponse:
    """Record that a confirmed good practice was praised to the staff."""
    finding = audits.recognise(actor=request.user, finding=pk, note=request.POST.get("note", ""))
    messages.success(request, _("The praise is recorded."))
    return redirect(reverse("quality:audit", args=[finding.audit_id]) + "#praise")


# -- action items ----------------------------------------------------------------------------------


@login_required
def action_list(request: HttpRequest) -> HttpResponse:
    """Action items: mine, or all those of the outlets in view; open or done."""
    scope = scope_for(request.user)
    mine = request.GET.get("who") != "all"
    status = request.GET.get("status", "open")
    status = status if status in ("open", "done") else "open"
    items = queries.action_items(scope, mine=mine, status=status)
    return render(
        request,
        "quality/action_list.html",
        {"items": items, "mine": mine, "status": status, "today": timezone.localdate()},
    )


@login_required
@require_POST
def action_done(request: HttpRequest, pk: int) -> HttpResponse:
    audits.complete_action(actor=request.user, item=pk, note=request.POST.get("note", ""))
    messages.success(request, _("The action item is done."))
    return redirect(request.POST.get("next") or reverse("quality:actions"))


# -- history and comparison ------------------------------------------------------------------------


@login_required
def outlet_history(request: HttpRequest, pk: int) -> HttpResponse:
    """An outlet's audits: the 12-month trend, each side, each area, open gaps, praise to pass
    on, and the audits themselves (newest first)."""
    scope = read_scope(request.user)
    try:
        outlet = Unit.objects.get(pk=pk, kind=UnitKind.OUTLET, company_id=scope.company_id)
    except (Unit.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc
    history = queries.outlet_history(scope, outlet)
    page = keyset_page(
        queries.audits_for(scope).filter(outlet=outlet), after=request.GET.get("after"), size=20
    )
    side_names = dict(Side.choices)
    charts = {
        "trend": {
            "labels": [f"{m:%Y-%m}" for m in history.months],
            "series": [
                {"name": _("Audit score"), "data": [_score(v) for v in history.trend]},
                *[
                    {"name": str(side_names[side]), "data": [_score(v) for v in values]}
                    for side, values in history.sides.items()
                ],
            ],
        },
        "areas": {
            "labels": [label for _a, label, score, _n in history.areas if score is not None],
            "values": [_score(score) for _a, _l, score, _n in history.areas if score is not None],
            "name": _("Average score"),
        },
    }
    return render(
        request,
        "quality/outlet_history.html",
        {
            "outlet": outlet,
            "history": history,
            "page": page,
            "charts": charts,
            "trend_rows": list(
                zip(history.months, history.trend, history.walkaround_trend, strict=True)
            ),
        },
    )


def _period(request: HttpRequest) -> tuple[dt.date, dt.date, dict[str, str]]:
    today = timezone.localdate(clock.now())
    default_start = queries.add_period(today.replace(day=1), -11, Period.MONTH)
    errors: dict[str, str] = {}
    values = []
    for key, default in (("from", default_start), ("to", today.replace(day=1))):
        raw = request.GET.get(key, "")
        try:
            values.append(dt.date.fromisoformat(f"{raw}-01") if raw else default)
        except ValueError:
            errors[key] = _("Enter a month as YYYY-MM.")
            values.append(default)
    start, end = values
    if end < start:
        errors["to"] = _("The end month cannot be before the start month.")
        end = start
    return start, end, errors


@login_required
def compare(request: HttpRequest) -> HttpResponse:
    """Outlets side by side over a period: audits done, average score, each side, each area;
    the company's monthly trend; ``?export=xlsx`` gives the tables as an Excel file."""
    scope = read_scope(request.user)
    start, end, errors = _period(request)
    rows = queries.comparison(scope, start, end)
    areas = queries.area_comparison(scope, start, end)
    months = queries.month_range(start, end)
    trend = queries.company_trend(scope, start, end)
    area_labels = list(Area.choices)
    if request.GET.get("export") == "xlsx":
        header = [
            _("Outlet"),
            _("Code"),
            _("Audits"),
            _("Average score"),
            _("Procedural"),
            _("Personal"),
            _("Last audit"),
        ]
        sheets = [
            (
                _("Outlets"),
                header,
                [
                    [
                        r.outlet.name,
                        r.outlet.code,
                        r.audits,
                        _score(r.index),
                        _score(r.procedural),
                        _score(r.personal),
                        r.last_day.isoformat() if r.last_day else None,
                    ]
                    for r in rows
                ],
            ),
            (
                _("Areas"),
                [_("Outlet"), *[str(label) for _a, label in area_labels]],
                [
                    [r.outlet.name, *[_score(areas[r.outlet.pk].get(a)) for a, _l in area_labels]]
                    for r in rows
                ],
            ),
            (
                _("Trend"),
                [_("Month"), _("Average score")],
                [[f"{m:%Y-%m}", _score(trend.get(m))] for m in months],
            ),
        ]
        return xlsx_response(workbook(sheets), f"audits-{start:%Y%m}-{end:%Y%m}.xlsx")
    audited = [r for r in rows if r.audits]
    charts = {
        "compare": {
            "labels": [r.outlet.name for r in audited],
            "series": [
                {"name": _("Average score"), "data": [_score(r.index) for r in audited]},
                {
                    "name": str(Side.PROCEDURAL.label),
                    "data": [_score(r.procedural) for r in audited],
                },
                {"name": str(Side.PERSONAL.label), "data": [_score(r.personal) for r in audited]},
            ],
        },
        "trend": {
            "labels": [f"{m:%Y-%m}" for m in months],
            "series": [
                {"name": _("Average score"), "data": [_score(trend.get(m)) for m in months]}
            ],
        },
    }
    area_table = [
        {"outlet": r.outlet, "scores": [_score(areas[r.outlet.pk].get(a)) for a, _l in area_labels]}
        for r in audited
    ]
    return render(
        request,
        "quality/compare.html",
        {
            "rows": rows,
            "area_labels": area_labels,
            "area_table": area_table,
            "charts": charts,
            "filter_values": {"from": f"{start:%Y-%m}", "to": f"{end:%Y-%m}"},
            "errors": errors,
        },
    )
