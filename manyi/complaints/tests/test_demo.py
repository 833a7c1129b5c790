"""The demo's complaints are played through the real actions: a year of them, every stage."""

import random

from django.db.models import Count

from manyi.cases.models import Case, EventKind
from manyi.complaints.demo import build_complaints, clear_complaints
from manyi.complaints.models import Complaint, RoutingRule
from manyi.customers.actions import add_purchase


def test_a_year_of_complaints_through_the_actions(world, tech, make_customer):
    for i, outlet in enumerate([world.east1] * 10 + [world.east2] * 5 + [world.south1] * 5):
        customer = make_customer(outlet=outlet, name=f"客户{i}")
        add_purchase(
            actor=world.head,
            customer=customer,
            data={
                "product": "华彩净味墙面漆",
                "batch_no": f"HC2026010{i % 3}-01",
                "quantity": 1,
                "purchased_on": "2026-01-05",
            },
        )
    taken = build_complaints(world.company, random.Random(7), complaints=24)
    complaints = Complaint.objects.filter(company=world.company)
    assert taken == complaints.count() >= 24
    # East-1's technician got a routing rule; the other outlets fall back to the head.
    assert RoutingRule.objects.get().assignee == tech.staff
    stages = dict(
        Case.objects.filter(kind="complaint").values_list("stage").annotate(n=Count("id"))
    )
    assert "done" in stages and len(stages) >= 3
    months = set(complaints.values_list("received_month", flat=True))
    assert len(months) >= 4  # spread over the year
    done = complaints.filter(case__stage="done")
    assert not done.filter(resolved_at__isnull=True).exists()
    assert not done.filter(first_contact_at__isnull=True).exists()
    assert complaints.filter(cause__isnull=False).values("cause").distinct().count() >= 3
    # Everything went through the actions: each complaint has its timeline.
    assert not Case.objects.filter(kind="complaint").exclude(events__kind=EventKind.OPENED).exists()
    clear_complaints(world.company)
    Case.objects.filter(company=world.company).delete()  # a rebuild can remove them all
    assert not Complaint.objects.exists()
