"""The complaint through the HTTP API, from intake to the return visit, each step by its role;
each refusal as a problem document."""

import datetime as dt

import pytest
import time_machine

from conftest import assert_problem, auth, field_names, send
from manyi.complaints.models import CompensationLimit, Complaint, Resolution
from manyi.complaints.policy import causes_for

from .conftest import at


@pytest.fixture
def tokens(world, tech):
    return {
        name: auth(user)
        for name, user in {
            "sales": world.sales,
            "rep": world.rep,
            "tech": tech,
            "manager": world.manager,
            "inspector": world.inspector,
            "analyst": world.analyst,
            "south": world.south_manager,
            "other": world.other_head,
            "outsider": world.outsider,
        }.items()
    }


def _intake(client, tokens, customer, who="sales", **extra):
    body = {
        "customer_id": customer.pk,
        "description": "墙面起泡，刚刷完一周",
        "channel": "phone",
        "installer_name": "李师傅",
        "installer_phone": "13900001111",
        "product": "华彩净味墙面漆",
        "batch_no": "HC20260213-01",
        **extra,
    }
    return send(client, "post", "/api/v1/complaints", tokens[who], body)


def _post(client, tokens, who, url, body=None):
    return send(client, "post", f"/api/v1/complaints/{url}", tokens[who], body or {})


def _move(client, headers, case_id, move, version, payload=None):
    body = {"move": move, "version": version, "payload": payload or {}}
    return send(client, "post", f"/api/v1/cases/{case_id}/moves", headers, body)


def test_the_whole_complaint_through_the_api(client, world, tokens, tech, customer, rule):
    with time_machine.travel(at(2026, 3, 6, 16, 0), tick=False):
        r = _intake(client, tokens, customer)
    assert r.status_code == 201, r.content
    body = r.json()
    case = body["case"]
    cid = case["id"]
    assert case["number"] == "TS-2026-000001" and case["stage"] == "first_contact"
    assert dt.datetime.fromisoformat(case["due_at"]) == at(2026, 3, 9, 9, 0)
    assert case["assignee_id"] == tech.staff.pk
    assert body["complaint"]["acknowledged_at"] is not None
    assert body["scripts"]  # the words for the first call

    # First contact: the move is refused until the calls and the visit are logged.
    r = _move(client, tokens["tech"], cid, "contacted", case["version"])
    assert "call" in field_names(assert_problem(r, 422, "invalid-input"))
    for party in ("customer", "installer"):
        r = _post(client, tokens, "tech", f"{cid}/calls", {"party": party, "outcome": "reached"})
        assert r.status_code == 201, r.content
    version = send(client, "get", f"/api/v1/complaints/{cid}", tokens["tech"]).json()["case"][
        "version"
    ]
    visit = {"at": "2026-12-03T10:00:00+08:00", "place": "现场", "version": version}
    r = _post(client, tokens, "tech", f"{cid}/visit", visit)
    assert r.status_code == 200, r.content
    assert r.json()["complaint"]["first_contact_at"] is not None
    version = r.json()["case"]["version"]
    r = _move(client, tokens["tech"], cid, "contacted", version)
    assert r.status_code == 200 and r.json()["stage"] == "preparation"

    # Money before the site investigation is refused (002 第五章).
    r = _post(
        client,
        tokens,
        "tech",
        f"{cid}/resolutions",
        {"kind": "compensate", "amount": "500", "version": r.json()["version"]},
    )
    assert_problem(r, 409, "invalid-move")
    assert not Resolution.objects.exists()

    version = send(client, "get", f"/api/v1/cases/{cid}", tokens["tech"]).json()["version"]
    prep = {"likely_cause": "基层潮湿", "tools": ["brush", "panel"], "version": version}
    r = _post(client, tokens, "tech", f"{cid}/preparation", prep)
    assert r.status_code == 200 and r.json()["complaint"]["tools"] == ["brush", "panel"]
    r = _move(client, tokens["tech"], cid, "prepared", r.json()["case"]["version"])
    assert r.json()["stage"] == "investigation"
    r = _post(
        client,
        tokens,
        "tech",
        f"{cid}/investigation",
        {
            "present": ["technician", "customer"],
            "findings": "基层潮湿",
            "version": r.json()["version"],
        },
    )
    # The installer was named, so all three parties must have been there.
    assert "present" in field_names(assert_problem(r, 422))
    version = send(client, "get", f"/api/v1/cases/{cid}", tokens["tech"]).json()["version"]
    r = _post(
        client,
        tokens,
        "tech",
        f"{cid}/investigation",
        {
            "present": ["technician", "customer", "installer"],
            "findings": "基层潮湿",
            "version": version,
        },
    )
    assert r.status_code == 200, r.content
    experiment = {
        "purpose": "验证基层含水率",
        "material": "未开罐 HC20260213-01",
        "unopened": True,
        "procedure": "按公司配比刷样板",
        "result": "干燥后无起泡",
    }
    r = _post(client, tokens, "tech", f"{cid}/experiments", experiment)
    assert r.status_code == 201 and r.json()["unopened"] is True
    version = send(client, "get", f"/api/v1/cases/{cid}", tokens["tech"]).json()["version"]
    r = _post(
        client,
        tokens,
        "tech",
        f"{cid}/resolutions",
        {"kind": "compensate", "amount": "1500.00", "cost": "1500.00", "version": version},
    )
    assert r.status_code == 201 and r.json()["status"] == "proposed"
    rid = r.json()["id"]
    r = _move(client, tokens["tech"], cid, "investigated", _version(client, tokens, cid))
    assert r.json()["stage"] == "ruling"
    cause = causes_for(world.company.pk)[0]
    r = _post(
        client,
        tokens,
        "tech",
        f"{cid}/ruling",
        {"responsibility": "nobody", "cause_id": cause.pk, "version": r.json()["version"]},
    )
    assert "responsibility" in field_names(assert_problem(r, 422))
    r = _post(
        client,
        tokens,
        "tech",
        f"{cid}/ruling",
        {"responsibility": "ours", "cause_id": cause.pk, "version": _version(client, tokens, cid)},
    )
    assert r.status_code == 200 and r.json()["complaint"]["responsibility"] == "ours"

    # Above the company's limit of 1,000 yuan: executing waits for the manager's approval.
    execute = {"cost": "1600", "version": _version(client, tokens, cid)}
    r = _post(client, tokens, "tech", f"{cid}/resolutions/{rid}/execute", execute)
    assert_problem(r, 409, "invalid-move")
    r = _post(client, tokens, "tech", f"{cid}/resolutions/{rid}/approve", execute)
    assert_problem(r, 403, "out-of-scope")
    r = _post(
        client,
        tokens,
        "manager",
        f"{cid}/resolutions/{rid}/approve",
        {"version": _version(client, tokens, cid)},
    )
    assert r.status_code == 200 and r.json()["approved_by"] == "manager"
    execute["version"] = _version(client, tokens, cid)
    r = _post(client, tokens, "tech", f"{cid}/resolutions/{rid}/execute", execute)
    assert r.status_code == 200 and r.json()["status"] == "executed"
    assert r.json()["cost"] == "1600.00"
    r = _move(client, tokens["tech"], cid, "resolved", _version(client, tokens, cid))
    assert r.json()["stage"] == "follow_up"

    # Closure needs the emotional follow-up call.
    r = _move(client, tokens["tech"], cid, "followed_up", r.json()["version"])
    assert "follow_up" in field_names(assert_problem(r, 422))
    r = _post(client, tokens, "tech", f"{cid}/follow-up", {"outcome": "reached"})
    assert r.status_code == 201
    r = _move(client, tokens["tech"], cid, "followed_up", _version(client, tokens, cid))
    assert r.json()["stage"] == "return_visit"
    r = _post(
        client,
        tokens,
        "rep",
        f"{cid}/return-visit",
        {"outcome": "satisfied", "version": r.json()["version"]},
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["case"]["stage"] == "done" and body["case"]["closed_at"]
    complaint = body["complaint"]
    assert complaint["resolved_at"] and complaint["follow_up_at"]
    assert complaint["return_visit_outcome"] == "satisfied"
    assert [r["status"] for r in body["resolutions"]] == ["executed"]
    assert len(body["experiments"]) == 1


def _version(client, tokens, cid):
    return send(client, "get", f"/api/v1/cases/{cid}", tokens["rep"]).json()["version"]


def test_intake_refusals_are_problem_documents(client, world, tokens, customer, make_customer):
    r = _intake(client, tokens, customer, description="", contact_phone="12")
    assert set(field_names(assert_problem(r, 422))) == {"description", "contact_phone"}
    r = _intake(client, tokens, customer, amount_claimed="1e999")
    assert_problem(r, 422)
    r = _intake(client, tokens, customer, who="tech")
    assert_problem(r, 403, "out-of-scope")
    r = _intake(client, tokens, customer, who="outsider")
    assert_problem(r, 403)
    south = make_customer(outlet=world.south1)
    r = _intake(client, tokens, south)
    assert field_names(assert_problem(r, 422)) == ["customer_id"]
    r = _intake(client, tokens, customer, about_staff_id=999999)
    assert field_names(assert_problem(r, 422)) == ["about_staff_id"]
    assert not Complaint.objects.exists()


def test_reads_are_scoped(client, world, tokens, customer, rule):
    cid = _intake(client, tokens, customer).json()["case"]["id"]
    assert send(client, "get", f"/api/v1/complaints/{cid}", tokens["analyst"]).status_code == 200
    # The analyst sees masked phones.
    body = send(client, "get", f"/api/v1/complaints/{cid}", tokens["analyst"]).json()
    assert "****" in body["complaint"]["contact_phone"]
    assert_problem(send(client, "get", f"/api/v1/complaints/{cid}", tokens["south"]), 404)
    assert_problem(send(client, "get", f"/api/v1/complaints/{cid}", tokens["other"]), 404)
    # A work order is not a complaint.
    from manyi.workorders import actions as workorders

    order = workorders.take_order(actor=world.sales, customer=customer, site_address="x路1号")
    assert_problem(send(client, "get", f"/api/v1/complaints/{order.pk}", tokens["rep"]), 404)


def test_stale_versions_and_wrong_roles_are_refused(client, world, tokens, customer, rule):
    cid = _intake(client, tokens, customer).json()["case"]["id"]
    version = _version(client, tokens, cid)
    visit = {"at": "2026-12-03T10:00:00+08:00", "version": version}
    assert _post(client, tokens, "tech", f"{cid}/visit", visit).status_code == 200
    # The same version again: someone changed the complaint since.
    visit["at"] = "2026-12-04T10:00:00+08:00"
    visit["reason"] = "客户改时间"
    assert_problem(_post(client, tokens, "tech", f"{cid}/visit", visit), 409, "stale-version")
    r = _post(
        client,
        tokens,
        "inspector",
        f"{cid}/escalate",
        {"reasons": ["safety"], "version": _version(client, tokens, cid)},
    )
    assert_problem(r, 403)
    r = _post(
        client,
        tokens,
        "tech",
        f"{cid}/reassign",
        {"assignee_id": world.manager.staff.pk, "reason": "换人", "version": 1},
    )
    assert_problem(r, 403)


def test_the_list_pages_and_searches_within_a_query_budget(
    client, world, tokens, customer, rule, make_customer, django_assert_max_num_queries
):
    ids = [
        _intake(client, tokens, make_customer(name=f"客户{i}")).json()["case"]["id"]
        for i in range(12)
    ]
    with django_assert_max_num_queries(8):
        r = send(client, "get", "/api/v1/complaints?limit=5", tokens["rep"])
    page = r.json()
    assert [row["id"] for row in page["items"]] == ids[::-1][:5]
    r = send(
        client, "get", f"/api/v1/complaints?limit=5&cursor={page['next_cursor']}", tokens["rep"]
    )
    assert [row["id"] for row in r.json()["items"]] == ids[::-1][5:10]
    r = send(client, "get", "/api/v1/complaints?q=客户3", tokens["rep"])
    assert [row["customer_name"] for row in r.json()["items"]] == ["客户3"]


def test_merge_and_close_through_the_api(client, world, tokens, customer, rule):
    first = _intake(client, tokens, customer).json()["case"]["id"]
    second = _intake(client, tokens, customer, channel="store").json()["case"]["id"]
    r = _post(
        client,
        tokens,
        "rep",
        f"{second}/merge",
        {"into_id": second, "version": _version(client, tokens, second)},
    )
    assert field_names(assert_problem(r, 422)) == ["into_id"]
    r = _post(
        client,
        tokens,
        "rep",
        f"{second}/merge",
        {
            "into_id": first,
            "reason": "同一问题重复投诉",
            "version": _version(client, tokens, second),
        },
    )
    assert r.status_code == 200, r.content
    assert r.json()["case"]["stage"] == "merged"
    assert r.json()["complaint"]["merged_into_id"] == first
    r = _post(client, tokens, "rep", f"{first}/close", {"reason": "", "version": 99})
    assert_problem(r, 409, "stale-version")
    r = _post(
        client,
        tokens,
        "rep",
        f"{first}/close",
        {"reason": "客户撤回投诉", "version": _version(client, tokens, first)},
    )
    assert r.json()["case"]["stage"] == "closed"
    assert Complaint.objects.count() == 2  # nothing is deleted


def test_an_outlet_limit_lets_the_technician_agree_more(
    client, world, tokens, customer, rule, advance
):
    CompensationLimit.objects.create(unit=world.east1, amount=2000)
    cid = _intake(client, tokens, customer).json()["case"]["id"]
    from manyi.cases.models import Case

    advance(Case.objects.get(pk=cid), "investigation")
    r = _post(
        client,
        tokens,
        "tech",
        f"{cid}/resolutions",
        {"kind": "refund", "amount": "1500", "version": _version(client, tokens, cid)},
    )
    assert r.json()["status"] == "approved"
