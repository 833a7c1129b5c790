"""API contract: reads, import/export, drafts, publishing, scoring; problem documents on refusal."""

import json

import pytest

from conftest import assert_problem, auth, field_names, send
from manyi.instruments import actions
from manyi.instruments.models import Instrument, VersionStatus

BASE = "/api/v1"


@pytest.fixture
def head(world):
    return auth(world.head)


@pytest.fixture
def published(world):
    instrument = actions.create_instrument(
        actor=world.head, data={"code": "sat", "name": "满意度", "kind": "survey"}
    )
    version = instrument.versions.get()
    actions.add_factor(actor=world.head, version=version, data={"code": "F1", "name": "服务"})
    for code, weight in (("q1", 1), ("q2", 3)):
        actions.add_item(
            actor=world.head,
            version=version,
            data={
                "code": code,
                "type": "scale",
                "text": code,
                "points": 5,
                "factor": "F1",
                "weight": weight,
            },  # fmt: skip
        )
    actions.publish(actor=world.head, version=version)
    version.refresh_from_db()
    return version


def test_list_own_then_built_in_within_a_query_budget(
    client, head, published, builtins, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        response = send(client, "get", f"{BASE}/instruments", head)
    assert response.status_code == 200
    rows = response.json()
    assert rows[0]["code"] == "sat" and rows[0]["builtin"] is False
    assert rows[0]["published_version"] == 1 and rows[0]["has_draft"] is False
    assert {r["code"] for r in rows if r["builtin"]} >= {"csi", "nps", "csat"}
    surveys = send(client, "get", f"{BASE}/instruments?kind=feedback", head).json()
    assert [r["code"] for r in surveys] == ["feedback-form"]


def test_get_instrument_and_version(client, head, published):
    body = send(client, "get", f"{BASE}/instruments/{published.instrument_id}", head).json()
    assert [v["number"] for v in body["versions"]] == [1]
    version = send(client, "get", f"{BASE}/instrument-versions/{published.pk}", head).json()
    assert version["status"] == "published"
    assert version["content"]["format"] == "manyi-instrument/1"
    assert [i["code"] for i in version["content"]["sections"][0]["items"]] == ["q1", "q2"]


def test_outlet_managers_read_but_do_not_write(client, world, published):
    headers = auth(world.manager)
    assert send(client, "get", f"{BASE}/instruments", headers).status_code == 200
    response = send(client, "get", f"{BASE}/instrument-versions/{published.pk}", headers)
    assert response.status_code == 200
    response = send(client, "post", f"{BASE}/instruments/{published.instrument_id}/drafts", headers)
    assert_problem(response, 403, "out-of-scope")


@pytest.mark.parametrize("who", ["tech", "rep", "analyst", "outsider"])
def test_others_may_not_read(client, world, published, who):
    headers = auth(getattr(world, who))
    assert_problem(send(client, "get", f"{BASE}/instruments", headers), 403)
    response = send(client, "get", f"{BASE}/instrument-versions/{published.pk}", headers)
    assert_problem(response, 403)


def test_unauthenticated_gets_a_problem(client):
    assert_problem(client.get(f"{BASE}/instruments"), 401)


def test_other_company_gets_not_found(client, world, published):
    headers = auth(world.other_head)
    response = send(client, "get", f"{BASE}/instrument-versions/{published.pk}", headers)
    assert_problem(response, 404, "not-found")
    response = send(client, "post", f"{BASE}/instrument-versions/{published.pk}/retire", headers)
    assert_problem(response, 404)


def test_create_draft_replace_content_publish(client, head, world):
    response = send(
        client, "post", f"{BASE}/instruments", head,
        {"code": "api", "name": "接口问卷", "kind": "survey", "paging": "item"},
    )  # fmt: skip
    assert response.status_code == 201
    body = response.json()
    draft = body["versions"][0]
    assert draft["status"] == "draft"
    content = send(client, "get", f"{BASE}/instrument-versions/{draft['id']}/export", head).json()
    content["sections"][0]["items"] = [
        {"code": "q1", "type": "nps", "text": "推荐可能性"},
        {"code": "why", "type": "text", "text": "原因", "required": False},
    ]
    response = send(
        client, "put", f"{BASE}/instrument-versions/{draft['id']}/content", head, content
    )
    assert response.status_code == 200, response.content
    assert len(response.json()["content"]["sections"][0]["items"]) == 2
    response = send(client, "post", f"{BASE}/instrument-versions/{draft['id']}/publish", head)
    assert response.status_code == 200 and response.json()["status"] == "published"
    # Frozen: the content can no longer be replaced.
    response = send(
        client, "put", f"{BASE}/instrument-versions/{draft['id']}/content", head, content
    )
    assert_problem(response, 409, "conflict")
    # A new draft copies it (201), asking again returns the same draft (200).
    url = f"{BASE}/instruments/{body['id']}/drafts"
    first = send(client, "post", url, head)
    again = send(client, "post", url, head)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and first.json()["number"] == 2


def test_import_export_round_trip(client, head, world, published):
    exported = send(client, "get", f"{BASE}/instrument-versions/{published.pk}/export", head)
    content = exported.json()
    content["code"] = "sat-copy"
    response = send(client, "post", f"{BASE}/instruments/import", head, content)
    assert response.status_code == 201
    new = response.json()
    assert new["code"] == "sat-copy" and new["versions"][0]["status"] == "draft"
    again = send(client, "get", f"{BASE}/instrument-versions/{new['versions'][0]['id']}", head)
    assert again.json()["content"] == content


def test_bad_imports_are_problem_documents(client, head, world):
    body = assert_problem(send(client, "post", f"{BASE}/instruments/import", head, "{nope"), 422)
    assert field_names(body) == ["file"]
    bad = {"format": "manyi-instrument/1", "code": "x", "name": "", "kind": "nothing",
           "sections": [{"items": [{"code": "q 1", "type": "scale", "text": "t"}]}]}  # fmt: skip
    body = assert_problem(send(client, "post", f"{BASE}/instruments/import", head, bad), 422)
    assert field_names(body) == [
        "name",
        "kind",
        "sections[0].items[0].code",
        "sections[0].items[0].points",
    ]
    assert not Instrument.objects.filter(company=world.company).exists()


def test_copy_a_built_in(client, head, world, builtins):
    csi = Instrument.objects.get(company__isnull=True, code="csi").versions.get()
    response = send(
        client, "post", f"{BASE}/instrument-versions/{csi.pk}/copy", head, {"code": "our-csi"}
    )
    assert response.status_code == 201
    assert response.json()["name"] == "售后服务满意度指数调研（CSI）"
    response = send(
        client, "post", f"{BASE}/instrument-versions/{csi.pk}/copy", head, {"code": "our-csi"}
    )
    assert field_names(assert_problem(response, 422)) == ["code"]


def test_score_answers(client, head, published):
    url = f"{BASE}/instrument-versions/{published.pk}/score"
    response = send(client, "post", url, head, {"answers": {"q1": 5, "q2": 3}})
    assert response.status_code == 200
    body = response.json()
    # (100*1 + 50*3) / 4 = 62.5
    assert body["index"] == 62.5 and body["factors"] == {"F1": 62.5}
    assert (body["total"], body["max_total"]) == (8, 10)
    body = assert_problem(send(client, "post", url, head, {"answers": {"q1": 7}}), 422)
    assert field_names(body) == ["q1", "q2"]
    assert "第 1 题" in body["errors"][0]["message"]["zh"]


def test_retire(client, head, published):
    url = f"{BASE}/instrument-versions/{published.pk}/retire"
    response = send(client, "post", url, head)
    assert response.json()["status"] == VersionStatus.RETIRED
    assert_problem(send(client, "post", url, head), 409)


def test_absurd_ids_are_not_found(client, head):
    assert_problem(
        send(client, "get", f"{BASE}/instrument-versions/99999999999999999999", head), 404
    )
    assert_problem(send(client, "get", f"{BASE}/instruments/0", head), 404)


def test_export_is_plain_json(client, head, published):
    response = send(client, "get", f"{BASE}/instrument-versions/{published.pk}/export", head)
    assert response["Content-Type"].startswith("application/json")
    assert "ids" not in json.loads(response.content)
