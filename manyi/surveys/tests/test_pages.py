"""The managers' survey pages: happy paths, refusals, wrong role, outsider, query budgets."""

import pytest

from conftest import PASSWORD
from manyi.surveys import actions, answering, settings_actions
from manyi.surveys.models import Campaign, CampaignStatus, FollowUp, Invitation, TriggerSetting


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def launched(frozen, world, consenting, campaign_data):
    for _n in range(3):
        consenting()
    campaign = actions.create_campaign(actor=world.head, data=campaign_data(name="双十一回访"))
    actions.launch_campaign(actor=world.head, campaign=campaign)
    actions.send_due_invitations()
    return campaign


def test_the_campaign_list_and_detail_show_counts(client, world, launched):
    token = Invitation.objects.first().token
    answering.submit_invitation(token=token, answers={f"q{n}": 5 for n in range(1, 17)})
    login(client, world.head)
    html = client.get("/surveys/").content.decode()
    assert "双十一回访" in html and "33.3%" in html
    html = client.get(f"/surveys/campaigns/{launched.pk}/").content.decode()
    assert 'data-testid="invited">3<' in html and 'data-testid="answered">1<' in html


def test_lists_keep_to_a_query_budget(client, world, launched, django_assert_max_num_queries):
    login(client, world.head)
    client.get("/surveys/")  # warm the session and menu
    for path in (
        "/surveys/",
        f"/surveys/campaigns/{launched.pk}/",
        "/surveys/invitations/",
        "/surveys/follow-ups/",
        "/surveys/walk-in/",
        "/surveys/settings/",
    ):
        with django_assert_max_num_queries(14):
            assert client.get(path).status_code == 200, path


def test_create_launch_and_cancel_through_the_pages(client, frozen, world, consenting, version):
    consenting()
    login(client, world.head)
    assert client.get("/surveys/campaigns/new/").status_code == 200
    form = {
        "name": "季度调查",
        "unit": world.company.pk,
        "version": version("nps").pk,
        "source": "customers",
        "channels": ["sms"],
        "starts_at": "2026-11-02T10:00",
        "deadline_at": "2026-11-20T10:00",
        "reminder_after_hours": "24",
    }
    response = client.post("/surveys/campaigns/new/", form)
    campaign = Campaign.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == f"/surveys/campaigns/{campaign.pk}/"
    )
    client.post(f"/surveys/campaigns/{campaign.pk}/launch/")
    assert Campaign.objects.get().status == CampaignStatus.SCHEDULED
    client.post(f"/surveys/campaigns/{campaign.pk}/cancel/")
    assert Campaign.objects.get().status == CampaignStatus.CANCELLED


def test_a_bad_campaign_form_comes_back_with_the_reason(client, frozen, world, version):
    login(client, world.head)
    response = client.post(
        "/surveys/campaigns/new/",
        {
            "name": "过期",
            "unit": world.company.pk,
            "version": version("nps").pk,
            "source": "customers",
            "channels": ["sms"],
            "starts_at": "2026-11-02T10:00",
            "deadline_at": "2026-10-01T10:00",
        },
    )
    assert response.status_code in (400, 422)
    assert "截止时间" in response.content.decode()
    assert not Campaign.objects.exists()


@pytest.mark.parametrize("who", ["tech", "rep", "analyst", "sales", "outsider"])
def test_wrong_roles_and_outsiders_are_refused(client, world, launched, who):
    login(client, getattr(world, who))
    for path in (
        "/surveys/",
        f"/surveys/campaigns/{launched.pk}/",
        "/surveys/settings/",
        "/surveys/follow-ups/",
        "/surveys/walk-in/",
    ):
        assert client.get(path).status_code == 403, path
    assert client.post(f"/surveys/campaigns/{launched.pk}/cancel/").status_code == 403
    assert Campaign.objects.get().status == CampaignStatus.SCHEDULED


def test_another_subtree_or_company_does_not_see_a_campaign(client, world, launched):
    login(client, world.south_manager)
    assert client.get(f"/surveys/campaigns/{launched.pk}/").status_code == 404
    client.logout()
    login(client, world.other_head)
    assert client.get(f"/surveys/campaigns/{launched.pk}/").status_code == 404
    assert "双十一回访" not in client.get("/surveys/").content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, launched):
    response = client.get("/surveys/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_settings_pages_save_triggers_and_the_rule(client, world, version):
    login(client, world.head)
    response = client.post(
        "/surveys/settings/triggers/",
        {
            "case_kind": "workorder",
            "industry": "",
            "version": version("csat").pk,
            "valid_days": "14",
            "channels": ["sms"],
            "enabled": "on",
        },
    )
    assert response.status_code == 302
    assert TriggerSetting.objects.get().delay_hours == 72
    response = client.post(
        "/surveys/settings/policy/",
        {"low_index": "50", "follow_up_as": "complaint", "follow_up_days": "2"},
    )
    assert response.status_code == 302
    # An outlet manager sees the settings but may not change them.
    client.logout()
    login(client, world.manager)
    assert "只有公司级管理者" in client.get("/surveys/settings/").content.decode()
    response = client.post(
        "/surveys/settings/policy/",
        {"low_index": "90", "follow_up_as": "follow_up", "follow_up_days": "2"},
    )
    assert response.status_code == 403


def test_walk_in_qr_code_svg_and_poster(client, frozen, world, version):
    login(client, world.manager)
    response = client.post(
        f"/surveys/walk-in/outlets/{world.east1.pk}/",
        {"version": version("nps").pk, "ask_phone": "on", "is_active": "on"},
    )
    assert response.status_code == 302
    point = world.east1.walk_in
    svg = client.get(f"/surveys/walk-in/{point.pk}/qr.svg")
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    pdf = client.get(f"/surveys/walk-in/{point.pk}/poster.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    # Another outlet's manager cannot set up this outlet, nor print its poster.
    client.logout()
    login(client, world.south_manager)
    client.post(f"/surveys/walk-in/outlets/{world.east1.pk}/", {"version": version("csat").pk})
    assert world.east1.walk_in.version == version("nps")
    assert client.get(f"/surveys/walk-in/{point.pk}/poster.pdf").status_code == 404


def test_follow_ups_list_response_page_and_praise(
    client, frozen, world, version, django_capture_on_commit_callbacks
):
    point = settings_actions.save_walk_in_point(
        actor=world.head, unit=world.east1.pk, version=version("nps").pk
    )
    with django_capture_on_commit_callbacks(execute=True):  # the follow-up task
        answering.submit_walk_in(token=point.token, answers={"recommend": 2, "reason": "太慢"})
    follow_up = FollowUp.objects.get()
    login(client, world.manager)
    html = client.get("/surveys/follow-ups/?open=1").content.decode()
    assert "贬损者" in html
    html = client.get(f"/surveys/responses/{follow_up.response_id}/").content.decode()
    assert "太慢" in html
    client.post(f"/surveys/follow-ups/{follow_up.pk}/close/", {"outcome": "已回访"})
    follow_up.refresh_from_db()
    assert follow_up.closed_at is not None
