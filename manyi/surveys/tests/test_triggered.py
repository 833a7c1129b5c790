"""Triggered surveys: closing a work order (or a complaint) invites its customer after the
configured delay, once per case, only with survey consent."""

import datetime as dt

import pytest
import time_machine

from manyi.cases import actions as cases
from manyi.errors import InvalidInput, OutOfScope
from manyi.org.models import Industry
from manyi.surveys import actions, settings_actions
from manyi.surveys.models import CaseKind, Invitation, TriggerSetting

from .conftest import NOW, at, close_order


@pytest.fixture
def trigger(world, version):
    return settings_actions.save_trigger(
        actor=world.head, case_kind=CaseKind.WORKORDER, version=version("feedback-form").pk
    )


def test_closing_a_work_order_invites_its_customer_after_the_delay(
    frozen, world, consenting, served, trigger
):
    customer = consenting(name="韩梅梅")
    order = served(customer)
    assert not Invitation.objects.exists()  # archived is not closed
    order = close_order(world, order)
    invitation = Invitation.objects.get()
    assert invitation.case_id == order.pk and invitation.customer_id == customer.pk
    # Paint dealer: the default 72 hours later (Thursday 10:00), valid 14 days from then.
    assert trigger.delay_hours == 72
    assert invitation.send_at == NOW + dt.timedelta(hours=72)
    assert invitation.expires_at == invitation.send_at + dt.timedelta(days=14)
    assert invitation.technician_id == order.assignee_id
    assert invitation.version_id == trigger.version_id


def test_the_invitation_is_sent_when_due_and_not_before(frozen, world, consenting, served, trigger):
    from manyi.notify.models import Message

    customer = consenting()
    close_order(world, served(customer))
    assert actions.send_due_invitations() == 0
    frozen.shift(dt.timedelta(hours=72))
    assert actions.send_due_invitations() == 1
    invitation = Invitation.objects.get()
    message = Message.objects.get(ref=f"survey:{invitation.pk}")
    assert message.to == customer.phone and f"/s/{invitation.token}/" in message.body
    assert actions.send_due_invitations() == 0  # claimed once


def test_one_survey_per_case_even_when_closed_twice(frozen, world, consenting, served, trigger):
    order = close_order(world, served(consenting()))
    invitation = Invitation.objects.get()
    # Closing again (the hook runs again, e.g. a reopened case) invites nobody new.
    actions.on_case_closed(case=order, actor=world.rep, source="return_visit", move="close")
    assert Invitation.objects.get() == invitation


def test_the_database_holds_one_survey_per_case(frozen, world, consenting, served, trigger):
    """The constraint itself, not only the action's check (a migration once dropped its index
    on PostgreSQL)."""
    from django.db import IntegrityError, transaction

    order = close_order(world, served(consenting()))
    first = Invitation.objects.get(case=order)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.create(
            company=first.company,
            case=order,
            customer=first.customer,
            version=first.version,
            unit=first.unit,
            channel=first.channel,
            send_at=first.send_at,
            expires_at=first.expires_at,
        )


def test_no_survey_without_consent(frozen, world, make_customer, served, trigger):
    close_order(world, served(make_customer(survey_consent=False)))
    assert not Invitation.objects.exists()


def test_no_survey_without_a_trigger_or_when_it_is_off(frozen, world, consenting, served, version):
    close_order(world, served(consenting()))
    assert not Invitation.objects.exists()
    settings_actions.save_trigger(
        actor=world.head,
        case_kind=CaseKind.WORKORDER,
        version=version("feedback-form").pk,
        enabled=False,
    )
    close_order(world, served(consenting()))
    assert not Invitation.objects.exists()


def test_a_cancelled_order_asks_nothing(frozen, world, consenting, trigger):
    from manyi.workorders import actions as workorders

    order = workorders.take_order(
        actor=world.sales, customer=consenting(), site_address="文三路1号"
    )
    cases.move(
        actor=world.rep,
        case=order,
        move="cancel",
        version=order.version,
        payload={"reason": "客户取消"},
    )
    assert not Invitation.objects.exists()


def test_an_industry_row_wins_over_the_company_default(world, version):
    default = settings_actions.save_trigger(
        actor=world.head, case_kind=CaseKind.WORKORDER, version=version("csat").pk
    )
    car = settings_actions.save_trigger(
        actor=world.head,
        case_kind=CaseKind.WORKORDER,
        version=version("csi").pk,
        industry=Industry.CAR_DEALER,
    )
    # Car service asks within three days (004 §3.2 item 19): by default the next day.
    assert car.delay_hours == 24 and default.delay_hours == 72
    company = world.company.pk
    assert actions.trigger_for(company, CaseKind.WORKORDER, Industry.CAR_DEALER) == car
    assert actions.trigger_for(company, CaseKind.WORKORDER, Industry.PAINT_DEALER) == default


def test_a_closed_complaint_is_surveyed_by_its_own_trigger(world, consenting, version):
    from manyi.complaints.actions import open_complaint

    settings_actions.save_trigger(
        actor=world.head, case_kind=CaseKind.COMPLAINT, version=version("nps").pk, delay_hours=2
    )
    with time_machine.travel(at(2026, 11, 2, 20, 30), tick=False):
        case = open_complaint(actor=world.rep, customer=consenting(), description="墙面起泡")
        # The complaint workflow's own moves are tested in complaints; here its closing.
        case.stage, case.closed_at = "done", at(2026, 11, 2, 20, 30)
        actions.on_case_closed(case=case, actor=world.rep, source="return_visit", move="visited")
    invitation = Invitation.objects.get(case=case)
    # Due 22:30 falls in the quiet hours: sent at 08:00 the next morning.
    assert invitation.send_at == at(2026, 11, 3, 8, 0)


def test_only_company_wide_managers_change_triggers(world, version):
    for user in (world.manager, world.tech, world.outsider):
        with pytest.raises(OutOfScope):
            settings_actions.save_trigger(
                actor=user, case_kind=CaseKind.WORKORDER, version=version("csat").pk
            )
    assert not TriggerSetting.objects.exists()


def test_trigger_input_is_checked(world, version):
    with pytest.raises(InvalidInput):
        settings_actions.save_trigger(
            actor=world.head, case_kind="lunch", version=version("csat").pk
        )
    with pytest.raises(InvalidInput):
        settings_actions.save_trigger(
            actor=world.head,
            case_kind=CaseKind.WORKORDER,
            version=version("csat").pk,
            delay_hours=99999,
        )
    with pytest.raises(InvalidInput):
        settings_actions.save_trigger(actor=world.head, case_kind=CaseKind.WORKORDER, version=0)
