"""The closed loop: an unhappy answer opens a follow-up for the outlet manager with the answers
attached (a case of the survey follow-up workflow, or a complaint per company rule); praise."""

import pytest
import time_machine
from django.db import connection

from manyi import clock
from manyi.cases import actions as cases
from manyi.cases.models import Case
from manyi.errors import DomainError, InvalidInput, NotFound, OutOfScope
from manyi.notify.models import Notification
from manyi.surveys import actions, answering, settings_actions, tasks
from manyi.surveys.models import FollowUp, FollowUpAs, Invitation, Praise, SurveyResponse

from .conftest import CSI_ALL_FIVES, close_order


@pytest.fixture
def ask(frozen, world, consenting, campaign_data, version):
    """Invite one consenting customer of east-1 to an instrument; returns the token."""

    def invite(code, customer=None):
        customer = customer or consenting(name="张伟")
        campaign = actions.create_campaign(
            actor=world.head,
            data=campaign_data(version=version(code).pk, target={"outlets": [world.east1.pk]}),
        )
        actions.launch_campaign(actor=world.head, campaign=campaign)
        actions.send_due_invitations()
        return Invitation.objects.get(campaign=campaign, customer=customer).token

    return invite


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Call an action as if its transaction committed: what it left for after the commit (the
    follow-up task, inline in the tests) runs before the call returns."""

    def run(action, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(**kwargs)

    return run


def test_a_detractor_opens_a_follow_up_case_for_the_outlet_manager(world, ask, committed):
    token = ask("nps")
    response, _new = committed(
        answering.submit_invitation, token=token, answers={"recommend": 3, "reason": "等太久"}
    )
    assert response.nps_category == "detractor" and response.unhappy
    follow_up = FollowUp.objects.get(response=response)
    assert follow_up.reasons == ["detractor", "low_index"]
    case = follow_up.case
    assert case.kind == "survey_followup" and case.stage == "call_back"
    assert case.assignee.user == world.manager and case.unit == world.east1
    assert case.created_by is None  # opened by the system
    assert "等太久" in case.description and "3" in case.description
    assert follow_up.due_at == case.due_at is not None
    assert Notification.objects.filter(user=world.manager, kind="survey_follow_up").exists()


def test_passives_and_promoters_open_nothing(world, ask, consenting, committed):
    for value in (7, 10):
        response, _new = committed(
            answering.submit_invitation,
            token=ask("nps", consenting()),
            answers={"recommend": value},
        )
        assert not response.unhappy and response.follow_up_pending == ""
    assert not FollowUp.objects.exists()


def test_a_low_index_opens_a_follow_up(world, ask, committed):
    answers = {**CSI_ALL_FIVES, **{f"q{n}": 2 for n in range(1, 17)}}
    response, _new = committed(answering.submit_invitation, token=ask("csi"), answers=answers)
    assert response.index == pytest.approx(25.0)
    assert FollowUp.objects.get(response=response).reasons == ["low_index"]


def test_the_threshold_is_the_company_rule(world, ask, committed):
    settings_actions.save_policy(
        actor=world.head, low_index=20, follow_up_as=FollowUpAs.FOLLOW_UP, follow_up_days=2
    )
    answers = {**CSI_ALL_FIVES, **{f"q{n}": 2 for n in range(1, 17)}}
    committed(answering.submit_invitation, token=ask("csi"), answers=answers)
    assert not FollowUp.objects.exists()


def test_not_satisfied_on_the_inquiry_opens_a_follow_up(world, ask, committed):
    answers = {"satisfied": "not_satisfied", "reasons": ["install"], "detail": "安装师傅迟到"}
    response, _new = committed(
        answering.submit_invitation, token=ask("install-inquiry"), answers=answers
    )
    assert "not_satisfied" in FollowUp.objects.get(response=response).reasons


def test_the_company_rule_may_open_a_complaint_instead(world, ask, committed):
    settings_actions.save_policy(
        actor=world.head, low_index=60, follow_up_as=FollowUpAs.COMPLAINT, follow_up_days=1
    )
    response, _new = committed(
        answering.submit_invitation, token=ask("nps"), answers={"recommend": 0}
    )
    follow_up = FollowUp.objects.get(response=response)
    assert follow_up.opened_as == FollowUpAs.COMPLAINT
    complaint = follow_up.case.complaint
    assert complaint.channel == "survey"
    assert complaint.source_ref == f"survey-response:{response.pk}"


def test_resolving_the_case_closes_the_follow_up(world, ask, committed):
    committed(answering.submit_invitation, token=ask("nps"), answers={"recommend": 2})
    follow_up = FollowUp.objects.get()
    case = follow_up.case
    with pytest.raises(InvalidInput):  # what was agreed must be written down
        cases.move(actor=world.manager, case=case, move="resolve", version=case.version)
    cases.move(
        actor=world.manager,
        case=case,
        move="resolve",
        version=case.version,
        payload={"reason": "已致电道歉，下周上门复查"},
    )
    follow_up.refresh_from_db()
    assert follow_up.closed_at is not None and follow_up.closed_by == world.manager
    assert follow_up.outcome == "已致电道歉，下周上门复查"


def test_an_anonymous_walk_in_is_followed_up_without_a_case(frozen, world, version, committed):
    point = settings_actions.save_walk_in_point(
        actor=world.manager, unit=world.east1.pk, version=version("nps").pk
    )
    response, _new = committed(
        answering.submit_walk_in,
        token=point.token,
        answers={"recommend": 1},
        phone="139 0000 1234",
    )
    assert response.customer is None and response.contact_phone == "13900001234"
    follow_up = FollowUp.objects.get(response=response)
    assert follow_up.case is None and follow_up.due_at is not None
    with pytest.raises(InvalidInput):
        answering.close_follow_up(actor=world.manager, follow_up=follow_up, outcome="")
    with pytest.raises(NotFound):
        answering.close_follow_up(actor=world.south_manager, follow_up=follow_up, outcome="好")
    answering.close_follow_up(actor=world.manager, follow_up=follow_up, outcome="已回电")
    with pytest.raises(DomainError):
        answering.close_follow_up(actor=world.manager, follow_up=follow_up, outcome="再关")


def test_a_walk_in_with_a_known_phone_is_followed_up_as_a_case(
    frozen, world, version, consenting, committed
):
    customer = consenting(phone="13912345678")
    point = settings_actions.save_walk_in_point(
        actor=world.head, unit=world.east1.pk, version=version("nps").pk
    )
    response, _new = committed(
        answering.submit_walk_in, token=point.token, answers={"recommend": 4}, phone="13912345678"
    )
    assert response.customer == customer
    assert FollowUp.objects.get().case.customer == customer


def test_praise_for_the_technician_of_a_promoter(frozen, world, consenting, served, version):
    settings_actions.save_trigger(
        actor=world.head, case_kind="workorder", version=version("nps").pk
    )
    order = close_order(world, served(consenting()))
    invitation = Invitation.objects.get(case=order)
    response, _new = answering.submit_invitation(
        token=invitation.token, answers={"recommend": 10, "reason": "师傅很专业"}
    )
    assert response.technician_id == order.assignee_id
    with pytest.raises(OutOfScope):
        answering.record_praise(actor=world.tech, response=response)
    praise = answering.record_praise(actor=world.manager, response=response, text="师傅很专业")
    assert praise.technician_id == order.assignee_id and praise.month == response.month
    with pytest.raises(DomainError):
        answering.record_praise(actor=world.manager, response=response)
    assert Praise.objects.count() == 1


def test_a_detractor_is_no_praise(frozen, world, consenting, served, version):
    settings_actions.save_trigger(
        actor=world.head, case_kind="workorder", version=version("nps").pk
    )
    order = close_order(world, served(consenting()))
    token = Invitation.objects.get(case=order).token
    response, _new = answering.submit_invitation(token=token, answers={"recommend": 5})
    with pytest.raises(DomainError):
        answering.record_praise(actor=world.manager, response=response)


def test_the_answer_is_acknowledged_before_its_follow_up_is_opened(
    world, ask, django_capture_on_commit_callbacks
):
    """The follow-up is not part of the submission: the task runs once the answer is
    committed; until then the response carries its reasons as pending."""
    token = ask("nps")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response, new = answering.submit_invitation(token=token, answers={"recommend": 2})
    assert new and response.unhappy and response.follow_up_pending == "detractor,low_index"
    assert not FollowUp.objects.exists() and len(callbacks) == 1
    callbacks[0]()  # the commit: the task (inline in the tests) opens it
    follow_up = FollowUp.objects.get(response=response)
    assert follow_up.reasons == ["detractor", "low_index"] and follow_up.case is not None
    response.refresh_from_db()
    assert response.follow_up_pending == ""


def test_a_retried_submission_or_task_opens_one_follow_up(world, ask, committed):
    token = ask("nps")
    response, _new = committed(answering.submit_invitation, token=token, answers={"recommend": 1})
    again, new = committed(answering.submit_invitation, token=token, answers={"recommend": 1})
    assert again == response and not new
    # The task delivered twice (a queue's at-least-once), and the sweep after the grace time.
    assert answering.open_pending_follow_up(response.pk) is None
    tasks.open_follow_up.enqueue(response.pk)
    assert actions.open_due_follow_ups(now=clock.now() + actions.FOLLOW_UP_GRACE) == 0
    assert FollowUp.objects.filter(response=response).count() == 1
    assert Case.objects.filter(kind="survey_followup").count() == 1


def test_a_worker_crash_leaves_the_follow_up_to_the_sweep(world, ask, committed, monkeypatch):
    """The task fails halfway (the case engine down, the worker killed): the answer stays,
    nothing of the follow-up is kept, and the sweep opens it once, later."""
    token = ask("nps")

    def broken(*args, **kwargs):
        raise RuntimeError("case engine down")

    monkeypatch.setattr(answering.cases, "open_case", broken)
    # The task fails (the backend records the error); the submission was acknowledged.
    _response, new = committed(answering.submit_invitation, token=token, answers={"recommend": 1})
    assert new
    response = SurveyResponse.objects.get(invitation__token=token)
    assert response.unhappy and response.follow_up_pending == "detractor,low_index"
    assert Invitation.objects.get(token=token).answered_at is not None
    assert not FollowUp.objects.exists()
    assert not Case.objects.filter(kind="survey_followup").exists()
    # The sweep waits for the task's grace time, then fails again (logged, left pending) …
    assert actions.sweep()["followed_up"] == 0
    later = clock.now() + actions.FOLLOW_UP_GRACE
    assert actions.open_due_follow_ups(now=later) == 0
    assert not FollowUp.objects.exists()
    # … and once the case engine is back, opens it, once.
    monkeypatch.undo()
    assert actions.open_due_follow_ups(now=later) == 1
    assert actions.open_due_follow_ups(now=later) == 0
    follow_up = FollowUp.objects.get(response=response)
    assert follow_up.case.kind == "survey_followup"
    assert Case.objects.filter(kind="survey_followup").count() == 1
    response.refresh_from_db()
    assert response.follow_up_pending == ""


def test_a_lost_task_is_made_up_by_the_sweep(world, ask, django_capture_on_commit_callbacks):
    """The process died between the commit and the enqueue: no task ever runs."""
    token = ask("csi")
    answers = {**CSI_ALL_FIVES, **{f"q{n}": 1 for n in range(1, 17)}}
    with django_capture_on_commit_callbacks(execute=False):
        response, _new = answering.submit_invitation(token=token, answers=answers)
    assert actions.open_due_follow_ups() == 0  # within the grace time: the task's turn
    with time_machine.travel(clock.now() + actions.FOLLOW_UP_GRACE, tick=False):
        assert actions.sweep()["followed_up"] == 1
    assert FollowUp.objects.get(response=response).reasons == ["low_index"]


def test_a_follow_up_claimed_by_another_worker_is_not_opened_twice(world, ask):
    """Two runs at once: the second's conditional update finds the mark already cleared."""
    token = ask("nps")
    response, _new = answering.submit_invitation(token=token, answers={"recommend": 0})
    SurveyResponse.objects.filter(pk=response.pk).update(follow_up_pending="")  # the other one
    assert answering.open_pending_follow_up(response.pk) is None
    assert not FollowUp.objects.exists()


def test_a_submission_is_a_few_statements(world, ask, django_assert_num_queries):
    """The burst path: the link with the company's rule (1), then the claim, the response, its
    factor and answer rows and four rollup upserts — on PostgreSQL one statement, elsewhere 8
    in one transaction (here a savepoint and its release); nothing of the follow-up."""
    token = ask("csi")
    answers = {**CSI_ALL_FIVES, "q3": 1, "comment": "交车时间太长"}
    expected = 1 + 1 if connection.vendor == "postgresql" else 1 + 2 + 8
    with django_assert_num_queries(expected):
        response, _new = answering.submit_invitation(token=token, answers=answers)
    assert response.pk and not response.unhappy
    stored = SurveyResponse.objects.get(pk=response.pk)
    assert stored.invitation.answered_at is not None and stored.answers["comment"] == "交车时间太长"
    assert stored.factor_scores.count() == 5 and stored.answer_rows.count() >= 17
