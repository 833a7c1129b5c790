"""The home page: what the signed-in user works on, by role."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from manyi.customers.queries import visible_customers
from manyi.errors import NotFound, problem
from manyi.org.models import UnitKind
from manyi.org.scopes import Perm, scope_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    if scope.can(Perm.SHOP) and not scope.can(Perm.VIEW_ORG):
        # A mystery shopper sees nothing of the organisation: their visits are their home.
        return redirect("quality:my-visits")
    units = scope.units().aggregate(
        regions=Count("pk", filter=Q(kind=UnitKind.REGION)),
        outlets=Count("pk", filter=Q(kind=UnitKind.OUTLET)),
    )
    context = {
        "scope": scope,
        "units": units,
        "can_edit_customers": scope.can(Perm.EDIT_CUSTOMERS),
    }
    if scope.can(Perm.VIEW_CUSTOMERS):
        context["customer_count"] = visible_customers(scope).count()
        context["recent_customers"] = list(
            visible_customers(scope).select_related("home_outlet").order_by("-pk")[:8]
        )
    return render(request, "home.html", context)


def api_not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """An unknown API path: a problem document like every other API error."""
    body = problem(404, NotFound.code, NotFound.default_message)
    return JsonResponse(body, status=404, content_type="application/problem+json")
