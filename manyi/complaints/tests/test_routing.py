"""Routing (002 第五章: the complaint form goes at once to the area's technician): the outlet's
rule, the region's rule, the department head; complaints about our staff go to their manager."""

import pytest

from conftest import fresh_user
from manyi.cases.models import EventKind
from manyi.complaints import actions
from manyi.complaints.models import RoutingRule
from manyi.errors import InvalidInput
from manyi.notify.models import Notification
from manyi.org import actions as org
from manyi.org.models import Role


@pytest.fixture
def region_tech(world):
    """A licensed area technician whose home unit is the east region."""
    staff = org.create_staff(
        actor=world.head,
        unit=world.east,
        username="area_tech",
        name="区域技术主管",
        role=Role.TECHNICIAN,
        password="x-Test-pass-2026",
    )
    staff.work_licence = True
    staff.save()
    return staff


def _open(world, customer, **fields):
    return actions.open_complaint(
        actor=world.sales, customer=customer, description="墙面起泡", **fields
    )


def test_the_outlet_rule_sends_it_to_the_outlets_technician(world, customer, rule, tech):
    case = _open(world, customer)
    assert case.assignee == tech.staff
    assert case.stage == "first_contact"
    notes = case.events.filter(kind=EventKind.NOTE).values_list("text", flat=True)
    assert any(world.east1.name in text for text in notes)
    # The technician is told at once, in the app.
    assert Notification.objects.filter(user=tech, kind="complaint_new").count() == 1


def test_the_region_rule_applies_when_the_outlet_has_none(world, customer, region_tech, tech):
    RoutingRule.objects.create(unit=world.east, assignee=region_tech)
    case = _open(world, customer)
    assert case.assignee == region_tech


def test_the_outlet_rule_wins_over_the_region_rule(world, customer, region_tech, rule, tech):
    RoutingRule.objects.create(unit=world.east, assignee=region_tech)
    assert _open(world, customer).assignee == tech.staff


def test_without_rules_it_goes_to_the_department_head(world, customer):
    case = _open(world, customer)
    assert case.assignee == world.head.staff
    assert case.stage == "first_contact"


def test_a_technician_without_a_valid_licence_is_passed_over(world, customer, rule, region_tech):
    RoutingRule.objects.create(unit=world.east, assignee=region_tech)
    staff = rule.assignee
    staff.work_licence = False
    staff.save()
    assert _open(world, customer).assignee == region_tech


def test_with_nobody_to_take_it_it_waits_at_intake_for_a_dispatcher(world, customer):
    head = world.head
    head.is_active = False
    head.save()
    case = _open(world, customer)
    assert case.assignee is None and case.stage == "intake"
    # A dispatcher hands it over, then sends it on.
    from manyi.cases import actions as cases

    case = actions.reassign(
        actor=world.manager,
        case=case,
        assignee=world.manager.staff,
        reason="无人值守，由店长接手",
        version=case.version,
    )
    case = cases.move(actor=world.rep, case=case, move="dispatch", version=case.version)
    assert case.stage == "first_contact" and case.assignee == world.manager.staff


def test_a_complaint_about_a_technician_goes_to_the_outlet_manager(world, customer, rule, tech):
    case = _open(world, customer, about_staff=tech.staff)
    assert case.assignee == world.manager.staff  # not the technician the rule names
    assert case.complaint.about_staff == tech.staff


def test_a_complaint_about_the_outlet_manager_goes_up_the_tree(world, customer, rule):
    # No manager at the region: the department head.
    case = _open(world, customer, about_staff=world.manager.staff)
    assert case.assignee == world.head.staff
    # With an area manager at the region, it goes to them.
    area = org.create_staff(
        actor=world.head,
        unit=world.east,
        username="area_manager",
        name="片区经理",
        role=Role.OUTLET_MANAGER,
        password="x-Test-pass-2026",
    )
    second = _open(world, customer, about_staff=world.manager.staff)
    assert second.assignee == area


def test_a_complaint_about_staff_is_never_handed_to_that_person(world, customer, rule, tech):
    case = _open(world, customer, about_staff=tech.staff)
    with pytest.raises(InvalidInput) as exc:
        actions.reassign(
            actor=fresh_user(world.manager),
            case=case,
            assignee=tech.staff,
            reason="技术员有空",
            version=case.version,
        )
    assert exc.value.field_errors()[0][0] == "assignee"
    case.refresh_from_db()
    assert case.assignee == world.manager.staff


def test_changing_the_person_keeps_the_reason_on_the_timeline(world, customer, rule, tech):
    case = _open(world, customer)
    case = actions.reassign(
        actor=world.rep,
        case=case,
        assignee=world.manager.staff,
        reason="客户要求换人",
        version=case.version,
    )
    assert case.assignee == world.manager.staff
    notes = list(case.events.filter(kind=EventKind.NOTE).values_list("text", flat=True))
    assert "客户要求换人" in notes[-1]
    assert case.events.filter(kind=EventKind.ASSIGN).count() == 2  # routing, then the change


def test_no_way_of_assigning_gives_it_to_the_person_complained_about(
    client, world, customer, rule, tech
):
    from conftest import assert_problem, auth, send
    from manyi.cases import actions as cases

    case = _open(world, customer, about_staff=tech.staff)
    with pytest.raises(InvalidInput):
        cases.assign(actor=world.rep, case=case, assignee=tech.staff, version=case.version)
    with pytest.raises(InvalidInput):
        cases.bulk_reassign(actor=world.rep, cases=[case.pk], assignee=tech.staff, reason="休假")
    r = send(
        client,
        "post",
        f"/api/v1/cases/{case.pk}/assign",
        auth(world.rep),
        {"assignee_id": tech.staff.pk, "version": case.version},
    )
    assert_problem(r, 422)
    case.refresh_from_db()
    assert case.assignee == world.manager.staff
