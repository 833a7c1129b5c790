"""The improvement API: problems, measures, actions and a live session through its phases —
contract, problem documents, wrong role, outsider, query budgets."""

import datetime as dt

import pytest

from conftest import assert_problem, auth, field_names, send
from manyi.improvement.models import ActionItem, Problem

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
FUTURE = (dt.datetime.now(tz=dt.UTC).date() + dt.timedelta(days=30)).isoformat()


@pytest.fixture
def api(client, world):
    """``api("manager", "post", "/problems", body)`` — a call as a persona."""
    headers = {}

    def call(username, method, path, body=None):
        if username not in headers:
            headers[username] = auth(getattr(world, username))
        return send(client, method, f"/api/v1{path}", headers[username], body)

    return call


def _problem(api, **body):
    response = api("manager", "post", "/problems", {"title": "等候时间过长", **body})
    assert response.status_code == 201, response.content
    return response.json()


def test_raise_a_problem_and_read_it_back(api, world):
    body = _problem(api, description="周末下午")
    assert body["unit_id"] == world.east1.pk and body["owner_name"] == "manager"
    assert body["status"] == "open" and body["source"] is None
    assert body["closure_blockers"] and set(body["closure_blockers"][0]) == {"zh", "en"}
    again = api("manager", "get", f"/problems/{body['id']}")
    assert again.status_code == 200 and again.json()["title"] == "等候时间过长"


def test_raise_from_a_source(api, world):
    body = _problem(
        api,
        source={"kind": "survey_factor", "id": "C3/F2", "label": "服务顾问 (CSI 62)"},
    )
    assert body["source"] == {
        "kind": "survey_factor",
        "id": "C3/F2",
        "label": "服务顾问 (CSI 62)",
        "url": "",
    }
    bad = api("manager", "post", "/problems", {"title": "x", "source": {"kind": "x", "id": "1"}})
    assert field_names(assert_problem(bad, 422, "invalid-input")) == ["source"]
    kinds = api("manager", "get", "/problem-sources").json()
    assert {"complaint", "audit_finding", "csas_item"} <= {k["code"] for k in kinds}
    assert "standard" not in {k["code"] for k in kinds}


def test_bad_input_is_a_problem_document(api):
    assert field_names(assert_problem(api("manager", "post", "/problems", {"title": ""}), 422)) == [
        "title"
    ]
    assert_problem(api("manager", "post", "/problems", "not json"), 400)
    assert_problem(api("manager", "get", "/problems/99999999999999999999"), 422)


def test_list_is_scoped_and_paged_within_a_query_budget(api, world, django_assert_max_num_queries):
    for i in range(4):
        _problem(api, title=f"问题{i}")
    with django_assert_max_num_queries(6):
        page = api("manager", "get", "/problems?size=3").json()
    assert len(page["items"]) == 3 and page["next_cursor"]
    rest = api("manager", "get", f"/problems?size=3&after={page['next_cursor']}").json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    assert api("south_manager", "get", "/problems").json()["items"] == []
    pk = page["items"][0]["id"]
    assert_problem(api("south_manager", "get", f"/problems/{pk}"), 404, "not-found")
    assert_problem(api("analyst", "get", "/problems"), 403, "out-of-scope")
    assert_problem(api("outsider", "get", "/problems"), 403, "out-of-scope")


def test_unauthenticated_calls_are_refused(client):
    assert_problem(client.get("/api/v1/problems"), 401, "unauthenticated")


def test_a_plan_with_evidence_and_a_measure_closes_the_problem(api, world, client):
    pk = _problem(api)["id"]
    refused = api("manager", "post", f"/problems/{pk}/close", {"note": ""})
    assert_problem(refused, 409, "conflict")
    from manyi.quality.actions.standards import create_standard

    queue = create_standard(
        actor=world.head,
        data={"code": "S-3", "area": "flow", "statement": "排队不超过3人", "criterion": "3人"},
    )
    action = api(
        "manager",
        "post",
        f"/problems/{pk}/actions",
        {
            "title": "高峰开放第二收银台",
            "owner_id": world.tech.staff.pk,
            "due_on": FUTURE,
            "standard": {"id": str(queue.pk)},
        },
    )
    assert action.status_code == 201, action.content
    action = action.json()
    assert action["standard"]["label"] == "S-3 排队不超过3人" and action["status"] == "open"
    assert_problem(
        api("sales", "post", f"/actions/{action['id']}/complete", {"evidence_text": "x"}),
        403,
        "out-of-scope",
    )
    started = api("tech", "post", f"/actions/{action['id']}/start").json()
    assert started["status"] == "in_progress"
    upload = client.post(
        f"/api/v1/actions/{action['id']}/evidence",
        {"file": _file("ticket.png", PNG)},
        **auth(world.tech),
    )
    assert upload.status_code == 200, upload.content
    assert upload.json()["evidence_file"].endswith("/evidence/")
    done = api("tech", "post", f"/actions/{action['id']}/complete", {"evidence_text": ""})
    assert done.json()["status"] == "done"
    mine = api("tech", "get", "/actions").json()
    assert [a["id"] for a in mine] == [action["id"]]
    measure = api(
        "manager",
        "post",
        f"/problems/{pk}/measures",
        {"kind": "audit_score", "description": "下次审核", "baseline": "70", "target": "85"},
    )
    assert measure.status_code == 201
    measured = api("manager", "post", f"/measures/{measure.json()['id']}/result", {"result": 90})
    assert measured.json()["target_met"] is True
    closed = api("manager", "post", f"/problems/{pk}/close", {"note": "排队缩短"})
    assert closed.json()["status"] == "closed" and closed.json()["closure_blockers"] == []
    reopened = api("manager", "post", f"/problems/{pk}/reopen", {"reason": "又变长了"})
    assert reopened.json()["status"] == "in_progress"


def _file(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def test_patch_an_action(api, world):
    pk = _problem(api)["id"]
    action = api(
        "manager",
        "post",
        f"/problems/{pk}/actions",
        {"title": "培训", "owner_id": world.tech.staff.pk, "due_on": FUTURE},
    ).json()
    patched = api(
        "manager", "patch", f"/actions/{action['id']}", {"owner_id": world.sales.staff.pk}
    )
    assert patched.json()["owner_name"] == "sales" and patched.json()["title"] == "培训"
    assert_problem(api("manager", "patch", f"/actions/{action['id']}", {"title": None}), 422)
    assert_problem(api("tech", "patch", f"/actions/{action['id']}", {"title": "x"}), 403)
    assert_problem(api("south_manager", "patch", f"/actions/{action['id']}", {"title": "x"}), 404)
    cancelled = api("manager", "post", f"/actions/{action['id']}/cancel", {"reason": "重复"})
    assert cancelled.json()["status"] == "cancelled"
    assert ActionItem.objects.get().cancel_reason == "重复"


def test_a_nominal_group_session_through_the_api(api, world, django_assert_max_num_queries):
    pk = _problem(api)["id"]
    session = api("manager", "post", f"/problems/{pk}/sessions", {"method": "ngt", "top_n": 2})
    assert session.status_code == 201, session.content
    sid = session.json()["id"]
    assert session.json()["phase"] == "state" and session.json()["is_facilitator"]
    joined = api("tech", "post", f"/sessions/{sid}/join").json()
    assert [m["name"] for m in joined["members"]] == ["manager", "tech"]
    assert not joined["is_facilitator"] and joined["advance_blocker"] is None

    assert_problem(api("tech", "post", f"/sessions/{sid}/advance", {"from_phase": "state"}), 403)
    state = api("manager", "post", f"/sessions/{sid}/advance", {"from_phase": "state"}).json()
    assert state["phase"] == "silent"
    stale = api("manager", "post", f"/sessions/{sid}/advance", {"from_phase": "state"})
    assert_problem(stale, 409, "stale-version")

    for who, text in (("manager", "A"), ("tech", "B"), ("tech", "C")):
        assert api(who, "post", f"/sessions/{sid}/ideas", {"text": text}).status_code == 201
    peek = api("manager", "get", f"/sessions/{sid}").json()
    assert peek["ideas"] == [] and [i["text"] for i in peek["my_ideas"]] == ["A"]
    early = api("tech", "post", f"/sessions/{sid}/rankings", {"idea_ids": [1, 2]})
    assert_problem(early, 409, "invalid-move")

    api("manager", "post", f"/sessions/{sid}/advance", {"from_phase": "silent"})
    after_one = api("manager", "post", f"/sessions/{sid}/record-next").json()
    assert [i["text"] for i in after_one["ideas"]] == ["A"]
    everything = api("manager", "post", f"/sessions/{sid}/record-all").json()
    assert [(i["number"], i["text"]) for i in everything["ideas"]] == [
        (1, "A"),
        (2, "B"),
        (3, "C"),
    ]
    api("manager", "post", f"/sessions/{sid}/advance", {"from_phase": "recording"})
    api("manager", "post", f"/sessions/{sid}/advance", {"from_phase": "clarify"})
    ids = {i["text"]: i["id"] for i in everything["ideas"]}
    assert_problem(api("manager", "get", f"/sessions/{sid}/tally"), 409, "conflict")
    too_many = api("tech", "post", f"/sessions/{sid}/rankings", {"idea_ids": list(ids.values())})
    assert field_names(assert_problem(too_many, 422)) == ["ranking"]
    ranked = api("tech", "post", f"/sessions/{sid}/rankings", {"idea_ids": [ids["C"], ids["A"]]})
    assert ranked.status_code == 201
    assert ranked.json()["entries"] == [
        {"rank": 1, "idea_id": ids["C"], "number": 3, "points": 2},
        {"rank": 2, "idea_id": ids["A"], "number": 1, "points": 1},
    ]
    twice = api("tech", "post", f"/sessions/{sid}/rankings", {"idea_ids": [ids["A"], ids["C"]]})
    assert_problem(twice, 409, "conflict")
    outsider = api("south_manager", "post", f"/sessions/{sid}/rankings", {"idea_ids": [1, 2]})
    assert_problem(outsider, 404)
    api("manager", "post", f"/sessions/{sid}/rankings", {"idea_ids": [ids["A"], ids["C"]]})
    with django_assert_max_num_queries(20):
        live = api("tech", "get", f"/sessions/{sid}").json()
    assert live["vote_round"] == 1 and all(m["ranked"] for m in live["members"])

    api("manager", "post", f"/sessions/{sid}/advance", {"from_phase": "vote1"})
    tally = api("tech", "get", f"/sessions/{sid}/tally").json()
    # A: 1 + 2 = 3 (one first place), C: 2 + 1 = 3 (one first place): the earlier idea, A.
    assert [(r["number"], r["points"], r["broken_by"]) for r in tally["rows"]] == [
        (1, 3, ""),
        (3, 3, "earliest"),
        (2, 0, ""),
    ]
    assert tally["rows"][1]["note"]["en"].startswith("Tied with idea 1 on 3 points")
    assert tally["final"] is False


def test_a_brainstorm_through_the_api(api, world):
    pk = _problem(api)["id"]
    sid = api("manager", "post", f"/problems/{pk}/sessions", {"method": "brainstorm"}).json()["id"]
    api("tech", "post", f"/sessions/{sid}/join")
    api("manager", "post", f"/sessions/{sid}/advance", {"from_phase": "state"})
    grouped = api("manager", "post", f"/sessions/{sid}/subgroups", {"count": 2}).json()
    assert grouped["subgroups"] == 2 and [m["subgroup"] for m in grouped["members"]] == [1, 2]
    api("manager", "post", f"/sessions/{sid}/advance", {"from_phase": "groups"})
    first = api("tech", "post", f"/sessions/{sid}/ideas", {"text": "叫号屏"}).json()
    assert first["number"] == 1 and first["subgroup"] == 2
    built = api(
        "manager",
        "post",
        f"/sessions/{sid}/ideas",
        {"text": "叫号短信", "builds_on_id": first["id"]},
    ).json()
    assert built["builds_on_id"] == first["id"]
    api("manager", "post", f"/sessions/{sid}/advance", {"from_phase": "ideas"})
    aside = api("manager", "post", f"/sessions/{sid}/ideas/{first['id']}/aside", {"aside": False})
    assert aside.json()["set_aside"] is False


def test_problem_owner_can_be_changed_by_managers_only(api, world):
    pk = _problem(api)["id"]
    assert_problem(
        api("tech", "post", f"/problems/{pk}/owner", {"owner_id": world.tech.staff.pk}), 403
    )
    body = api("head", "post", f"/problems/{pk}/owner", {"owner_id": world.manager.staff.pk})
    assert body.status_code == 200
    bad = api("head", "post", f"/problems/{pk}/owner", {"owner_id": world.tech.staff.pk})
    assert field_names(assert_problem(bad, 422)) == ["owner"]
    dropped = api("manager", "post", f"/problems/{pk}/drop", {"reason": "重复"}).json()
    assert dropped["status"] == "dropped"
    assert Problem.objects.get().closing_note == "重复"
