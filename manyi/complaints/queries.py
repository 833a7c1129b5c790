"""Read side of complaints: the list (open ones, and every closed one by search), one complaint,
what the technical preparation looks at, and the prefill of a complaint from another case.

Shared by the pages and the API, scoped through ``manyi.org.scopes`` like every case query.
The list pages newest first by id (``manyi.pagination``): complaints are kept forever
(抱怨信息资源化), so offset paging would slow down as the archive grows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from manyi import clock
from manyi.cases.actions import visible_cases
from manyi.cases.models import Case
from manyi.complaints.models import Channel, Complaint, Severity
from manyi.complaints.workflow import KIND, OPEN_STAGES
from manyi.customers.models import Purchase
from manyi.errors import NotFound
from manyi.org.scopes import Perm, Scope
from manyi.pagination import Page, keyset_page


def visible_complaints(scope: Scope) -> QuerySet[Complaint]:
    """The complaints a scope may read: its subtree's, or a technician's own."""
    return scope.filter(
        Complaint.objects.all(),
        unit_field="case__unit",
        assignee_field="case__assignee",
        perm=Perm.VIEW_CASES,
    )


def _int(raw: Any) -> int | None:
    try:
        value = int(raw)
    except (TypeError, ValueError, OverflowError):
        return None
    return value if 0 < value < 2**63 else -1


@dataclass
class ComplaintFilters:
    """The filters of the complaint list (all optional; bad values are dropped, never an error).

    ``q`` searches the number, the customer's or contact's name and phone, and the batch; a
    search, a closed stage or ``include_closed`` reach finished complaints too.
    """

    outlet: int | None = None
    stage: str = ""
    severity: str = ""
    channel: str = ""
    assignee: int | None = None
    overdue: bool = False
    q: str = ""
    include_closed: bool = False

    @classmethod
    def from_params(cls, params: Any) -> ComplaintFilters:
        def text(name: str, limit: int = 30) -> str:
            return str(params.get(name) or "").strip()[:limit]

        def flag(name: str) -> bool:
            return str(params.get(name) or "").lower() in ("1", "true", "on", "yes")

        severity, channel = text("severity", 10), text("channel", 20)
        return cls(
            outlet=_int(params.get("outlet")) if params.get("outlet") else None,
            stage=text("stage"),
            severity=severity if severity in Severity.values else "",
            channel=channel if channel in Channel.values else "",
            assignee=_int(params.get("assignee")) if params.get("assignee") else None,
            overdue=flag("overdue"),
            q=text("q", 50),
            include_closed=flag("include_closed"),
        )

    def as_query(self) -> dict[str, str]:
        """The filters as they stand in a URL (kept across pages)."""
        values = {
            "outlet": self.outlet,
            "stage": self.stage,
            "severity": self.severity,
            "channel": self.channel,
            "assignee": self.assignee,
            "overdue": "1" if self.overdue else "",
            "q": self.q,
            "include_closed": "1" if self.include_closed else "",
        }
        return {k: str(v) for k, v in values.items() if v}


def complaint_search_q(q: str) -> Q:
    """Number, names, phones (or their last digits) and batch: what people remember."""
    match = (
        Q(case__number__icontains=q)
        | Q(case__customer__name__icontains=q)
        | Q(contact_name__icontains=q)
        | Q(batch_no__iexact=q)
    )
    if q.isdigit() and len(q) >= 4:
        match |= Q(contact_phone__endswith=q) | Q(case__customer__phone__endswith=q)
    return match


def complaint_list(scope: Scope, filters: ComplaintFilters | None = None) -> QuerySet[Complaint]:
    """The complaints of the list, filtered, newest first, with what a row shows joined."""
    filters = filters or ComplaintFilters()
    qs = visible_complaints(scope).select_related(
        "case__customer", "case__unit", "case__assignee", "cause"
    )
    searching = bool(filters.q) or filters.include_closed or filters.stage not in ("", *OPEN_STAGES)
    if not searching:
        qs = qs.filter(case__closed_at__isnull=True)
    if filters.outlet is not None:
        qs = qs.filter(case__unit_id=filters.outlet)
    if filters.stage:
        qs = qs.filter(case__stage=filters.stage)
    if filters.severity:
        qs = qs.filter(severity=filters.severity)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.assignee is not None:
        qs = qs.filter(case__assignee_id=filters.assignee)
    if filters.overdue:
        qs = qs.filter(
            case__closed_at__isnull=True,
            case__paused_at__isnull=True,
            case__due_at__lt=clock.now(),
        )
    if filters.q:
        qs = qs.filter(complaint_search_q(filters.q))
    return qs.order_by("-pk")


def complaint_page(
    scope: Scope, filters: ComplaintFilters | None, *, after: Any = None, size: Any = 25
) -> Page:
    """One page of the list after the cursor (one query)."""
    return keyset_page(complaint_list(scope, filters), after=after, size=size)


def complaint_detail(scope: Scope, case_id: Any) -> Complaint:
    """One complaint by its case's id, with its case, customer, outlet and people, or NotFound."""
    try:
        return (
            visible_complaints(scope)
            .select_related(
                "case__customer",
                "case__unit",
                "case__assignee",
                "cause",
                "about_staff",
                "merged_into__case",
                "source_case",
                "purchase",
            )
            .get(case_id=case_id)
        )
    except (Complaint.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc


def resolutions_of(complaint: Complaint) -> list:
    """The complaint's resolutions in order, with who proposed and approved them."""
    return list(complaint.resolutions.select_related("proposed_by", "approved_by"))


def experiments_of(complaint: Complaint) -> list:
    """The construction experiments, in order."""
    return list(complaint.experiments.select_related("recorded_by"))


def merged_into_this(complaint: Complaint) -> list[Complaint]:
    """Duplicates merged into this complaint (their timelines stay on their own pages)."""
    return list(complaint.merged.select_related("case"))


@dataclass
class Preparation:
    """What the technician looks at before the site (002 第五章 三)."""

    purchases: list[Purchase]
    same_batch: list[Complaint]
    same_batch_total: int
    batch_buyers: int


def preparation_for(complaint: Complaint, *, limit: int = 10) -> Preparation:
    """The customer's purchases and the other complaints on the same product batch (four
    queries; the batch lookups use the batch indexes of complaints and purchases)."""
    purchases = list(
        Purchase.objects.filter(customer_id=complaint.case.customer_id).select_related("outlet")[
            :20
        ]
    )
    if not complaint.batch_no:
        return Preparation(purchases, [], 0, 0)
    others = (
        Complaint.objects.filter(company_id=complaint.company_id, batch_no=complaint.batch_no)
        .exclude(pk=complaint.pk)
        .select_related("case__unit", "cause")
        .order_by("-pk")
    )
    buyers = (
        Purchase.objects.filter(
            batch_no=complaint.batch_no, customer__company_id=complaint.company_id
        )
        .values("customer_id")
        .distinct()
        .count()
    )
    return Preparation(purchases, list(others[:limit]), others.count(), buyers)


def merge_candidates(scope: Scope, complaint: Complaint) -> list[Case]:
    """The customer's other open complaints this user may see (to merge a duplicate into)."""
    return list(
        visible_cases(scope)
        .filter(
            kind=KIND,
            customer_id=complaint.case.customer_id,
            closed_at__isnull=True,
        )
        .exclude(pk=complaint.case_id)
        .order_by("-pk")[:20]
    )


def open_complaint_from(source: Case) -> Complaint | None:
    """A complaint already opened from ``source`` and still being worked, if any."""
    return (
        Complaint.objects.filter(source_case=source, case__closed_at__isnull=True)
        .select_related("case")
        .first()
    )


def prefill_from_case(source: Case) -> dict[str, Any]:
    """What a complaint opened from another case (a work order's unhappy return visit, an
    earlier complaint) starts with: customer, outlet, site, installer, products."""
    values: dict[str, Any] = {
        "customer": source.customer,
        "unit": source.unit,
        "channel": Channel.RETURN_VISIT,
        "source_case": source,
        "description": "",
    }
    order = getattr(source, "workorder", None)
    if order is not None:
        values.update(
            site_address=order.site_address,
            installer_name=order.installer_name,
            installer_phone=order.installer_phone,
            product=order.products.splitlines()[0][:100] if order.products else "",
        )
    earlier = Complaint.objects.filter(case=source).first()
    if earlier is not None:
        values.update(
            site_address=earlier.site_address,
            installer_name=earlier.installer_name,
            installer_phone=earlier.installer_phone,
            product=earlier.product,
            batch_no=earlier.batch_no,
            contact_name=earlier.contact_name,
            contact_phone=earlier.contact_phone,
        )
    return values
