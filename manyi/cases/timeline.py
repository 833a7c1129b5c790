"""The cases' events on the customer's timeline (registered with customers.queries)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from manyi.cases.models import CaseEvent, EventKind
from manyi.customers.queries import TimelineItem


def _detail(event: CaseEvent) -> str:
    data = event.data or {}
    workflow = event.case.workflow
    if event.kind == EventKind.MOVE:
        source, target = data.get("source"), data.get("target")
        try:
            return f"{workflow.stage(source).label} → {workflow.stage(target).label}"
        except KeyError:
            return f"{source} → {target}"
    if event.kind == EventKind.VISIT:
        return data.get("step", "")
    if event.kind == EventKind.ASSIGN:
        return data.get("assignee", "")
    return event.text[:80]


def case_events_for_customer(customer, limit: int) -> list[TimelineItem]:
    """The latest events of the customer's cases, in one query."""
    events = (
        CaseEvent.objects.filter(case__customer=customer)
        .exclude(kind=EventKind.PHOTO)
        .select_related("case", "actor__staff")
        .order_by("-at", "-id")[:limit]
    )
    items = []
    for event in events:
        actor = event.actor
        name = ""
        if actor is not None:
            staff = getattr(actor, "staff", None)
            name = staff.name if staff else actor.get_username()
        items.append(
            TimelineItem(
                at=event.at,
                kind="case",
                title=_("%(number)s: %(what)s")
                % {"number": event.case.number, "what": event.get_kind_display()},
                detail=_detail(event),
                actor=name,
                url=f"/cases/{event.case_id}/",
            )
        )
    return items
