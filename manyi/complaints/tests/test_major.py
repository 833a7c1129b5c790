"""Major complaints (重大投诉): safety, media, an amount above the threshold, or repeated —
escalated to the regional supervisors, kept informed, with the tighter first-contact clock."""

import pytest
import time_machine

from manyi.complaints import actions
from manyi.complaints.models import ComplaintPolicy
from manyi.errors import Conflict, InvalidInput
from manyi.notify.models import Notification
from manyi.org import actions as org
from manyi.org.models import Role

from .conftest import at


@pytest.fixture
def supervisor(world):
    """The east region's area manager: the regional supervisor."""
    return org.create_staff(
        actor=world.head,
        unit=world.east,
        username="area_manager",
        name="片区经理",
        role=Role.OUTLET_MANAGER,
        password="x-Test-pass-2026",
    )


def _major_notes(user):
    return Notification.objects.filter(user=user, kind="complaint_major")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"safety": True}, "safety"),
        ({"media": True}, "media"),
        ({"amount_claimed": "5000.01"}, "amount"),
    ],
)
def test_each_reason_escalates_at_intake(world, take, supervisor, fields, reason):
    # Friday 16:00, major: 1 business hour, so due at 17:00 the same day (normal: Monday 09:00).
    with time_machine.travel(at(2026, 3, 6, 16, 0), tick=False):
        case = take(**fields)
    complaint = case.complaint
    assert complaint.severity == "major" and complaint.major_reasons == [reason]
    assert complaint.escalated_at is not None
    assert case.priority == "urgent"
    assert case.due_at == at(2026, 3, 6, 17, 0)
    assert list(complaint.watchers.all()) == [supervisor]
    assert _major_notes(supervisor.user).count() == 1


def test_an_amount_at_the_threshold_is_not_major(world, take):
    case = take(amount_claimed="5000.00")
    assert case.complaint.severity == "normal"


def test_a_repeated_complaint_is_major(world, take, supervisor):
    first = take()
    assert first.complaint.severity == "normal"
    second = take(description="又起泡了")
    assert second.complaint.major_reasons == ["repeated"]
    # The company counts three within 30 days instead.
    ComplaintPolicy.objects.filter(company=world.company).update(
        repeat_count=4, repeat_window_days=30
    )
    assert take(description="第三次").complaint.severity == "normal"


def test_a_complaint_outside_the_window_is_not_repeated(world, take):
    with time_machine.travel(at(2026, 1, 5, 10, 0), tick=False):
        take()
    with time_machine.travel(at(2026, 4, 6, 10, 0), tick=False):  # 91 days later
        assert take().complaint.severity == "normal"


def test_without_a_regional_supervisor_the_department_head_is_told(world, take):
    case = take(safety=True)
    assert list(case.complaint.watchers.all()) == [world.head.staff]
    assert _major_notes(world.head).count() == 1


def test_supervisors_are_kept_informed_of_each_step(world, take, supervisor, tech, advance):
    case = take(media=True)
    advance(case, "preparation")
    titles = list(_major_notes(supervisor.user).values_list("title", flat=True))
    assert len(titles) == 2 and case.number in titles[0]


def test_a_large_resolution_escalates_later(world, take, supervisor, tech, advance):
    case = advance(take(), "investigation")
    assert case.complaint.severity == "normal"
    actions.propose_resolution(actor=tech, case=case, kind="refund", amount="8000")
    case.refresh_from_db()
    assert case.complaint.major_reasons == ["amount"] and case.priority == "urgent"
    assert _major_notes(supervisor.user).count() == 1


def test_escalating_by_hand_tightens_the_first_contact_clock(world, take, supervisor, tech):
    with time_machine.travel(at(2026, 3, 9, 9, 0), tick=False):
        case = take()
        assert case.due_at == at(2026, 3, 9, 11, 0)
    with time_machine.travel(at(2026, 3, 9, 9, 30), tick=False):
        case = actions.escalate(actor=tech, case=case, reasons=["safety"], version=case.version)
    assert case.due_at == at(2026, 3, 9, 10, 0)  # 1 business hour from intake
    with pytest.raises(Conflict):
        actions.escalate(actor=tech, case=case, reasons=["safety"], version=case.version)
    with pytest.raises(InvalidInput):
        actions.escalate(actor=tech, case=case, reasons=["weather"], version=case.version)
    case = actions.escalate(actor=tech, case=case, reasons=["media"], version=case.version)
    assert case.complaint.major_reasons == ["safety", "media"]
    # The supervisors heard once, at the first escalation.
    assert _major_notes(supervisor.user).count() == 1


def test_the_clock_of_a_complaint_already_contacted_is_not_changed(world, take, tech, advance):
    case = advance(take(), "preparation")
    due = case.due_at
    case = actions.escalate(actor=tech, case=case, reasons=["safety"], version=case.version)
    assert case.due_at == due


def test_a_service_representative_may_escalate_any_complaint(world, take, supervisor):
    case = take()
    case = actions.escalate(actor=world.rep, case=case, reasons=["media"], version=case.version)
    assert case.complaint.severity == "major"
