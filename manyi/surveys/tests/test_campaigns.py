"""Campaigns: whom they invite (consent, target, once each), launch and cancel, who may."""

import datetime as dt

import pytest

from manyi.errors import DomainError, InvalidInput, NotFound, OutOfScope
from manyi.surveys import actions
from manyi.surveys.models import Campaign, CampaignStatus, Invitation, TargetSource

from .conftest import NOW, close_order


def test_only_customers_who_agreed_are_invited(
    frozen, world, consenting, make_customer, campaign_data
):
    yes = [consenting(), consenting(outlet=world.south1)]
    make_customer(survey_consent=False)
    make_customer(outlet=world.east2)  # no consent either
    campaign = actions.create_campaign(actor=world.head, data=campaign_data())
    actions.launch_campaign(actor=world.head, campaign=campaign)
    invited = set(Invitation.objects.filter(campaign=campaign).values_list("customer", flat=True))
    assert invited == {c.pk for c in yes}
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SCHEDULED


def test_the_target_narrows_by_outlet_segment_tag_and_purchase(
    frozen, world, consenting, campaign_data
):
    from manyi.customers.actions import add_purchase

    young = consenting(age_band="u25", tags=["老客户"])
    consenting(age_band="60p")
    south = consenting(outlet=world.south1, age_band="u25")
    add_purchase(
        actor=world.head,
        customer=young,
        data={"product": "墙面漆", "purchased_on": dt.date(2026, 10, 1), "quantity": 1},
    )

    def invited(**target):
        campaign = actions.create_campaign(actor=world.head, data=campaign_data(target=target))
        actions.launch_campaign(actor=world.head, campaign=campaign)
        return set(Invitation.objects.filter(campaign=campaign).values_list("customer", flat=True))

    assert invited(age_band="u25") == {young.pk, south.pk}
    assert invited(age_band="u25", outlets=[world.east1.pk]) == {young.pk}
    assert invited(tag="老客户") == {young.pk}
    assert invited(purchased_from="2026-09-01", purchased_to="2026-10-31") == {young.pk}


def test_a_regional_campaign_asks_its_region_only(frozen, world, consenting, campaign_data):
    east = consenting()
    consenting(outlet=world.south1)
    campaign = actions.create_campaign(actor=world.head, data=campaign_data(unit=world.east.pk))
    actions.launch_campaign(actor=world.head, campaign=campaign)
    assert list(Invitation.objects.values_list("customer", flat=True)) == [east.pk]


def test_customers_of_closed_cases_once_each_with_their_technician(
    frozen, world, consenting, served, campaign_data
):
    customer = consenting()
    first = close_order(world, served(customer))
    close_order(world, served(customer))
    served(consenting())  # not closed yet
    campaign = actions.create_campaign(
        actor=world.head,
        data=campaign_data(source=TargetSource.CLOSED_CASES, target={"case_kind": "workorder"}),
    )
    actions.launch_campaign(actor=world.head, campaign=campaign)
    invitation = Invitation.objects.get(campaign=campaign)
    assert invitation.customer_id == customer.pk
    assert invitation.technician_id == first.assignee_id
    assert invitation.case_id is None  # the case's own survey is the trigger's


def test_a_target_with_nobody_is_refused(frozen, world, make_customer, campaign_data):
    make_customer(survey_consent=False)
    campaign = actions.create_campaign(actor=world.head, data=campaign_data())
    with pytest.raises(InvalidInput):
        actions.launch_campaign(actor=world.head, campaign=campaign)
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DRAFT


def test_launch_twice_is_refused(frozen, world, consenting, campaign_data):
    consenting()
    campaign = actions.create_campaign(actor=world.head, data=campaign_data())
    actions.launch_campaign(actor=world.head, campaign=campaign)
    with pytest.raises(DomainError):
        actions.launch_campaign(actor=world.head, campaign=campaign)
    assert Invitation.objects.count() == 1


def test_cancel_withdraws_unanswered_links(frozen, world, consenting, campaign_data):
    consenting()
    campaign = actions.create_campaign(actor=world.head, data=campaign_data())
    actions.launch_campaign(actor=world.head, campaign=campaign)
    actions.cancel_campaign(actor=world.head, campaign=campaign)
    assert Invitation.objects.get().state() == "cancelled"
    assert actions.send_due_invitations() == 0
    with pytest.raises(DomainError):
        actions.cancel_campaign(actor=world.head, campaign=campaign)


def test_a_launched_campaign_cannot_be_changed(frozen, world, consenting, campaign_data):
    consenting()
    campaign = actions.create_campaign(actor=world.head, data=campaign_data())
    actions.launch_campaign(actor=world.head, campaign=campaign)
    with pytest.raises(DomainError):
        actions.update_campaign(actor=world.head, campaign=campaign, data=campaign_data(name="新"))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"version": 999999}, "version"),
        ({"channels": ["fax"]}, "channels"),
        ({"deadline_at": NOW - dt.timedelta(days=1)}, "deadline_at"),
        ({"deadline_at": NOW + dt.timedelta(days=400)}, "deadline_at"),
        ({"target": {"age_band": "old"}}, "age_band"),
        ({"target": {"purchased_from": "not a date"}}, "purchased_from"),
        ({"reminder_after_hours": 0}, "reminder_after_hours"),
    ],
)
def test_bad_campaigns_are_refused_by_field(frozen, world, campaign_data, overrides, field):
    with pytest.raises(InvalidInput) as caught:
        actions.create_campaign(actor=world.head, data=campaign_data(**overrides))
    assert field in [f for f, _m in caught.value.errors]
    assert not Campaign.objects.exists()


def test_a_draft_version_cannot_be_sent(frozen, world, campaign_data):
    from manyi.instruments import actions as instruments

    instrument = instruments.create_instrument(
        actor=world.head, data={"code": "mine", "name": "我的问卷", "kind": "survey"}
    )
    draft = instrument.versions.get()
    with pytest.raises(InvalidInput):
        actions.create_campaign(actor=world.head, data=campaign_data(version=draft.pk))


def test_an_outlet_manager_runs_campaigns_for_their_outlet_only(
    frozen, world, consenting, campaign_data
):
    mine = consenting()
    consenting(outlet=world.east2)
    with pytest.raises(InvalidInput):
        actions.create_campaign(actor=world.manager, data=campaign_data())
    campaign = actions.create_campaign(actor=world.manager, data=campaign_data(unit=world.east1.pk))
    actions.launch_campaign(actor=world.manager, campaign=campaign)
    assert list(Invitation.objects.values_list("customer", flat=True)) == [mine.pk]
    # The south manager does not see it.
    with pytest.raises(NotFound):
        actions.cancel_campaign(actor=world.south_manager, campaign=campaign)


@pytest.mark.parametrize("who", ["tech", "rep", "analyst", "auditor", "outsider"])
def test_other_roles_run_no_campaigns(frozen, world, campaign_data, who):
    with pytest.raises(OutOfScope):
        actions.create_campaign(actor=getattr(world, who), data=campaign_data())


def test_another_company_cannot_touch_a_campaign(frozen, world, consenting, campaign_data):
    consenting()
    campaign = actions.create_campaign(actor=world.head, data=campaign_data())
    with pytest.raises(NotFound):
        actions.launch_campaign(actor=world.other_head, campaign=campaign)
    with pytest.raises(InvalidInput):
        actions.create_campaign(actor=world.other_head, data=campaign_data())
