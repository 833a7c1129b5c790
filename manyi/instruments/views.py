"""Builder pages: list, create, import, the draft builder (htmx), factors, publish, preview.

Only company-wide holders of Perm.MANAGE_INSTRUMENTS reach these pages. Sections and items are
edited in place with htmx: every change answers with the re-rendered builder (``_builder.html``),
and without JavaScript the same posts redirect back to the version page.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget

from manyi.errors import DomainError, InvalidInput, NotFound
from manyi.forms import add_domain_error
from manyi.instruments import actions, queries
from manyi.instruments.answers import answers_from_form, clean_answers
from manyi.instruments.forms import (
    CopyForm,
    FactorForm,
    ImportForm,
    InstrumentForm,
    ItemForm,
    ScoringForm,
    SectionForm,
    add_item_errors,
    bands_text,
    item_initial,
)
from manyi.instruments.models import (
    Factor,
    InstrumentKind,
    InstrumentVersion,
    Item,
    ItemType,
    Section,
    VersionStatus,
)
from manyi.instruments.render import answer_form
from manyi.instruments.scoring import score


def _scope(request: HttpRequest):
    return actions.builder_scope(request.user)


def _version(request: HttpRequest, pk: int) -> InstrumentVersion:
    return queries.get_version(_scope(request), pk)


def _editable(version: InstrumentVersion) -> bool:
    return version.status == VersionStatus.DRAFT and not version.instrument.is_builtin


def _row(request: HttpRequest, model, pk: int):
    """A section, item or factor of the user's company (its version loaded along)."""
    scope = _scope(request)
    row = (
        model.objects.select_related("version__instrument")
        .filter(pk=pk, version__instrument__company_id=scope.company_id)
        .first()
    )
    if row is None:
        raise NotFound()
    return row


def _version_url(version: InstrumentVersion, anchor: str = "") -> str:
    url = reverse("instruments:version", args=[version.pk])
    return f"{url}#{anchor}" if anchor else url


# -- list, create, import ------------------------------------------------------------------------


@login_required
def instrument_list(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    kind = request.GET.get("kind", "")
    if kind not in InstrumentKind.values:
        kind = ""
    rows = queries.instrument_list(scope, kind=kind)
    context = {
        "own": [i for i in rows if not i.is_builtin],
        "builtin": [i for i in rows if i.is_builtin],
        "kinds": InstrumentKind.choices,
        "kind": kind,
    }
    return render(request, "instruments/instrument_list.html", context)


@login_required
def instrument_create(request: HttpRequest) -> HttpResponse:
    _scope(request)
    form = InstrumentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            instrument = actions.create_instrument(actor=request.user, data=form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The instrument was created. Add its questions."))
            return redirect(_version_url(instrument.versions.get()))
    return render(request, "instruments/instrument_form.html", {"form": form, "instrument": None})


@login_required
def instrument_import(request: HttpRequest) -> HttpResponse:
    _scope(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    problems: list[tuple[str, str]] = []
    if request.method == "POST" and form.is_valid():
        try:
            instrument = actions.import_instrument(actor=request.user, data=form.payload())
        except InvalidInput as exc:
            form.add_error(None, str(exc.message))
            problems = [(path, str(msg)) for path, msg in exc.errors if path]
        else:
            messages.success(request, _("The instrument was imported as a draft."))
            return redirect(_version_url(instrument.versions.get()))
    return render(
        request, "instruments/instrument_import.html", {"form": form, "problems": problems[:50]}
    )


# -- one instrument --------------------------------------------------------------------------------


@login_required
def instrument_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _scope(request)
    instrument = queries.get_instrument(scope, pk)
    versions = list(instrument.versions.all())
    context = {
        "instrument": instrument,
        "versions": versions,
        "draft": next((v for v in versions if v.status == VersionStatus.DRAFT), None),
        "current": next((v for v in versions if v.status == VersionStatus.PUBLISHED), None),
    }
    return render(request, "instruments/instrument_detail.html", context)


@login_required
def instrument_edit(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _scope(request)
    instrument = queries.get_instrument(scope, pk)
    if instrument.is_builtin:
        raise NotFound()
    initial = {
        f: getattr(instrument, f)
        for f in ("code", "name", "kind", "paging", "source", "description")
    }
    form = InstrumentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_instrument(
                actor=request.user, instrument=instrument, data=form.cleaned_data
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The instrument was saved."))
            return redirect("instruments:detail", pk=instrument.pk)
    return render(
        request, "instruments/instrument_form.html", {"form": form, "instrument": instrument}
    )


@login_required
@require_POST
def instrument_draft(request: HttpRequest, pk: int) -> HttpResponse:
    draft = actions.new_draft(actor=request.user, instrument=pk)
    return redirect(_version_url(draft))


# -- one version -----------------------------------------------------------------------------------


def builder_context(version: InstrumentVersion) -> dict[str, Any]:
    """Sections with their items, and the factors, of a version (three queries)."""
    sections = list(version.sections.order_by("position", "id"))
    items = list(
        version.items.select_related("factor").order_by("section__position", "position", "id")
    )
    factors = list(version.factors.select_related("importance_of").order_by("position", "id"))
    by_section: dict[int, list[Item]] = {s.pk: [] for s in sections}
    for number, item in enumerate(items, start=1):
        item.number = number
        by_section[item.section_id].append(item)
    for section in sections:
        section.rows = by_section[section.pk]
    counting = sum(f.weight for f in factors if not f.importance_of_id)
    for factor in factors:
        factor.share = (
            factor.weight * 100 / counting if counting and not factor.importance_of_id else None
        )
    return {
        "version": version,
        "sections": sections,
        "factors": factors,
        "item_count": len(items),
        "editable": _editable(version),
    }


@login_required
def version_detail(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(request, pk)
    context = builder_context(version)
    factor_codes = [(f.code, f.name) for f in context["factors"] if not f.importance_of_id]
    context.update(
        instrument=version.instrument,
        factor_form=FactorForm(factor_codes=factor_codes),
        factor_codes=factor_codes,
        scoring_form=ScoringForm(
            initial={
                "missing_rule": version.missing_rule,
                "band_basis": version.band_basis,
                "bands": bands_text(version.bands or []),
            }
        ),
        section_form=SectionForm(),
    )
    return render(request, "instruments/version_detail.html", context)


def _builder(
    request: HttpRequest, version: InstrumentVersion, anchor: str = "", error: Any = None
) -> HttpResponse:
    """After a change: the builder fragment for htmx, else back to the version page."""
    if request.htmx:
        context = {**builder_context(version), "builder_error": error}
        response = render(request, "instruments/_builder.html", context)
        return reswap(retarget(response, "#builder"), "outerHTML")
    return redirect(_version_url(version, anchor))


def _change(request: HttpRequest, version: InstrumentVersion, change, anchor: str = ""):
    """Run one builder action; a refusal is shown in the builder (htmx) or as a message."""
    try:
        change()
    except DomainError as exc:
        if not request.htmx:
            raise
        return _builder(request, version, error=exc.message)
    return _builder(request, version, anchor)


@login_required
def version_preview(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(request, pk)
    definition = queries.definition_for(version)
    answers: dict[str, Any] = {}
    errors: list = []
    result = None
    if request.method == "POST":
        answers = answers_from_form(definition, request.POST)
        try:
            answers = clean_answers(definition, answers)
        except InvalidInput as exc:
            errors = exc.errors
        else:
            result = score(definition, answers)
    context = {
        "version": version,
        "instrument": version.instrument,
        "answer_form": answer_form(definition, answers, errors),
        "result": _result_rows(definition, result) if result else None,
        "has_errors": bool(errors),
    }
    return render(request, "instruments/version_preview.html", context)


def _result_rows(definition, result) -> dict[str, Any]:
    names = {f.code: f.name for f in definition.factors}
    texts = {i.code: f"{i.number}. {i.text}" for i in definition.items}
    return {
        "index": result.index,
        "total": result.total,
        "max_total": result.max_total,
        "band": result.band,
        "factors": [(names[code], value) for code, value in result.factors.items()],
        "strengths": [(texts[c], result.items[c]) for c in result.strengths],
        "weaknesses": [(texts[c], result.items[c]) for c in result.weaknesses],
    }


@login_required
def version_export(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(request, pk)
    content = queries.content_of(version)
    body = json.dumps(content, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"{version.instrument.code}-v{version.number}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_POST
def version_publish(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(request, pk)
    try:
        actions.publish(actor=request.user, version=version)
    except InvalidInput as exc:
        messages.error(request, _("The draft cannot be published yet:"))
        for path, message in exc.errors[:10]:
            messages.error(request, f"{path}: {message}" if path else str(message))
        return redirect(_version_url(version))
    messages.success(request, _("The version was published; it can no longer change."))
    return redirect("instruments:detail", pk=version.instrument_id)


@login_required
@require_POST
def version_retire(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(request, pk)
    actions.retire(actor=request.user, version=version)
    messages.success(request, _("The version was retired."))
    return redirect("instruments:detail", pk=version.instrument_id)


@login_required
@require_POST
def version_discard(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(request, pk)
    instrument = actions.discard_draft(actor=request.user, version=version)
    messages.success(request, _("The draft was deleted."))
    if instrument is None:
        return redirect("instruments:list")
    return redirect("instruments:detail", pk=instrument.pk)


@login_required
def version_copy(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(request, pk)
    initial = {"code": f"{version.instrument.code}-copy"[:40], "name": version.instrument.name}
    form = CopyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            copy = actions.copy_instrument(actor=request.user, version=version, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The copy was created as a draft."))
            return redirect(_version_url(copy.versions.get()))
    return render(request, "instruments/version_copy.html", {"form": form, "version": version})


@login_required
@require_POST
def version_scoring(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(request, pk)
    form = ScoringForm(request.POST)
    if form.is_valid():
        try:
            actions.update_scoring(
                actor=request.user,
                version=version,
                missing_rule=form.cleaned_data["missing_rule"],
                band_basis=form.cleaned_data["band_basis"],
                bands=form.bands_list(),
            )
        except InvalidInput as exc:
            for path, message in exc.errors or [(None, exc.message)]:
                messages.error(request, f"{path}: {message}" if path else str(message))
        else:
            messages.success(request, _("The scoring settings were saved."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect(_version_url(version, "scoring"))


# -- factors ---------------------------------------------------------------------------------------


def _factor_choices(version: InstrumentVersion, exclude: int | None = None):
    return [
        (f.code, f.name)
        for f in version.factors.filter(importance_of__isnull=True).order_by("position", "id")
        if f.pk != exclude
    ]


def _form_errors_to_messages(request: HttpRequest, form, exc: DomainError | None = None) -> None:
    if exc is not None:
        for _path, message in exc.field_errors() or [(None, exc.message)]:
            messages.error(request, str(message))
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


@login_required
@require_POST
def factor_add(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(request, pk)
    form = FactorForm(request.POST, factor_codes=_factor_choices(version))
    if form.is_valid():
        try:
            actions.add_factor(actor=request.user, version=version, data=form.data_dict())
        except DomainError as exc:
            _form_errors_to_messages(request, form, exc)
    else:
        _form_errors_to_messages(request, form)
    return redirect(_version_url(version, "factors"))


@login_required
@require_POST
def factor_edit(request: HttpRequest, pk: int) -> HttpResponse:
    factor = _row(request, Factor, pk)
    form = FactorForm(request.POST, factor_codes=_factor_choices(factor.version, factor.pk))
    if form.is_valid():
        try:
            actions.update_factor(actor=request.user, factor=factor, data=form.data_dict())
        except DomainError as exc:
            _form_errors_to_messages(request, form, exc)
    else:
        _form_errors_to_messages(request, form)
    return redirect(_version_url(factor.version, "factors"))


@login_required
@require_POST
def factor_delete(request: HttpRequest, pk: int) -> HttpResponse:
    factor = _row(request, Factor, pk)
    actions.delete_factor(actor=request.user, factor=factor)
    return redirect(_version_url(factor.version, "factors"))


# -- sections --------------------------------------------------------------------------------------


@login_required
@require_POST
def section_add(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(request, pk)
    form = SectionForm(request.POST)
    if not form.is_valid():
        return _builder(request, version)
    return _change(
        request,
        version,
        lambda: actions.add_section(actor=request.user, version=version, **form.cleaned_data),
    )


@login_required
def section_edit(request: HttpRequest, pk: int) -> HttpResponse:
    section = _row(request, Section, pk)
    actions.require_draft(section.version)
    initial = {"title": section.title, "description": section.description}
    form = SectionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_section(actor=request.user, section=section, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return _builder(request, section.version, f"section-{section.pk}")
    template = "instruments/_section_form.html" if request.htmx else "instruments/section_form.html"
    return render(request, template, {"form": form, "section": section, "version": section.version})


@login_required
@require_POST
def section_delete(request: HttpRequest, pk: int) -> HttpResponse:
    section = _row(request, Section, pk)
    return _change(
        request,
        section.version,
        lambda: actions.delete_section(actor=request.user, section=section),
    )


@login_required
@require_POST
def section_move(request: HttpRequest, pk: int) -> HttpResponse:
    section = _row(request, Section, pk)
    direction = request.POST.get("direction", "")
    return _change(
        request,
        section.version,
        lambda: actions.move_section(actor=request.user, section=section, direction=direction),
        f"section-{section.pk}",
    )


# -- items -----------------------------------------------------------------------------------------


def _item_form(version: InstrumentVersion, data=None, *, item: Item | None = None, **kwargs):
    sections = list(version.sections.order_by("position", "id"))
    items = list(version.items.order_by("section__position", "position", "id"))
    earlier = []
    for other in items:
        if item is not None and other.pk == item.pk:
            break
        earlier.append((other.code, f"{other.code} · {other.text[:30]}"))
    return ItemForm(
        data,
        sections=[
            (s.pk, s.title or _("Section %(n)d") % {"n": i + 1}) for i, s in enumerate(sections)
        ],
        factors=[(f.code, f.name) for f in version.factors.order_by("position", "id")],
        earlier=earlier,
        **kwargs,
    )


def _render_item_form(request, version, form, item=None, section=None) -> HttpResponse:
    context = {"form": form, "version": version, "item": item, "section": section}
    if request.htmx:
        return render(request, "instruments/_item_form.html", context)
    return render(request, "instruments/item_form.html", context)


@login_required
def item_add(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(request, pk)
    actions.require_draft(version)
    section_id = request.POST.get("section") or request.GET.get("section")
    section = version.sections.filter(pk=section_id).first() if str(section_id).isdigit() else None
    section = section or version.sections.order_by("-position", "-id").first()
    count = version.items.count()
    initial = {
        "code": f"q{count + 1}",
        "type": ItemType.SCALE,
        "section": section.pk,
        "points": 5,
        "weight": 1,
        "required": True,
        "scored": True,
        "start": 1,
    }
    form = _item_form(version, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.add_item(
                actor=request.user,
                version=version,
                section=form.cleaned_data["section"],
                data=form.item_dict(),
            )
        except DomainError as exc:
            add_item_errors(form, exc)
        else:
            return _builder(request, version, f"section-{section.pk}")
    return _render_item_form(request, version, form, section=section)


@login_required
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = _row(request, Item, pk)
    version = item.version
    actions.require_draft(version)
    if request.method == "GET" and request.GET.get("cancel"):
        return _builder(request, version)
    form = _item_form(version, request.POST or None, item=item, initial=item_initial(item))
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_item(
                actor=request.user,
                item=item,
                data=form.item_dict(),
                section=form.cleaned_data["section"],
            )
        except DomainError as exc:
            add_item_errors(form, exc)
        else:
            return _builder(request, version, f"item-{item.pk}")
    return _render_item_form(request, version, form, item=item)


@login_required
@require_POST
def item_delete(request: HttpRequest, pk: int) -> HttpResponse:
    item = _row(request, Item, pk)
    return _change(
        request, item.version, lambda: actions.delete_item(actor=request.user, item=item)
    )


@login_required
@require_POST
def item_move(request: HttpRequest, pk: int) -> HttpResponse:
    item = _row(request, Item, pk)
    direction = request.POST.get("direction", "")
    return _change(
        request,
        item.version,
        lambda: actions.move_item(actor=request.user, item=item, direction=direction),
        f"item-{item.pk}",
    )
