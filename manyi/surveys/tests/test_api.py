"""The surveys API: campaigns and invitations for managers; the customer's submit, no login."""

import pytest

from conftest import assert_problem, auth, send
from manyi.surveys import actions
from manyi.surveys.models import Invitation, SurveyResponse

from .conftest import CSI_ALL_FIVES, NOW


@pytest.fixture
def invitation(frozen, world, consenting, campaign_data):
    consenting(name="李雷", phone="13911112222")
    campaign = actions.create_campaign(actor=world.head, data=campaign_data())
    actions.launch_campaign(actor=world.head, campaign=campaign)
    actions.send_due_invitations()
    return Invitation.objects.get()


def test_create_launch_and_list_campaigns(client, frozen, world, consenting, version):
    consenting()
    headers = auth(world.head)
    body = {
        "name": "API 调查",
        "unit_id": world.company.pk,
        "version_id": version("nps").pk,
        "deadline_at": "2026-11-20T10:00:00+08:00",
        "reminder_after_hours": 24,
    }
    response = send(client, "post", "/api/v1/survey-campaigns", headers, body)
    assert response.status_code == 201, response.content
    campaign = response.json()
    assert campaign["status"] == "draft" and campaign["invited"] == 0
    launched = send(
        client, "post", f"/api/v1/survey-campaigns/{campaign['id']}/launch", headers
    ).json()
    assert launched["status"] == "scheduled" and launched["invited"] == 1
    page = send(client, "get", "/api/v1/survey-campaigns", headers).json()
    assert [c["id"] for c in page["items"]] == [campaign["id"]]
    invitations = send(
        client, "get", f"/api/v1/survey-invitations?campaign_id={campaign['id']}", headers
    ).json()
    assert invitations["items"][0]["state"] == "pending"
    assert "token" not in invitations["items"][0]


def test_bad_campaigns_are_problem_documents(client, frozen, world, version):
    headers = auth(world.head)
    body = {
        "name": "",
        "unit_id": world.company.pk,
        "version_id": version("nps").pk,
        "deadline_at": "2026-10-01T10:00:00+08:00",
    }
    problem = assert_problem(
        send(client, "post", "/api/v1/survey-campaigns", headers, body), 422, "invalid-input"
    )
    assert {"name", "deadline_at"} <= {e["field"] for e in problem["errors"]}


@pytest.mark.parametrize("who", ["tech", "analyst", "outsider"])
def test_wrong_roles_are_refused(client, world, invitation, who):
    headers = auth(getattr(world, who))
    assert_problem(send(client, "get", "/api/v1/survey-campaigns", headers), 403)
    assert_problem(send(client, "get", "/api/v1/survey-invitations", headers), 403)


def test_another_company_sees_nothing(client, world, invitation):
    headers = auth(world.other_head)
    assert send(client, "get", "/api/v1/survey-campaigns", headers).json()["items"] == []
    assert_problem(
        send(client, "get", f"/api/v1/survey-campaigns/{invitation.campaign_id}", headers), 404
    )


def test_the_customer_reads_the_questions_without_login(client, invitation):
    response = client.get(f"/api/v1/survey-answers/{invitation.token}")
    assert response.status_code == 200
    body = response.json()
    assert body["greeting"] == "李雷"
    assert body["instrument"]["code"] == "csi"
    assert "13911112222" not in response.content.decode()


def test_submit_is_201_then_200_and_idempotent(client, invitation):
    path = f"/api/v1/survey-answers/{invitation.token}"
    first = send(client, "post", path, {}, {"answers": CSI_ALL_FIVES})
    assert first.status_code == 201 and first.json()["index"] == pytest.approx(100.0)
    again = send(client, "post", path, {}, {"answers": {**CSI_ALL_FIVES, "q1": 1}})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert SurveyResponse.objects.count() == 1
    assert_problem(client.get(path), 410, "link-unusable")


def test_submit_problems(client, frozen, invitation):
    path = f"/api/v1/survey-answers/{invitation.token}"
    problem = assert_problem(send(client, "post", path, {}, {"answers": {"q1": 9}}), 422)
    assert "q1" in [e["field"] for e in problem["errors"]]
    assert_problem(send(client, "post", path, {}, "not json"), 400)
    assert_problem(
        send(client, "post", "/api/v1/survey-answers/" + "A" * 43, {}, {"answers": {}}), 404
    )
    frozen.move_to(invitation.expires_at)
    assert_problem(send(client, "post", path, {}, {"answers": CSI_ALL_FIVES}), 410)
    assert not SurveyResponse.objects.exists()


def test_the_draft_is_kept(client, invitation):
    path = f"/api/v1/survey-answers/{invitation.token}/draft"
    assert send(client, "put", path, {}, {"answers": {"q1": 3}}).status_code == 204
    assert Invitation.objects.get().partial == {"q1": 3}


def test_walk_in_submit_with_a_key(client, frozen, world, version):
    from manyi.surveys import settings_actions

    point = settings_actions.save_walk_in_point(
        actor=world.head, unit=world.east1.pk, version=version("csat").pk
    )
    path = f"/api/v1/walk-in-answers/{point.token}"
    body = {"answers": {"overall": 4}, "submit_key": "k-" + "1" * 30}
    assert send(client, "post", path, {}, body).status_code == 201
    assert send(client, "post", path, {}, body).status_code == 200
    assert SurveyResponse.objects.get().submitted_at == NOW
