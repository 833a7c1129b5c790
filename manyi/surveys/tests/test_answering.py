"""Answering an invitation: tokens, expiry, one response per invitation, scores and rows."""

import datetime as dt

import pytest
import time_machine

from manyi.errors import InvalidInput, NotFound
from manyi.surveys import actions, answering
from manyi.surveys.models import (
    Invitation,
    ResponseSource,
    SurveyAnswer,
    SurveyFactorScore,
    SurveyResponse,
)

from .conftest import CSI_ALL_FIVES, at


@pytest.fixture
def invitation(frozen, world, consenting, campaign_data):
    """A launched campaign's invitation to one consenting customer, sent (the clock frozen)."""
    customer = consenting(name="李雷")
    campaign = actions.create_campaign(
        actor=world.head, data=campaign_data(target={"outlets": [world.east1.pk]})
    )
    actions.launch_campaign(actor=world.head, campaign=campaign)
    actions.send_due_invitations()
    return Invitation.objects.get(customer=customer)


def test_a_token_is_long_random_and_unique(invitation):
    assert len(invitation.token) >= 43
    other = Invitation(token=None)
    assert other.token is None or other.token != invitation.token


def test_submitting_scores_and_stores_rows(invitation):
    answers = {**CSI_ALL_FIVES, "q16": 1, "comment": "交车慢了点"}
    with time_machine.travel(at(2026, 11, 3, 9, 30), tick=False):
        response, new = answering.submit_invitation(token=invitation.token, answers=answers)
    assert new
    assert response.source == ResponseSource.CAMPAIGN
    assert response.month == dt.date(2026, 11, 1) and response.day == dt.date(2026, 11, 3)
    assert response.unit_id == invitation.unit_id
    assert response.region_id == invitation.unit.parent_id
    # Quality (35 %) has q14, q15 at 100 and q16 at 0: 66.67; the other factors 100.
    assert response.index == pytest.approx(0.65 * 100 + 0.35 * 200 / 3)
    assert SurveyFactorScore.objects.filter(response=response).count() == 5
    assert SurveyAnswer.objects.filter(response=response).count() == 17
    invitation.refresh_from_db()
    assert invitation.answered_at == at(2026, 11, 3, 9, 30)


def test_submitting_again_returns_the_first_response(invitation):
    first, _new = answering.submit_invitation(token=invitation.token, answers=CSI_ALL_FIVES)
    second, new = answering.submit_invitation(
        token=invitation.token, answers={**CSI_ALL_FIVES, "q1": 1}
    )
    assert not new
    assert second.pk == first.pk
    assert SurveyResponse.objects.count() == 1
    assert SurveyResponse.objects.get().answers["q1"] == 5


def test_an_expired_link_is_refused_and_nothing_is_written(invitation):
    with time_machine.travel(invitation.expires_at + dt.timedelta(minutes=1), tick=False):
        with pytest.raises(actions.LinkUnusable):
            answering.submit_invitation(token=invitation.token, answers=CSI_ALL_FIVES)
    assert not SurveyResponse.objects.exists()


def test_unknown_and_malformed_tokens_are_not_found(invitation):
    for token in ("x" * 43, "short", invitation.token[:-1] + "?", None, 42):
        with pytest.raises(NotFound):
            answering.submit_invitation(token=token, answers=CSI_ALL_FIVES)


def test_incomplete_answers_are_refused_by_question(invitation):
    answers = dict(CSI_ALL_FIVES)
    del answers["q3"]
    with pytest.raises(InvalidInput) as caught:
        answering.submit_invitation(token=invitation.token, answers=answers)
    assert [f for f, _m in caught.value.errors] == ["q3"]
    assert not SurveyResponse.objects.exists()
    assert Invitation.objects.get(pk=invitation.pk).answered_at is None


def test_partial_answers_are_kept_for_later(invitation):
    answering.save_partial(token=invitation.token, answers={"q1": 4, "q2": 3})
    assert Invitation.objects.get(pk=invitation.pk).partial == {"q1": 4, "q2": 3}
    answering.submit_invitation(token=invitation.token, answers=CSI_ALL_FIVES)
    assert Invitation.objects.get(pk=invitation.pk).partial == {}


def test_submission_is_few_queries(invitation, django_assert_max_num_queries):
    actions.definition_of(invitation.version)  # parsed once per process
    # 8, plus one upsert per results rollup table (response, factor and item sums).
    with django_assert_max_num_queries(11):
        answering.submit_invitation(token=invitation.token, answers=CSI_ALL_FIVES)
