"""API contract: standards, ranking, templates, plans, audits, findings, programmes, problem
documents for every refusal."""

from __future__ import annotations

import pytest

from conftest import assert_problem, auth, field_names, send
from manyi.quality.models import AuditFinding
from manyi.quality.tests.conftest import codes

BASE = "/api/v1"


def test_standard_lifecycle(client, world):
    head = auth(world.head)
    response = send(
        client,
        "post",
        f"{BASE}/standards",
        head,
        {"area": "timeliness", "statement": "进店30秒内招呼", "criterion": ""},
    )
    assert response.status_code == 201
    body = response.json()
    assert (
        body["observable"] is False and body["status"] == "draft" and body["side"] == "procedural"
    )
    pk = body["id"]
    problem = assert_problem(
        send(client, "post", f"{BASE}/standards/{pk}/approve", head, {"checks": ["clear"]}), 422
    )
    assert set(field_names(problem)) == {"criterion", "checks"}
    send(
        client,
        "patch",
        f"{BASE}/standards/{pk}",
        head,
        {"criterion": "≤30秒", "criterion_value": 30, "criterion_unit": "秒"},
    )
    checks = ["clear", "concise", "observable", "realistic"]
    body = send(client, "post", f"{BASE}/standards/{pk}/approve", head, {"checks": checks}).json()
    assert body["status"] == "approved"
    body = send(
        client,
        "patch",
        f"{BASE}/standards/{pk}",
        head,
        {"statement": "进店20秒内招呼", "change_note": "提高要求"},
    ).json()
    assert (body["version"], body["status"], len(body["versions"])) == (2, "draft", 2)
    assert body["versions"][1]["approved_at"] is not None
    listed = send(client, "get", f"{BASE}/standards?status=draft", head).json()
    assert [s["id"] for s in listed] == [pk]


def test_bad_input_is_a_problem_document(client, world):
    head = auth(world.head)
    problem = assert_problem(
        send(client, "post", f"{BASE}/standards", head, {"area": "x", "statement": ""}), 422
    )
    assert {"area", "statement"} <= set(field_names(problem))
    assert_problem(send(client, "post", f"{BASE}/standards", head, "not json"), 400)
    assert_problem(send(client, "get", f"{BASE}/standards/999999", head), 404)


@pytest.mark.parametrize("who", ["sales", "tech", "outsider"])
def test_wrong_roles_are_refused(client, world, who):
    headers = auth(world.users[who])
    assert_problem(send(client, "get", f"{BASE}/standards", headers), 403)
    assert_problem(
        send(client, "post", f"{BASE}/standards", headers, {"area": "flow", "statement": "x"}), 403
    )


def test_other_company_sees_nothing(client, world, template):
    other = auth(world.other_head)
    assert send(client, "get", f"{BASE}/standards", other).json() == []
    assert send(client, "get", f"{BASE}/audit-templates", other).json() == []
    sid = template.standards.first().pk
    assert_problem(send(client, "get", f"{BASE}/standards/{sid}", other), 404)


def test_priorities_and_template(client, world, five):
    head = auth(world.head)
    body = send(
        client,
        "put",
        f"{BASE}/priorities",
        head,
        {
            "procedural_share": 40,
            "procedural": [five["B"].pk],
            "personal": [five["E"].pk, five["C"].pk],
        },
    ).json()
    assert body["personal_share"] == 60 and body["personal"] == [five["E"].pk, five["C"].pk]
    response = send(
        client,
        "post",
        f"{BASE}/audit-templates",
        head,
        {"name": "巡店", "standards": [s.pk for s in five.values()], "walkaround": True},
    )
    assert response.status_code == 201 and response.json()["walkaround"] is True
    problem = assert_problem(
        send(
            client,
            "post",
            f"{BASE}/audit-templates",
            head,
            {"name": "巡店2", "standards": [five["A"].pk], "walkaround": True},
        ),
        422,
    )
    assert field_names(problem) == ["standards"]


def test_audit_through_the_api(client, world, template, django_assert_max_num_queries):
    auditor = auth(world.auditor)
    code = codes(template)
    response = send(
        client,
        "post",
        f"{BASE}/audits",
        auditor,
        {"outlet_id": world.east1.pk, "template_id": template.pk},
    )
    assert response.status_code == 201
    pk = response.json()["id"]
    again = send(
        client,
        "post",
        f"{BASE}/audits",
        auditor,
        {"outlet_id": world.east1.pk, "template_id": template.pk},
    )
    assert again.status_code == 200 and again.json()["id"] == pk
    body = send(
        client,
        "put",
        f"{BASE}/audits/{pk}/answers",
        auditor,
        {"answers": {code["A"]: "met"}, "notes": {code["A"]: "主动招呼"}},
    ).json()
    assert body["answers"] == {code["A"]: "met"}
    problem = assert_problem(send(client, "post", f"{BASE}/audits/{pk}/submit", auditor, {}), 422)
    assert set(field_names(problem)) == {code[c] for c in "BCDE"}
    answers = {code["B"]: "not_met", code["C"]: "partly", code["D"]: "met", code["E"]: "not_met"}
    body = send(client, "post", f"{BASE}/audits/{pk}/submit", auditor, {"answers": answers}).json()
    assert body["status"] == "submitted" and body["index"] == pytest.approx(60.0)
    kinds = sorted(f["kind"] for f in body["findings"])
    assert kinds == ["gap", "gap", "gap", "recognition", "recognition"]
    assert_problem(
        send(client, "put", f"{BASE}/audits/{pk}/answers", auditor, {"answers": {}}), 409
    )
    gap = AuditFinding.objects.get(audit_id=pk, standard__code="B")
    head = auth(world.head)
    response = send(
        client,
        "post",
        f"{BASE}/audit-findings/{gap.pk}/actions",
        head,
        {"description": "整改", "owner_id": world.manager.staff.pk, "due_on": "2099-01-01"},
    )
    assert response.status_code == 201
    item = response.json()["id"]
    manager = auth(world.manager)
    assert [i["id"] for i in send(client, "get", f"{BASE}/action-items", manager).json()] == [item]
    assert (
        send(client, "post", f"{BASE}/action-items/{item}/done", manager, {}).json()["status"]
        == "done"
    )
    with django_assert_max_num_queries(8):
        listed = send(client, "get", f"{BASE}/audits", head).json()
    assert [a["id"] for a in listed["items"]] == [pk]


def test_auditor_due_list(client, world, template):
    head = auth(world.head)
    response = send(
        client,
        "post",
        f"{BASE}/audit-plans",
        head,
        {
            "name": "月审",
            "template_id": template.pk,
            "outlet_ids": [world.east1.pk],
            "every": 1,
            "period": "month",
            "starts_on": "2026-11-01",
            "auditor_id": world.auditor.staff.pk,
        },
    )
    assert response.status_code == 201
    due = send(client, "get", f"{BASE}/audit-plans/due", auth(world.auditor)).json()
    assert [d["outlet_id"] for d in due] == [world.east1.pk]


def test_programme_through_the_api(client, world, shopper):
    head = auth(world.head)
    base = f"{BASE}/mystery-programs"
    program = send(client, "post", base, head, {"name": "季度神秘顾客"}).json()
    pk = program["id"]
    assert program["stage"] == "objectives" and program["blocked_by"]
    problem = assert_problem(send(client, "post", f"{base}/{pk}/advance", head, {}), 409)
    assert problem["code"] == "invalid-move"
    send(
        client,
        "put",
        f"{base}/{pk}/objectives",
        head,
        {"objectives": "了解接待", "learn_areas": ["reception", "competitors"]},
    )
    assert send(client, "post", f"{base}/{pk}/advance", head, {}).json()["stage"] == "outlets"
    rival = send(client, "post", f"{BASE}/competitor-outlets", head, {"name": "对面药房"}).json()
    own = send(client, "post", f"{base}/{pk}/targets", head, {"outlet_id": world.east2.pk}).json()
    send(client, "post", f"{base}/{pk}/targets", head, {"competitor_id": rival["id"]})
    send(client, "post", f"{base}/{pk}/advance", head, {})
    scenario = send(
        client, "post", f"{base}/{pk}/scenarios", head, {"title": "咨询", "script": "问感冒药"}
    ).json()
    send(client, "post", f"{base}/{pk}/advance", head, {})
    # No visit before the checklist and the shoppers.
    visit = {
        "target_id": own["id"],
        "shopper_id": shopper.staff.pk,
        "scenario_id": scenario["id"],
        "planned_on": "2099-01-01",
    }
    assert_problem(send(client, "post", f"{base}/{pk}/visits", head, visit), 409)
    body = send(client, "put", f"{base}/{pk}/checklist", head, {}).json()
    assert body["checklist_version_id"]
    send(client, "post", f"{base}/{pk}/advance", head, {})
    send(client, "post", f"{base}/{pk}/shoppers", head, {"shopper_id": shopper.staff.pk})
    assert send(client, "post", f"{base}/{pk}/advance", head, {}).json()["stage"] == "schedule"
    assert send(client, "post", f"{base}/{pk}/visits", head, visit).status_code == 201
    assert_problem(send(client, "get", base, auth(world.auditor)), 403)
