"""Customer pages: the archive list with Chinese search, a customer's page, import, export."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from manyi.customers import actions, queries
from manyi.customers.exporting import export_customers
from manyi.customers.forms import CustomerForm, ImportForm, PurchaseForm
from manyi.customers.importing import EXPORT_COLUMNS, queue_import
from manyi.customers.models import (
    AgeBand,
    Education,
    ImportJob,
    IncomeBand,
    RelationshipLevel,
    SocialClass,
)
from manyi.errors import DomainError, NotFound
from manyi.forms import add_domain_error
from manyi.org.models import UnitKind
from manyi.org.queries import history_of
from manyi.org.scopes import Perm, scope_for
from manyi.pagination import keyset_page


def _outlets(scope, perm: Perm = Perm.EDIT_CUSTOMERS):
    if not scope.can(perm):
        return []
    return list(scope.units().filter(kind=UnitKind.OUTLET, is_active=True).order_by("path"))


@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    scope.require(Perm.VIEW_CUSTOMERS)
    filters = queries.CustomerFilters.from_params(request.GET)
    page = keyset_page(queries.customer_list(scope, filters), after=request.GET.get("after"))
    context = {
        "page": page,
        "filters": filters,
        "query": filters.as_query(),
        "phones_shown": queries.phones_shown(scope, page.items),
        "can_edit": scope.can(Perm.EDIT_CUSTOMERS),
        "can_import": scope.can(Perm.IMPORT_CUSTOMERS),
        "can_export": scope.can(Perm.EXPORT_CUSTOMERS),
    }
    if request.htmx and request.htmx.target == "customer-results":
        return render(request, "customers/_customer_results.html", context)
    context.update(
        outlets=list(scope.units().filter(kind=UnitKind.OUTLET).order_by("path")),
        levels=RelationshipLevel.choices,
        age_bands=AgeBand.choices,
        income_bands=IncomeBand.choices,
        educations=Education.choices,
        social_classes=SocialClass.choices,
        tags=queries.tag_names(scope),
    )
    return render(request, "customers/customer_list.html", context)


def _form_data(form: CustomerForm, outlets) -> dict:
    data = dict(form.cleaned_data)
    data.pop("version", None)
    outlet_id = data.pop("home_outlet")
    data["home_outlet"] = next((o for o in outlets if o.pk == outlet_id), None)
    return data


@login_required
def customer_create(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    scope.require(Perm.EDIT_CUSTOMERS)
    outlets = _outlets(scope)
    initial = {"relationship_level": RelationshipLevel.BASIC}
    if scope.unit_id and any(o.pk == scope.unit_id for o in outlets):
        initial["home_outlet"] = scope.unit_id
    form = CustomerForm(request.POST or None, outlets=outlets, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            customer = actions.create_customer(actor=request.user, data=_form_data(form, outlets))
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Customer %(name)s was added.") % {"name": customer.name})
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form, "customer": None})


@login_required
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request.user)
    customer = queries.customer_detail(scope, pk)
    can_edit = scope.can(Perm.EDIT_CUSTOMERS) and scope.covers(customer.home_outlet)
    context = {
        "customer": customer,
        "show_phone": customer.pk in queries.phones_shown(scope, [customer]),
        "can_edit": can_edit,
        "can_erase": scope.can(Perm.ERASE_CUSTOMERS) and scope.covers(customer.home_outlet),
        # The personal-data page (manyi.privacy): a customer's export and erasure (PIPL).
        "can_personal_data": (scope.can(Perm.EXPORT_CUSTOMERS) or scope.can(Perm.ERASE_CUSTOMERS))
        and scope.covers(customer.home_outlet),
        "timeline": queries.customer_timeline(customer),
        "history": history_of(scope, customer),
        "purchase_form": PurchaseForm(initial={"purchased_on": timezone.localdate()})
        if can_edit
        else None,
    }
    return render(request, "customers/customer_detail.html", context)


@login_required
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request.user)
    customer = queries.customer_detail(scope, pk)
    scope.require_unit(customer.home_outlet, Perm.EDIT_CUSTOMERS)
    outlets = _outlets(scope)
    initial = {
        f: getattr(customer, f)
        for f in CustomerForm.base_fields
        if f not in ("tags", "home_outlet")
    }
    initial.update(
        home_outlet=customer.home_outlet_id, tags=", ".join(t.name for t in customer.tags.all())
    )
    form = CustomerForm(request.POST or None, outlets=outlets, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_customer(
                actor=request.user,
                customer=customer,
                data=_form_data(form, outlets),
                version=form.cleaned_data.get("version"),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form, "customer": customer})


@login_required
@require_POST
def customer_delete(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request.user)
    customer = queries.customer_detail(scope, pk)
    actions.delete_customer(actor=request.user, customer=customer)
    messages.success(request, _("The customer and their purchases were erased."))
    return redirect("customers:list")


@login_required
@require_POST
def purchase_add(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request.user)
    customer = queries.customer_detail(scope, pk)
    form = PurchaseForm(request.POST)
    if form.is_valid():
        try:
            actions.add_purchase(actor=request.user, customer=customer, data=form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
    if form.errors:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        messages.success(request, _("The purchase was recorded."))
    return redirect("customers:detail", pk=customer.pk)


@login_required
@require_POST
def purchase_delete(request: HttpRequest, pk: int, purchase_pk: int) -> HttpResponse:
    scope = scope_for(request.user)
    customer = queries.customer_detail(scope, pk)
    purchase = next((p for p in customer.purchases.all() if p.pk == purchase_pk), None)
    if purchase is None:
        raise NotFound()
    actions.delete_purchase(actor=request.user, purchase=purchase)
    messages.success(request, _("The purchase was removed."))
    return redirect("customers:detail", pk=customer.pk)


def _jobs(scope):
    qs = ImportJob.objects.select_related("created_by__staff")
    if scope.everything:
        return qs
    return qs.filter(company_id=scope.company_id, created_by_id=scope.user_id)


@login_required
def import_list(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    scope.require(Perm.IMPORT_CUSTOMERS)
    outlets = _outlets(scope, Perm.IMPORT_CUSTOMERS)
    form = ImportForm(request.POST or None, request.FILES or None, outlets=outlets)
    if request.method == "POST" and form.is_valid():
        outlet_id = form.cleaned_data.get("default_outlet")
        outlet = next((o for o in outlets if o.pk == outlet_id), None)
        try:
            job = queue_import(
                actor=request.user, upload=form.cleaned_data["file"], default_outlet=outlet
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return redirect("customers:import", pk=job.pk)
    context = {"form": form, "jobs": _jobs(scope)[:20], "columns": EXPORT_COLUMNS}
    return render(request, "customers/import_list.html", context)


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request.user)
    scope.require(Perm.IMPORT_CUSTOMERS)
    job = scope_get_job(scope, pk)
    context = {"job": job, "errors": job.errors[:200]}
    if request.htmx:
        return render(request, "customers/_import_status.html", context)
    return render(request, "customers/import_detail.html", context)


def scope_get_job(scope, pk: int) -> ImportJob:
    try:
        return _jobs(scope).get(pk=pk)
    except ImportJob.DoesNotExist as exc:
        raise NotFound() from exc


@login_required
def import_errors(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request.user)
    scope.require(Perm.IMPORT_CUSTOMERS)
    job = scope_get_job(scope, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(["行号 row", "字段 field", "原因", "reason"])
    writer.writerows(job.errors)
    return response


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    from openpyxl import Workbook

    scope_for(request.user).require(Perm.IMPORT_CUSTOMERS)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "客户"
    sheet.append([title for _f, title in EXPORT_COLUMNS] + ["产品", "批号", "数量", "购买日期"])
    tmp = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by FileResponse
    workbook.save(tmp.name)
    tmp.seek(0)
    return FileResponse(tmp, as_attachment=True, filename="manyi-customers-template.xlsx")


@login_required
def customer_export(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    scope.require(Perm.EXPORT_CUSTOMERS)
    fmt = "csv" if request.GET.get("format") == "csv" else "xlsx"
    filters = queries.CustomerFilters.from_params(request.GET)
    tmp = tempfile.NamedTemporaryFile(suffix=f".{fmt}")  # noqa: SIM115 - closed by FileResponse
    export_customers(actor=request.user, path=Path(tmp.name), filters=filters)
    tmp.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(tmp, as_attachment=True, filename=f"customers-{stamp}.{fmt}")
