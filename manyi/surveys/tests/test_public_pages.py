"""The customer's answer pages: light, no login, no JavaScript needed, nothing of the customer
but the greeting name, a clear page for every bad link."""

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.staticfiles import finders

from manyi.surveys import actions, settings_actions
from manyi.surveys.models import Invitation, SurveyResponse

from .conftest import CSI_ALL_FIVES

BUDGET = 60 * 1024


@pytest.fixture
def invite(frozen, world, consenting, campaign_data, version):
    """Invite a customer of east-1 (with an address and a phone) to an instrument."""

    def make(code="csi"):
        customer = consenting(
            name="欧阳娜娜", phone="13987654321", address_detail="漕溪北路88号", notes="VIP客户"
        )
        campaign = actions.create_campaign(
            actor=world.head,
            data=campaign_data(version=version(code).pk, target={"outlets": [world.east1.pk]}),
        )
        actions.launch_campaign(actor=world.head, campaign=campaign)
        actions.send_due_invitations()
        return Invitation.objects.get(customer=customer)

    return make


def url(invitation, step=None):
    base = f"/s/{invitation.token}/"
    return base if step is None else f"{base}?step={step}"


def first_load_bytes(client, path):
    """HTML plus every stylesheet and script it links (what a phone downloads first)."""
    response = client.get(path)
    html = response.content.decode()
    total = len(response.content)
    for asset in re.findall(r'(?:href|src)="/static/([^"]+)"', html):
        found = finders.find(asset)
        assert found, asset
        with open(found, "rb") as f:
            total += len(f.read())
    return total, html


@pytest.mark.parametrize("code", ["csi", "dealer-csi-19", "feedback-form", "nps"])
def test_first_load_is_under_60_kb(client, invite, code):
    total, html = first_load_bytes(client, url(invite(code)))
    assert "<form" in html
    assert total < BUDGET, total


def test_the_page_shows_the_greeting_and_nothing_else_of_the_customer(client, invite):
    invitation = invite("dealer-csi-19")
    for path in (url(invitation),):
        html = client.get(path).content.decode()
        assert "欧阳娜娜" in html
        for secret in ("13987654321", "漕溪北路", "VIP客户", "8765"):
            assert secret not in html
    client.post(url(invitation), {**{f"q{n}": "4" for n in range(1, 20)}, "action": "submit"})
    html = client.get(url(invitation)).content.decode()
    assert "欧阳娜娜" not in html and "13987654321" not in html


def test_a_plain_scale_page_is_answered_without_javascript(client, invite):
    # One page (the 19-item survey): a plain form post, as a browser without scripts sends it.
    invitation = invite("dealer-csi-19")
    answers = {f"q{n}": "5" for n in range(1, 20)}
    response = client.post(url(invitation), {**answers, "action": "submit"})
    assert response.status_code == 200
    assert "谢谢" in response.content.decode()
    assert SurveyResponse.objects.get().index == pytest.approx(100.0)


def test_missing_answers_come_back_marked_with_what_was_given(client, invite):
    invitation = invite("dealer-csi-19")
    answers = {f"q{n}": "4" for n in range(1, 19)}  # q19 missing
    response = client.post(url(invitation), {**answers, "action": "submit"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="q-q19"' in html and "q-has-error" in html
    assert 'name="q1" value="4" checked' in html
    assert not SurveyResponse.objects.exists()


def test_save_for_later_and_resume(client, invite):
    invitation = invite("dealer-csi-19")
    client.post(url(invitation), {"q1": "3", "q2": "5", "action": "save"})
    assert Invitation.objects.get(pk=invitation.pk).partial == {"q1": 3, "q2": 5}
    html = client.get(url(invitation)).content.decode()
    assert 'name="q2" value="5" checked' in html
    # The page's script saves as answers change (same thing, no reload).
    assert client.post(f"/s/{invitation.token}/save/", {"q3": "2"}).status_code == 204


def test_one_question_per_screen_and_resumable(client, invite):
    invitation = invite("csi")  # paging: one question per screen
    html = client.get(url(invitation)).content.decode()
    assert html.count('class="q q-') == 1 and "q-q1" in html
    response = client.post(url(invitation), {"step": "0", "q1": "4", "action": "next"})
    assert response.status_code == 302 and response["Location"].endswith("?step=1")
    # Next without an answer: the same question with a message.
    response = client.post(url(invitation), {"step": "1", "action": "next"})
    assert response.status_code == 422 and "q-has-error" in response.content.decode()
    # Leave and come back: the page resumes at the first unanswered question.
    html = client.get(url(invitation)).content.decode()
    assert 'id="q-q2"' in html
    for n in range(2, 17):
        client.post(url(invitation), {"step": str(n - 1), f"q{n}": "5", "action": "next"})
    response = client.post(url(invitation), {"step": "16", "comment": "很好", "action": "next"})
    assert response.status_code == 200 and "谢谢" in response.content.decode()
    response = SurveyResponse.objects.get()
    assert response.answers["q1"] == 4 and response.answers["comment"] == "很好"


def test_back_keeps_the_answer(client, invite):
    invitation = invite("csi")
    client.post(url(invitation), {"step": "0", "q1": "2", "action": "next"})
    response = client.post(url(invitation), {"step": "1", "action": "back"})
    assert response["Location"].endswith("?step=0")
    assert 'name="q1" value="2" checked' in client.get(url(invitation, 0)).content.decode()


def test_a_used_link_thanks_again_and_records_nothing_new(client, invite):
    invitation = invite("dealer-csi-19")
    answers = {f"q{n}": "5" for n in range(1, 20)}
    client.post(url(invitation), {**answers, "action": "submit"})
    again = client.post(url(invitation), {**answers, "q1": "1", "action": "submit"})
    assert again.status_code == 200 and "已经收到" in again.content.decode()
    assert SurveyResponse.objects.count() == 1
    assert SurveyResponse.objects.get().answers["q1"] == 5


def test_bad_links_get_a_clear_page(client, invite):
    invitation = invite("csi")
    for path, status in [
        ("/s/" + "A" * 43 + "/", 404),
        ("/s/short/", 404),
        ("/s/%00%01/", 404),
    ]:
        response = client.get(path)
        assert response.status_code == status
        assert "链接无效" in response.content.decode()
    with time_machine.travel(invitation.expires_at + dt.timedelta(seconds=1), tick=False):
        response = client.get(url(invitation))
        assert response.status_code == 410 and "已结束" in response.content.decode()
        response = client.post(url(invitation), {**{k: str(v) for k, v in CSI_ALL_FIVES.items()}})
        assert response.status_code == 410


def test_a_withdrawn_link_says_so(client, world, invite):
    invitation = invite("csi")
    actions.cancel_campaign(actor=world.head, campaign=invitation.campaign)
    response = client.get(url(invitation))
    assert response.status_code == 410 and "撤回" in response.content.decode()


def test_opening_is_recorded_once(client, invite, frozen):
    invitation = invite("csi")
    client.get(url(invitation))
    opened = Invitation.objects.get(pk=invitation.pk).opened_at
    frozen.shift(dt.timedelta(hours=1))
    client.get(url(invitation))
    assert Invitation.objects.get(pk=invitation.pk).opened_at == opened


def test_a_walk_in_answers_at_the_outlet_qr_code(client, frozen, world, version):
    point = settings_actions.save_walk_in_point(
        actor=world.manager, unit=world.east1.pk, version=version("csat").pk
    )
    path = f"/s/w/{point.token}/"
    total, html = first_load_bytes(client, path)
    assert total < BUDGET and "上海徐汇店" in html
    key = re.search(r'name="submit_key" value="([^"]+)"', html).group(1)
    bad = client.post(path, {"overall": "5", "phone": "12345", "submit_key": key})
    assert bad.status_code == 422 and not SurveyResponse.objects.exists()
    for _ in range(2):  # a double tap records one answer
        response = client.post(path, {"overall": "5", "phone": "", "submit_key": key})
        assert response.status_code == 200
    response = SurveyResponse.objects.get()
    assert response.source == "walk_in" and response.csat_top2 is True


def test_an_inactive_qr_code_gets_a_clear_page(client, frozen, world, version):
    point = settings_actions.save_walk_in_point(
        actor=world.manager, unit=world.east1.pk, version=version("csat").pk, is_active=False
    )
    response = client.get(f"/s/w/{point.token}/")
    assert response.status_code == 404 and "不再使用" in response.content.decode()
