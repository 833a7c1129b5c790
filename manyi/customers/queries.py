"""Read side of the customer archive: scoped lists, search, a customer's page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from manyi.customers import search as customer_search
from manyi.customers.models import Customer, Purchase, Tag
from manyi.errors import NotFound
from manyi.org.models import AuditEntry, Role
from manyi.org.queries import field_label
from manyi.org.scopes import Perm, Scope


def phones_shown(scope: Scope, customers) -> set[int]:
    """The ids among ``customers`` whose full phone number this scope sees (PIPL).

    Roles with ``VIEW_PHONE`` see every number they can read — except technicians, who call
    only the customers of their own open cases and see the others as 138****5678 (one query).
    """
    ids = [c.pk for c in customers]
    if not ids or not scope.can(Perm.VIEW_PHONE):
        return set()
    if scope.role != Role.TECHNICIAN:
        return set(ids)
    return set(
        Customer.objects.filter(
            pk__in=ids, cases__assignee_id=scope.staff_id, cases__closed_at__isnull=True
        ).values_list("pk", flat=True)
    )


def visible_customers(scope: Scope) -> QuerySet[Customer]:
    """The customers this scope may read."""
    return scope.filter(Customer.objects.all(), unit_field="home_outlet", perm=Perm.VIEW_CUSTOMERS)


@dataclass
class CustomerFilters:
    """The filters of the customer list; every one is served by an index."""

    q: str = ""
    outlet: int | None = None
    relationship_level: str = ""
    age_band: str = ""
    income_band: str = ""
    education: str = ""
    social_class: str = ""
    tag: str = ""

    @classmethod
    def from_params(cls, params: Any) -> CustomerFilters:
        def text(name: str, limit: int = 100) -> str:
            return str(params.get(name) or "").strip()[:limit]

        try:
            outlet = int(params.get("outlet") or 0) or None
        except (TypeError, ValueError):
            outlet = None
        if outlet is not None and not 0 < outlet < 2**63:
            outlet = -1  # no unit has this id: an empty list, not a database overflow
        return cls(
            q=text("q"),
            outlet=outlet,
            relationship_level=text("relationship_level", 16),
            age_band=text("age_band", 8),
            income_band=text("income_band", 16),
            education=text("education", 16),
            social_class=text("social_class", 16),
            tag=text("tag", 30),
        )

    def as_query(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v}


def customer_list(scope: Scope, filters: CustomerFilters) -> QuerySet[Customer]:
    """The customer list: scoped, filtered, searched, newest first, outlet loaded with it."""
    qs = visible_customers(scope)
    if filters.outlet:
        qs = qs.filter(home_outlet_id=filters.outlet)
    for name in ("relationship_level", "age_band", "income_band", "education", "social_class"):
        value = getattr(filters, name)
        if value:
            qs = qs.filter(**{name: value})
    if filters.tag:
        qs = qs.filter(tags__name=filters.tag)
    if filters.q:
        qs = customer_search.search(qs, filters.q)
    return qs.select_related("home_outlet").order_by("-pk")


def customer_detail(scope: Scope, pk: Any) -> Customer:
    """One customer with outlet, tags and purchases loaded, or NotFound."""
    qs = (
        visible_customers(scope)
        .select_related("home_outlet", "company")
        .prefetch_related(
            "tags",
            Prefetch("purchases", queryset=Purchase.objects.select_related("outlet")),
        )
    )
    try:
        return qs.get(pk=pk)
    except (Customer.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def tag_names(scope: Scope) -> list[str]:
    """The tags of the user's company, for the filter."""
    if scope.company_id is None:
        return list(Tag.objects.values_list("name", flat=True).distinct()[:200])
    return list(Tag.objects.filter(company_id=scope.company_id).values_list("name", flat=True))


@dataclass
class TimelineItem:
    """One line of a customer's timeline."""

    at: Any  # a date (purchases) or an aware datetime (everything that happened at a moment)
    kind: str
    title: str
    detail: str
    actor: str = ""
    url: str = ""

    @property
    def sort_key(self) -> dt.datetime:
        if isinstance(self.at, dt.datetime):
            return self.at
        return dt.datetime.combine(self.at, dt.time.min, tzinfo=timezone.get_current_timezone())


# Modules above this one (cases, surveys, …) add their events to the customer's timeline by
# registering a source here in their AppConfig.ready(): customers never imports them.
TimelineSource = Callable[[Customer, int], list[TimelineItem]]
TIMELINE_SOURCES: list[TimelineSource] = []


def register_timeline_source(source: TimelineSource) -> TimelineSource:
    """Add a source of timeline items (called once per source at start-up)."""
    if source not in TIMELINE_SOURCES:
        TIMELINE_SOURCES.append(source)
    return source


def customer_timeline(customer: Customer, *, limit: int = 100) -> list[TimelineItem]:
    """What happened with this customer, newest first: purchases, recorded changes, and what
    the registered sources add (work orders, complaints, surveys)."""
    from django.utils.translation import gettext as _

    items = [
        TimelineItem(
            at=p.purchased_on,
            kind="purchase",
            title=_("Purchase: %(product)s") % {"product": p.product},
            detail=" · ".join(
                x
                for x in (
                    p.batch_no and _("batch %(b)s") % {"b": p.batch_no},
                    f"×{p.quantity.normalize()}",
                    p.outlet.name,
                )
                if x
            ),
        )
        for p in customer.purchases.all()
    ]
    entries = (
        AuditEntry.objects.filter(object_type="customers.customer", object_id=str(customer.pk))
        .select_related("actor__staff")
        .order_by("-at")[:limit]
    )
    for entry in entries:
        actor = getattr(getattr(entry.actor, "staff", None), "name", "") or (
            entry.actor.username if entry.actor else ""
        )
        items.append(
            TimelineItem(
                at=entry.at,
                kind="audit",
                title=entry.get_action_display(),
                detail="、".join(field_label(Customer, name) for name in sorted(entry.changes)),
                actor=actor,
            )
        )
    for source in TIMELINE_SOURCES:
        items.extend(source(customer, limit))
    items.sort(key=lambda item: item.sort_key, reverse=True)
    return items[:limit]
