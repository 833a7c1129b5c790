"""The demo company is built through the actions, reproducibly, with work in every stage."""

from django.db.models import Count
from django.utils import timezone

from manyi.cases.models import Case
from manyi.customers.models import Customer
from manyi.demo import build_demo, demo_logins
from manyi.org.models import Role, Staff, Unit, UnitKind
from manyi.workorders.workflow import WORKFLOW


def test_demo_company(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    company = build_demo(customers=400)
    assert Unit.objects.filter(company=company, kind=UnitKind.REGION).count() == 3
    outlets = Unit.objects.filter(company=company, kind=UnitKind.OUTLET)
    assert outlets.count() == 12
    assert outlets.values("industry").distinct().count() >= 3
    assert Staff.objects.filter(company=company).count() == 40
    assert set(Staff.objects.values_list("role", flat=True)) == set(Role.values)
    assert {login.username for login in demo_logins()} <= set(
        Staff.objects.values_list("user__username", flat=True)
    )
    assert Customer.objects.filter(company=company).count() == 400
    stages = dict(
        Case.objects.filter(kind="workorder").values_list("stage").annotate(n=Count("id"))
    )
    assert set(stages) == {stage.code for stage in WORKFLOW.stages}
    overdue = Case.objects.filter(closed_at__isnull=True, due_at__lt=timezone.now())
    assert overdue.exists()
    from manyi.workorders.models import Script

    assert Script.objects.filter(company=company).count() > 10
    # Rebuilding replaces the demo company instead of failing or duplicating it.
    build_demo(customers=50)
    assert Customer.objects.count() == 50
    assert Unit.objects.filter(kind=UnitKind.COMPANY).count() == 1
