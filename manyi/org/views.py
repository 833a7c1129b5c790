"""Organisation pages: the unit tree, staff, the audit log, the user's tokens and password."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from manyi.errors import DomainError, NotFound
from manyi.forms import add_domain_error
from manyi.org import actions, queries
from manyi.org.forms import (
    PasswordForm,
    StaffEditForm,
    StaffForm,
    TokenForm,
    UnitEditForm,
    UnitForm,
)
from manyi.org.models import ApiToken, Role, Staff, Unit, UnitKind
from manyi.org.scopes import Perm, scope_for
from manyi.pagination import keyset_page


def _unit(request: HttpRequest, pk: int) -> Unit:
    scope = scope_for(request.user)
    scope.require(Perm.VIEW_ORG)
    try:
        return scope.units().get(pk=pk)
    except Unit.DoesNotExist as exc:
        raise NotFound() from exc


@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    scope.require(Perm.VIEW_ORG)
    return render(request, "org/unit_list.html", {"tree": queries.unit_tree(scope)})


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request.user)
    unit = _unit(request, pk)
    context = {
        "unit": unit,
        "ancestors": Unit.objects.filter(pk__in=unit.ancestor_ids()[:-1]).order_by("path"),
        "children": unit.children.order_by("code"),
        "staff": Staff.objects.filter(unit=unit).select_related("user").order_by("role", "name"),
        "can_manage": scope.can(Perm.MANAGE_UNITS) and scope.covers(unit),
        "history": queries.history_of(scope, unit),
    }
    if unit.kind == UnitKind.OUTLET and scope.can(Perm.VIEW_CUSTOMERS):
        context["customer_count"] = unit.customers.count()
    return render(request, "org/unit_detail.html", context)


@login_required
def unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _unit(request, pk)
    scope_for(request.user).require_unit(unit, Perm.MANAGE_UNITS)
    fields = ("name", "code", "industry", "phone", "address", "return_visit_days", "is_active")
    initial = {f: getattr(unit, f) for f in fields}
    form = UnitEditForm(request.POST or None, initial=initial)
    if unit.kind != UnitKind.OUTLET:
        del form.fields["return_visit_days"]
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_unit(actor=request.user, unit=unit, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("org:unit", pk=unit.pk)
    return render(request, "org/unit_form.html", {"form": form, "unit": unit, "parent": None})


@login_required
def unit_add(request: HttpRequest, pk: int) -> HttpResponse:
    parent = _unit(request, pk)
    scope_for(request.user).require_unit(parent, Perm.MANAGE_UNITS)
    kind = UnitKind.REGION if parent.kind == UnitKind.COMPANY else UnitKind.OUTLET
    form = UnitForm(request.POST or None, initial={"kind": kind})
    if request.method == "POST" and form.is_valid():
        try:
            unit = actions.create_unit(actor=request.user, parent=parent, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Created."))
            return redirect("org:unit", pk=unit.pk)
    return render(request, "org/unit_form.html", {"form": form, "unit": None, "parent": parent})


@login_required
def staff_list(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    scope.require(Perm.VIEW_ORG)
    qs = scope.filter(
        Staff.objects.select_related("user", "unit"), unit_field="unit", perm=Perm.VIEW_ORG
    )
    role = request.GET.get("role", "")
    if role in Role.values:
        qs = qs.filter(role=role)
    q = request.GET.get("q", "").strip()[:50]
    if q:
        qs = qs.filter(name__contains=q) | qs.filter(user__username__icontains=q)
    page = keyset_page(qs, after=request.GET.get("after"))
    context = {
        "page": page,
        "roles": Role.choices,
        "role": role,
        "q": q,
        "can_manage": scope.can(Perm.MANAGE_STAFF),
    }
    template = "org/_staff_rows.html" if request.htmx else "org/staff_list.html"
    return render(request, template, context)


@login_required
def staff_create(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    scope.require(Perm.MANAGE_STAFF)
    units = list(scope.units().filter(is_active=True))
    form = StaffForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        unit = next((u for u in units if u.pk == data.pop("unit")), None)
        try:
            if unit is None:
                raise NotFound()
            staff = actions.create_staff(actor=request.user, unit=unit, **data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Created."))
            return redirect("org:staff-detail", pk=staff.pk)
    return render(request, "org/staff_form.html", {"form": form, "member": None})


@login_required
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request.user)
    member = scope.get(
        Staff.objects.select_related("user", "unit"), pk, unit_field="unit", perm=Perm.VIEW_ORG
    )
    can_manage = scope.can(Perm.MANAGE_STAFF) and scope.covers(member.unit)
    form = None
    if can_manage:
        units = list(scope.units().filter(is_active=True))
        initial = {
            "name": member.name,
            "role": member.role,
            "unit": member.unit_id,
            "phone": member.phone,
            "employee_no": member.employee_no,
            "is_active": member.user.is_active,
        }
        form = StaffEditForm(request.POST or None, units=units, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = dict(form.cleaned_data)
            unit = next((u for u in units if u.pk == data.pop("unit")), None)
            try:
                actions.update_staff(actor=request.user, staff=member, unit=unit, **data)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("org:staff-detail", pk=member.pk)
    elif request.method == "POST":
        scope.require(Perm.MANAGE_STAFF)
    context = {"member": member, "form": form, "history": queries.history_of(scope, member)}
    return render(request, "org/staff_detail.html", context)


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    scope.require(Perm.VIEW_AUDIT)
    page = keyset_page(queries.audit_entries(scope), after=request.GET.get("after"))
    return render(request, "org/audit_list.html", {"page": page})


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, created = actions.create_api_token(
                user=request.user, name=form.cleaned_data["name"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            form = TokenForm()
    context = {
        "form": form,
        "created": created,
        "tokens": ApiToken.objects.filter(user=request.user)[:100],
    }
    return render(request, "org/tokens.html", context)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    actions.revoke_api_token(user=request.user, token_id=pk)
    messages.success(request, _("The token was revoked."))
    return redirect("org:tokens")


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.change_password(
                user=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password was changed."))
            return redirect("home")
    return render(request, "org/password.html", {"form": form})
