"""Sending: quiet hours (no message 21:00–08:00), one reminder at most, expiry, withdrawal."""

import datetime as dt

import pytest
import time_machine

from manyi.notify.models import Message
from manyi.surveys import actions, answering
from manyi.surveys.models import Campaign, CampaignStatus, Invitation

from .conftest import CSI_ALL_FIVES, at


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(2026, 11, 2, 10, 0), at(2026, 11, 2, 10, 0)),
        (at(2026, 11, 2, 20, 59), at(2026, 11, 2, 20, 59)),
        (at(2026, 11, 2, 21, 0), at(2026, 11, 3, 8, 0)),
        (at(2026, 11, 2, 23, 30), at(2026, 11, 3, 8, 0)),
        (at(2026, 11, 3, 0, 5), at(2026, 11, 3, 8, 0)),
        (at(2026, 11, 3, 7, 59), at(2026, 11, 3, 8, 0)),
        (at(2026, 11, 3, 8, 0), at(2026, 11, 3, 8, 0)),
    ],
)
def test_quiet_hours_defer_to_eight_in_the_morning(moment, expected):
    assert actions.next_allowed(moment) == expected


def test_a_window_within_the_day_and_none(settings):
    noon = (dt.time(12, 0), dt.time(14, 0))
    assert actions.next_allowed(at(2026, 11, 2, 13, 0), *noon) == at(2026, 11, 2, 14, 0)
    assert actions.next_allowed(at(2026, 11, 2, 15, 0), *noon) == at(2026, 11, 2, 15, 0)
    assert actions.next_allowed(at(2026, 11, 2, 23, 0), dt.time(0), dt.time(0)) == at(
        2026, 11, 2, 23, 0
    )


def _launch(world, consenting, campaign_data, **overrides):
    customers = [consenting(), consenting()]
    campaign = actions.create_campaign(actor=world.head, data=campaign_data(**overrides))
    actions.launch_campaign(actor=world.head, campaign=campaign)
    return campaign, customers


def test_a_campaign_launched_at_night_sends_at_eight(world, consenting, campaign_data):
    with time_machine.travel(at(2026, 11, 2, 22, 15), tick=False) as clock:
        campaign, _customers = _launch(world, consenting, campaign_data)
        assert set(Invitation.objects.values_list("send_at", flat=True)) == {at(2026, 11, 3, 8)}
        assert actions.send_due_invitations() == 0
        clock.move_to(at(2026, 11, 3, 7, 59))
        assert actions.send_due_invitations() == 0
        clock.move_to(at(2026, 11, 3, 8, 0))
        assert actions.send_due_invitations() == 2
    assert Message.objects.filter(ref__startswith="survey:").count() == 2


def test_a_sweep_that_runs_late_into_the_night_waits(world, consenting, campaign_data):
    with time_machine.travel(at(2026, 11, 2, 20, 0), tick=False) as clock:
        _launch(world, consenting, campaign_data)
        clock.move_to(at(2026, 11, 2, 21, 30))  # the worker was behind
        assert actions.send_due_invitations() == 0
        assert set(Invitation.objects.values_list("send_at", flat=True)) == {at(2026, 11, 3, 8)}
        assert not Message.objects.exists()


def test_one_reminder_at_most_and_none_after_an_answer(world, consenting, campaign_data):
    with time_machine.travel(at(2026, 11, 2, 10, 0), tick=False) as clock:
        _campaign, (first, second) = _launch(
            world, consenting, campaign_data, reminder_after_hours=48
        )
        actions.send_due_invitations()
        answered = Invitation.objects.get(customer=first)
        answering.submit_invitation(token=answered.token, answers=CSI_ALL_FIVES)
        clock.move_to(at(2026, 11, 4, 10, 0))
        assert actions.send_due_reminders() == 1
        clock.move_to(at(2026, 11, 6, 10, 0))
        assert actions.send_due_reminders() == 0
    waiting = Invitation.objects.get(customer=second)
    assert waiting.reminded_at == at(2026, 11, 4, 10, 0)
    assert Message.objects.filter(ref=f"survey:{waiting.pk}").count() == 2
    assert Message.objects.filter(ref=f"survey:{answered.pk}").count() == 1


def test_a_reminder_due_at_night_goes_out_at_eight(world, consenting, campaign_data):
    with time_machine.travel(at(2026, 11, 2, 17, 0), tick=False) as clock:
        _launch(world, consenting, campaign_data, reminder_after_hours=5)
        actions.send_due_invitations()
        assert set(Invitation.objects.values_list("remind_at", flat=True)) == {
            at(2026, 11, 3, 8, 0)
        }
        clock.move_to(at(2026, 11, 2, 23, 0))
        assert actions.send_due_reminders() == 0
        clock.move_to(at(2026, 11, 3, 8, 1))
        assert actions.send_due_reminders() == 2


def test_no_reminder_when_none_is_set(frozen, world, consenting, campaign_data):
    _launch(world, consenting, campaign_data, reminder_after_hours=None)
    actions.send_due_invitations()
    assert set(Invitation.objects.values_list("remind_at", flat=True)) == {None}


def test_expired_invitations_are_not_sent_and_campaigns_close(world, consenting, campaign_data):
    with time_machine.travel(at(2026, 11, 2, 10, 0), tick=False) as clock:
        campaign, _customers = _launch(
            world,
            consenting,
            campaign_data,
            starts_at=at(2026, 11, 9, 10, 0),
            deadline_at=at(2026, 11, 5, 10, 0) + dt.timedelta(days=7),
        )
        clock.move_to(at(2026, 11, 20, 10, 0))
        result = actions.sweep()
    assert result == {"sent": 0, "reminded": 0, "closed": 1, "followed_up": 0}
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.CLOSED
    assert not Message.objects.exists()
    assert Invitation.objects.filter(cancelled_at__isnull=False).count() == 2


def test_a_link_answered_while_the_sweep_runs_gets_no_text(
    frozen, world, consenting, campaign_data, monkeypatch
):
    """The sweep has read the due invitations; the customer answers before it claims one (a
    link from the QR code's page, another channel): no SMS after the answer."""
    campaign, (customer, _other) = _launch(world, consenting, campaign_data)
    token = Invitation.objects.get(campaign=campaign, customer=customer).token
    window = actions._quiet_window

    def answered_meanwhile(invitation):
        if invitation.token == token:
            answering.submit_invitation(token=token, answers=CSI_ALL_FIVES)
        return window(invitation)

    monkeypatch.setattr(actions, "_quiet_window", answered_meanwhile)
    assert actions.send_due_invitations() == 1  # the other customer's
    answered = Invitation.objects.get(token=token)
    assert answered.answered_at is not None and answered.sent_at is None
    assert Message.objects.filter(ref=f"survey:{answered.pk}").count() == 0
    assert Message.objects.filter(ref__startswith="survey:").count() == 1


def test_a_link_sent_while_it_is_answered_counts_as_sent_once(
    frozen, world, consenting, campaign_data, monkeypatch
):
    """The answer has read the link unsent; the sweep sends it before the answer claims it:
    the rollups count one invitation sent (the sweep's), equal to the raw rows."""
    from manyi.org.scopes import scope_for
    from manyi.surveys import results

    campaign, (customer, _other) = _launch(world, consenting, campaign_data)
    token = Invitation.objects.get(campaign=campaign, customer=customer).token
    definition_of = answering.definition_of

    def sent_meanwhile(version):
        actions.send_due_invitations()
        return definition_of(version)

    monkeypatch.setattr(answering, "definition_of", sent_meanwhile)
    response, new = answering.submit_invitation(token=token, answers=CSI_ALL_FIVES)
    assert new and Invitation.objects.get(token=token).sent_at is not None
    scope = scope_for(world.head)
    filters = results.parse_filters(
        scope, world.company, {"instrument": campaign.version.instrument_id}
    )
    kept = results.report(scope, world.company, filters)
    raw = results.report(scope, world.company, filters, source=results.RAW)
    assert kept.totals.sent == raw.totals.sent == 2
    assert kept.totals.answered == raw.totals.answered == 1 == kept.totals.responses
