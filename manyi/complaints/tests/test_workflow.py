"""The complaint's steps through the actions: first contact, the seed's no-money-before-the-site
rule, approval above a unit's limit, the ruling, the follow-up call, the return visit, merge and
close — each with its rejections."""

import pytest
import time_machine

from conftest import fresh_user
from manyi.cases import actions as cases
from manyi.cases.models import Attachment, EventKind
from manyi.complaints import actions
from manyi.complaints.models import CompensationLimit, Complaint, Experiment
from manyi.complaints.policy import causes_for, compensation_limit_for
from manyi.errors import (
    Conflict,
    InvalidInput,
    InvalidMove,
    OutOfScope,
    StaleVersion,
    both_languages,
)
from manyi.notify.models import Notification

from .conftest import PNG, at


def _fields(exc):
    return [f for f, _m in exc.value.field_errors()]


# -- first contact ------------------------------------------------------------------------------


def test_first_contact_needs_the_calls_and_a_booked_visit(world, take, tech):
    case = take()
    with pytest.raises(InvalidInput) as exc:
        cases.move(actor=tech, case=case, move="contacted", version=case.version)
    assert _fields(exc) == ["call"]
    actions.log_call(actor=tech, case=case, party="customer", outcome="no_answer")
    case.refresh_from_db()
    assert case.complaint.first_contact_at is None  # an unanswered call is not contact
    with time_machine.travel(at(2026, 3, 9, 10, 20), tick=False):
        actions.log_call(actor=tech, case=case, party="customer", outcome="reached")
    case.refresh_from_db()
    assert case.complaint.first_contact_at == at(2026, 3, 9, 10, 20)
    with pytest.raises(InvalidInput) as exc:
        cases.move(actor=tech, case=case, move="contacted", version=case.version)
    assert _fields(exc) == ["installer_call"]
    actions.log_call(actor=tech, case=case, party="installer", outcome="no_answer")
    with pytest.raises(InvalidInput) as exc:
        cases.move(actor=tech, case=case, move="contacted", version=case.version)
    assert _fields(exc) == ["visit_at"]
    actions.book_visit(actor=tech, case=case, at=at(2026, 12, 3, 10, 0), place="现场")
    case.refresh_from_db()
    case = cases.move(actor=tech, case=case, move="contacted", version=case.version)
    assert case.stage == "preparation"


def test_without_an_installer_no_installer_call_is_needed(world, take, tech):
    case = take(installer_name="", installer_phone="")
    actions.log_call(actor=tech, case=case, party="customer", outcome="reached")
    actions.book_visit(actor=tech, case=case, at=at(2026, 12, 3, 10, 0))
    case.refresh_from_db()
    assert cases.move(actor=tech, case=case, move="contacted", version=case.version).stage == (
        "preparation"
    )


def test_moving_the_visit_needs_a_reason(world, take, tech):
    case = take()
    actions.book_visit(actor=tech, case=case, at=at(2026, 12, 3, 10, 0))
    with pytest.raises(InvalidInput) as exc:
        actions.book_visit(actor=tech, case=case, at=at(2026, 12, 4, 10, 0))
    assert _fields(exc) == ["reason"]
    complaint = actions.book_visit(
        actor=tech, case=case, at=at(2026, 12, 4, 10, 0), place="门店", reason="客户出差"
    )
    assert complaint.visit_at == at(2026, 12, 4, 10, 0) and complaint.visit_place == "门店"
    last = case.events.filter(kind=EventKind.NOTE).last()
    assert "客户出差" in last.text and "门店" in last.text


def test_another_technician_may_not_work_the_complaint(world, take, tech, make_customer):
    from manyi.org import actions as org
    from manyi.org.models import Role

    other = org.create_staff(
        actor=world.head,
        unit=world.east1,
        username="tech2",
        name="tech2",
        role=Role.TECHNICIAN,
        password="x-Test-pass-2026",
    )
    case = take()
    from manyi.errors import NotFound

    with pytest.raises(NotFound):  # a technician sees only their own cases
        actions.log_call(actor=other.user, case=case, party="customer", outcome="reached")
    with pytest.raises(OutOfScope):  # the front line takes complaints; it does not work them
        actions.book_visit(actor=world.sales, case=case, at=at(2026, 12, 3, 10, 0))


# -- no money before the site investigation ---------------------------------------------------


@pytest.mark.parametrize("kind", ["compensate", "refund", "replace"])
def test_money_cannot_be_recorded_before_the_site_investigation(world, take, tech, advance, kind):
    case = take()
    for stage in ("first_contact", "preparation"):
        case = advance(case, stage)
        with pytest.raises(InvalidMove) as exc:
            actions.propose_resolution(actor=tech, case=case, kind=kind, amount="200")
        assert "investigation" in both_languages(exc.value.message)["en"]
    assert not case.complaint.resolutions.exists()
    case = advance(case, "investigation")
    found = actions.propose_resolution(actor=tech, case=case, kind=kind, amount="200")
    assert found.status == "approved"


def test_even_an_explanation_waits_for_the_site(world, take, tech):
    case = take()
    with pytest.raises(InvalidMove):
        actions.propose_resolution(actor=tech, case=case, kind="explain")


def test_a_refund_needs_an_amount(world, take, tech, advance):
    case = advance(take(), "investigation")
    with pytest.raises(InvalidInput) as exc:
        actions.propose_resolution(actor=tech, case=case, kind="refund", amount="0")
    assert _fields(exc) == ["amount"]
    with pytest.raises(InvalidInput):
        actions.propose_resolution(actor=tech, case=case, kind="refund", amount="abc")


# -- approval above the limit -------------------------------------------------------------------


def _to_resolution(case, advance):
    return advance(case, "resolution")


def test_above_the_company_limit_a_manager_must_approve(world, take, tech, advance):
    case = _to_resolution(take(), advance)
    assert compensation_limit_for(case.unit) == (1000, None)
    found = actions.propose_resolution(
        actor=tech, case=case, kind="compensate", amount="1000.01", cost="1000.01"
    )
    assert found.status == "proposed"
    assert Notification.objects.filter(user=world.manager, kind="complaint_approval").exists()
    with pytest.raises(InvalidMove):
        actions.execute_resolution(actor=tech, resolution=found)
    with pytest.raises(OutOfScope):
        actions.approve_resolution(actor=tech, resolution=found, version=None)
    with pytest.raises(OutOfScope):
        actions.approve_resolution(actor=world.rep, resolution=found, version=None)
    approved = actions.approve_resolution(actor=world.manager, resolution=found, version=None)
    assert approved.status == "approved" and approved.approved_by == world.manager.staff
    with pytest.raises(Conflict):
        actions.approve_resolution(actor=world.head, resolution=found, version=None)
    done = actions.execute_resolution(actor=tech, resolution=found, cost="1200")
    assert done.status == "executed" and str(done.cost) == "1200.00"
    case.refresh_from_db()
    assert case.complaint.resolved_at == done.executed_at


def test_at_the_limit_no_approval_is_needed(world, take, tech, advance):
    case = _to_resolution(take(), advance)
    found = actions.propose_resolution(actor=tech, case=case, kind="refund", amount="1000")
    assert found.status == "approved" and found.approved_by is None


def test_the_outlets_own_limit_applies_before_the_regions_and_the_company(
    world, take, tech, advance
):
    CompensationLimit.objects.create(unit=world.east, amount=3000)
    assert compensation_limit_for(world.east1) == (3000, world.east)
    case = _to_resolution(take(), advance)
    ok = actions.propose_resolution(actor=tech, case=case, kind="replace", amount="2500")
    assert ok.status == "approved"
    CompensationLimit.objects.create(unit=world.east1, amount=500)
    assert compensation_limit_for(world.east1)[0] == 500
    waiting = actions.propose_resolution(actor=tech, case=case, kind="replace", amount="600")
    assert waiting.status == "proposed"
    # Rework and explanations are not money: no limit.
    free = actions.propose_resolution(actor=tech, case=case, kind="rework", cost="5000")
    assert free.status == "approved"


def test_nobody_approves_their_own_proposal(world, take, advance):
    case = _to_resolution(take(), advance)
    # A manager may propose on any complaint of the outlet, but not approve it as well.
    manager = fresh_user(world.manager)
    found = actions.propose_resolution(actor=manager, case=case, kind="refund", amount="2000")
    with pytest.raises(OutOfScope):
        actions.approve_resolution(actor=manager, resolution=found, version=None)
    assert actions.approve_resolution(actor=world.head, resolution=found, version=None).status == (
        "approved"
    )


def test_a_rejected_resolution_is_kept_with_the_reason(world, take, tech, advance):
    case = _to_resolution(take(), advance)
    found = actions.propose_resolution(actor=tech, case=case, kind="compensate", amount="3000")
    with pytest.raises(InvalidInput):
        actions.reject_resolution(actor=world.manager, resolution=found, reason="", version=None)
    rejected = actions.reject_resolution(
        actor=world.manager, resolution=found, reason="超出合理范围", version=None
    )
    assert rejected.status == "rejected" and "超出合理范围" in rejected.notes
    case.refresh_from_db()
    with pytest.raises(InvalidInput) as exc:
        cases.move(actor=tech, case=case, move="resolved", version=case.version)
    assert _fields(exc) == ["resolution"]


def test_an_open_proposal_holds_the_resolution_stage(world, take, tech, advance):
    case = _to_resolution(take(), advance)
    done = actions.propose_resolution(actor=tech, case=case, kind="rework", cost="300")
    actions.execute_resolution(actor=tech, resolution=done)
    actions.propose_resolution(actor=tech, case=case, kind="compensate", amount="5000")
    case.refresh_from_db()
    with pytest.raises(InvalidInput):
        cases.move(actor=tech, case=case, move="resolved", version=case.version)


def test_execution_waits_for_the_ruling(world, take, tech, advance):
    case = advance(take(), "investigation")
    found = actions.propose_resolution(actor=tech, case=case, kind="rework")
    with pytest.raises(InvalidMove):
        actions.execute_resolution(actor=tech, resolution=found)


# -- investigation, experiment, ruling ---------------------------------------------------------


def test_the_experiment_keeps_its_photos_on_the_timeline(world, take, tech, advance):
    case = advance(take(), "investigation")
    with pytest.raises(InvalidInput) as exc:
        actions.record_experiment(actor=tech, case=case, purpose="", material="", procedure="")
    assert set(_fields(exc)) == {"purpose", "material", "procedure"}
    found = actions.record_experiment(
        actor=tech,
        case=case,
        purpose="验证是否为基层潮湿",
        material="华彩净味墙面漆 HC20260213-01（未开罐）",
        unopened=True,
        procedure="按公司配比在干燥样板和潮湿样板上各刷两遍",
        result="潮湿样板起泡，干燥样板正常",
        photos=[PNG, PNG],
    )
    assert Experiment.objects.get() == found and found.unopened
    photos = Attachment.objects.filter(case=case, kind="photo")
    assert photos.count() == 2
    assert {a.event.data["experiment"] for a in photos} == {found.pk}


def test_the_ruling_needs_responsibility_and_an_active_cause(world, take, tech, advance):
    case = advance(take(), "ruling")
    cause = causes_for(world.company.pk)[1]
    with pytest.raises(InvalidInput) as exc:
        actions.rule(actor=tech, case=case, responsibility="", cause=cause, version=case.version)
    assert _fields(exc) == ["responsibility"]
    cause.active = False
    cause.save()
    with pytest.raises(InvalidInput) as exc:
        actions.rule(
            actor=tech, case=case, responsibility="installer", cause=cause, version=case.version
        )
    assert _fields(exc) == ["cause"]
    other = causes_for(world.other_company.pk)[0]  # another company's taxonomy
    with pytest.raises(InvalidInput):
        actions.rule(
            actor=tech, case=case, responsibility="installer", cause=other, version=case.version
        )
    with pytest.raises(StaleVersion):
        actions.rule(
            actor=tech,
            case=case,
            responsibility="installer",
            cause=causes_for(world.company.pk)[0],
            version=case.version - 1,
        )
    case = actions.rule(
        actor=tech,
        case=case,
        responsibility="installer",
        cause=causes_for(world.company.pk)[0],
        version=case.version,
    )
    complaint = Complaint.objects.get(case=case)
    assert complaint.responsibility == "installer" and complaint.ruled_at is not None
    assert case.stage == "resolution"


def test_the_cause_taxonomy_is_seeded_per_company(world):
    codes = [c.code for c in causes_for(world.company.pk)]
    assert codes == ["product", "policy", "operation", "installation", "other"]
    assert causes_for(world.company.pk)[0].name == "产品问题"  # written in the site's language


# -- follow-up and return visit -----------------------------------------------------------------


def test_closure_needs_the_emotional_follow_up_call(world, take, tech, advance):
    case = advance(take(), "follow_up")
    with pytest.raises(InvalidInput) as exc:
        cases.move(actor=tech, case=case, move="followed_up", version=case.version)
    assert _fields(exc) == ["follow_up"]
    actions.log_follow_up(actor=tech, case=case, outcome="no_answer")
    with pytest.raises(InvalidInput):
        cases.move(actor=tech, case=case, move="followed_up", version=case.version)
    actions.log_follow_up(actor=tech, case=case, outcome="reached", note="客户很满意")
    case = cases.move(actor=tech, case=case, move="followed_up", version=case.version)
    assert case.stage == "return_visit"
    assert Complaint.objects.get(case=case).follow_up_at is not None


def test_the_return_visit_is_scheduled_like_a_work_orders(world, take, tech, advance):
    from manyi.org.models import Unit

    Unit.objects.filter(pk=world.east1.pk).update(return_visit_days=10)
    case = advance(take(), "follow_up")
    actions.log_follow_up(actor=tech, case=case, outcome="reached")
    with time_machine.travel(at(2026, 11, 23, 15, 0), tick=False):
        case = cases.move(actor=tech, case=case, move="followed_up", version=case.version)
    # 10 calendar days, the outlet's own return-visit period (回访期限).
    assert case.due_at == at(2026, 12, 3, 23, 59, 59)
    with pytest.raises(InvalidInput):
        actions.record_return_visit(actor=world.rep, case=case, outcome="meh", version=case.version)
    case = actions.record_return_visit(
        actor=world.rep, case=case, outcome="not_satisfied", version=case.version
    )
    assert case.stage == "done" and case.closed_at is not None
    assert Complaint.objects.get(case=case).return_visit_outcome == "not_satisfied"


# -- merge and close ----------------------------------------------------------------------------


def test_a_duplicate_merges_and_both_timelines_stay(world, take, tech):
    kept = take()
    duplicate = take(channel="store", description="同一问题，客户到店又说了一次")
    actions.log_call(actor=tech, case=duplicate, party="customer", outcome="reached")
    before = duplicate.events.count()
    duplicate.refresh_from_db()
    merged = actions.merge(
        actor=world.rep, case=duplicate, into=kept, reason="重复投诉", version=duplicate.version
    )
    assert merged.stage == "merged" and merged.closed_at is not None
    assert Complaint.objects.get(case=merged).merged_into == kept.complaint
    assert merged.events.count() == before + 1  # nothing removed, the merge added
    last = kept.events.filter(kind=EventKind.NOTE).last()
    assert merged.number in last.text and last.data["merged"] == merged.pk
    # A duplicate of the merged one is merged into the one kept.
    third = take(channel="online")
    actions.merge(actor=world.rep, case=third, into=kept, version=third.version)
    assert set(kept.complaint.merged.values_list("case__number", flat=True)) == {
        merged.number,
        third.number,
    }


def test_merge_refusals(world, take, tech, advance, make_customer):
    kept = take()
    other = take(customer=make_customer(name="别人"))
    with pytest.raises(InvalidInput) as exc:
        actions.merge(actor=world.rep, case=other, into=kept, version=other.version)
    assert _fields(exc) == ["into"]
    with pytest.raises(InvalidInput):
        actions.merge(actor=world.rep, case=kept, into=kept, version=kept.version)
    with pytest.raises(OutOfScope):  # technicians do not merge
        actions.merge(actor=tech, case=kept, into=kept.pk + 1, version=kept.version)
    duplicate = advance(take(), "investigation")
    actions.propose_resolution(actor=tech, case=duplicate, kind="rework")
    duplicate.refresh_from_db()
    with pytest.raises(Conflict):
        actions.merge(actor=world.rep, case=duplicate, into=kept, version=duplicate.version)
    # The merge move needs the merge action (it names the complaint kept).
    with pytest.raises(InvalidInput):
        cases.move(actor=world.rep, case=kept, move="merge", version=kept.version)


def test_close_needs_a_reason_and_keeps_the_complaint(world, take):
    case = take()
    with pytest.raises(InvalidInput):
        actions.close(actor=world.rep, case=case, reason=" ", version=case.version)
    case = actions.close(actor=world.rep, case=case, reason="客户撤回", version=case.version)
    assert case.stage == "closed" and Complaint.objects.filter(case=case).exists()
    with pytest.raises(InvalidMove):
        actions.log_call(actor=world.rep, case=case, party="customer", outcome="reached")
