"""The work order through the HTTP API, from the sale to the return visit, each step by its role.

Times as in test_workflow.py (Asia/Shanghai, the 2026 Spring Festival schedule).
"""

import base64
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from conftest import assert_problem, auth, field_names, fresh_user, send
from manyi.cases.models import Case, EventKind
from manyi.workorders.workflow import CHECKPOINTS

SH = ZoneInfo("Asia/Shanghai")
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
SIGNATURE = "data:image/png;base64," + base64.b64encode(PNG).decode()


def at(*args):
    return dt.datetime(*args, tzinfo=SH)


@pytest.fixture
def tech(world):
    staff = world.tech.staff
    staff.work_licence = True
    staff.save()
    return fresh_user(world.tech)


@pytest.fixture
def tokens(world, tech):
    return {
        name: auth(user)
        for name, user in {
            "sales": world.sales,
            "rep": world.rep,
            "tech": tech,
            "inspector": world.inspector,
            "analyst": world.analyst,
            "south": world.south_manager,
            "outsider": world.outsider,
        }.items()
    }


@pytest.fixture
def customer(make_customer):
    return make_customer(name="王小明", address_detail="漕溪北路88号")


def _intake(client, tokens, customer, **extra):
    body = {
        "customer_id": customer.pk,
        "installer_name": "李师傅",
        "installer_phone": "13900001111",
        "planned_start": "2026-02-20",
        "products": "华彩净味墙面漆 HC20260213-01 ×5",
        **extra,
    }
    return send(client, "post", "/api/v1/work-orders", tokens["sales"], body)


def _move(client, headers, case_id, move, version, payload=None, note=""):
    body = {"move": move, "version": version, "payload": payload or {}, "note": note}
    return send(client, "post", f"/api/v1/cases/{case_id}/moves", headers, body)


def test_the_whole_work_order_through_the_api(client, world, tokens, tech, customer):
    with time_machine.travel(at(2026, 2, 13, 16, 0), tick=False):
        response = _intake(client, tokens, customer)
    assert response.status_code == 201, response.content
    body = response.json()
    case = body["case"]
    case_id = case["id"]
    assert case["number"] == "FW-2026-000001" and case["stage"] == "intake"
    # 4 business hours from Fri 16:00: 1.5 h on Friday, 2.5 h on the make-up Saturday.
    assert dt.datetime.fromisoformat(case["due_at"]) == at(2026, 2, 14, 11, 0)
    assert body["work_order"]["installer_phone"] == "13900001111"
    assert case["allowed_moves"] == []  # the front line opens cases; it does not move them

    with time_machine.travel(at(2026, 2, 14, 10, 0), tick=False):
        detail = send(client, "get", f"/api/v1/cases/{case_id}", tokens["rep"]).json()
        assert {m["code"] for m in detail["allowed_moves"]} == {"dispatch", "cancel"}
        r = send(
            client,
            "post",
            f"/api/v1/cases/{case_id}/assign",
            tokens["rep"],
            {"assignee_id": tech.staff.pk, "version": 1},
        )
        assert r.status_code == 200, r.content
        r = _move(client, tokens["rep"], case_id, "dispatch", r.json()["version"])
        assert r.status_code == 200, r.content
    case = r.json()
    assert case["stage"] == "contact"
    # Dispatched on the make-up Saturday: the next business day is Tuesday 24 February.
    assert dt.datetime.fromisoformat(case["due_at"]) == at(2026, 2, 24, 17, 30)

    with time_machine.travel(at(2026, 2, 24, 9, 0), tick=False):
        r = send(
            client,
            "post",
            f"/api/v1/cases/{case_id}/calls",
            tokens["tech"],
            {"outcome": "reached", "party": "customer", "note": "约好周四上门"},
        )
        assert r.status_code == 201 and r.json()["kind"] == "call"
        r = send(
            client,
            "post",
            f"/api/v1/work-orders/{case_id}/first-visit",
            tokens["tech"],
            {"at": "2026-02-26T09:00:00+08:00"},
        )
        assert r.status_code == 200, r.content
        first_visit = r.json()["work_order"]["first_visit_at"]
        assert dt.datetime.fromisoformat(first_visit) == at(2026, 2, 26, 9, 0)
        tech_view = r.json()["case"]
        assert [m["code"] for m in tech_view["allowed_moves"]] == ["contacted"]
        r = _move(client, tokens["tech"], case_id, "contacted", case["version"])
        assert r.status_code == 200, r.content
        assert r.json()["stage"] == "service"
        version = r.json()["version"]

    with time_machine.travel(at(2026, 2, 26, 10, 0), tick=False):
        r = send(
            client,
            "post",
            f"/api/v1/work-orders/{case_id}/visits",
            tokens["tech"],
            {"step": "底漆", "mix_ratio": "1:1", "customer_informed": True},
        )
        assert r.status_code == 201 and r.json()["data"]["step"] == "底漆"
        r = _move(client, tokens["tech"], case_id, "hand_in", version)
        assert r.json()["stage"] == "record"
        version = r.json()["version"]
        # Not signed yet: the requirement names the field.
        body = assert_problem(_move(client, tokens["tech"], case_id, "submit", version), 422)
        assert field_names(body) == ["signature"]
        r = send(
            client,
            "post",
            f"/api/v1/work-orders/{case_id}/sign",
            tokens["tech"],
            {"signer_name": "王小明", "evaluation": "very_satisfied", "signature": SIGNATURE},
        )
        assert r.status_code == 200, r.content
        signed = r.json()["work_order"]
        assert len(signed["signed_hash"]) == 64 and len(signed["signature_sha256"]) == 64
        again = send(
            client,
            "post",
            f"/api/v1/work-orders/{case_id}/sign",
            tokens["tech"],
            {"signer_name": "王小明", "evaluation": "satisfied", "signature": SIGNATURE},
        )
        assert_problem(again, 409, "conflict")
        r = _move(client, tokens["tech"], case_id, "submit", version)
        assert r.json()["stage"] == "acceptance"
        version = r.json()["version"]

    checklist = dict.fromkeys(CHECKPOINTS, "pass")
    accept = {"checklist": checklist, "method": 5, "attitude": 5}
    with time_machine.travel(at(2026, 2, 27, 10, 0), tick=False):
        # The technician does not inspect their own work.
        assert_problem(_move(client, tokens["tech"], case_id, "accept", version, accept), 403)
        r = _move(
            client,
            tokens["inspector"],
            case_id,
            "rework",
            version,
            {"notes": "收口不精", "method": 4, "attitude": 5},
        )
        assert r.json()["stage"] == "service" and r.json()["counters"] == {"rework": 1}
        version = r.json()["version"]
    with time_machine.travel(at(2026, 2, 28, 10, 0), tick=False):
        version = _move(client, tokens["tech"], case_id, "hand_in", version).json()["version"]
        version = _move(client, tokens["tech"], case_id, "submit", version).json()["version"]
        r = _move(client, tokens["inspector"], case_id, "accept", version, accept)
        assert r.json()["stage"] == "archive"
        r = _move(client, tokens["rep"], case_id, "archive", r.json()["version"])
        assert r.json()["stage"] == "return_visit"
        # Paint: the return visit is due within 30 calendar days (002).
        assert dt.datetime.fromisoformat(r.json()["due_at"]) == at(2026, 3, 30, 23, 59, 59)
        version = r.json()["version"]
    with time_machine.travel(at(2026, 3, 5, 10, 0), tick=False):
        body = assert_problem(_move(client, tokens["rep"], case_id, "close", version), 422)
        assert field_names(body) == ["outcome"]
        r = _move(client, tokens["rep"], case_id, "close", version, {"outcome": "satisfied"})
        assert r.status_code == 200, r.content
    assert r.json()["stage"] == "done" and r.json()["closed_at"] and r.json()["due_at"] is None
    detail = send(client, "get", f"/api/v1/work-orders/{case_id}", tokens["rep"]).json()
    assert detail["work_order"]["return_visit_outcome"] == "satisfied"
    assert detail["work_order"]["inspection"]["result"] == "pass"
    events = send(client, "get", f"/api/v1/cases/{case_id}/events", tokens["rep"]).json()
    assert events[0]["kind"] == EventKind.OPENED and events[-1]["data"]["move"] == "close"
    signature = next(e for e in events if e["kind"] == EventKind.SIGNATURE)
    assert signature["attachments"][0]["content_type"] == "image/png"


def test_intake_validates_fields(client, world, tokens, customer, make_customer):
    r = _intake(client, tokens, customer, installer_phone="123")
    assert field_names(assert_problem(r, 422)) == ["installer_phone"]
    r = _intake(client, tokens, customer, priority="whenever")
    assert field_names(assert_problem(r, 422)) == ["priority"]
    # A customer of another outlet's subtree is not found, as a field.
    southern = make_customer(outlet=world.south1)
    r = _intake(client, tokens, southern)
    assert field_names(assert_problem(r, 422)) == ["customer_id"]
    r = _intake(client, tokens, customer, planned_start="soon")
    assert field_names(assert_problem(r, 422)) == ["planned_start"]
    assert not Case.objects.exists()


def test_intake_needs_a_role_that_opens_cases(client, world, tokens, customer):
    r = send(client, "post", "/api/v1/work-orders", tokens["tech"], {"customer_id": customer.pk})
    assert_problem(r, 403)
    r = send(client, "post", "/api/v1/work-orders", tokens["analyst"], {"customer_id": customer.pk})
    assert_problem(r, 403)
    r = send(client, "post", "/api/v1/work-orders", {}, {"customer_id": customer.pk})
    assert_problem(r, 401)


def _in_service(client, tokens, customer, tech):
    case_id = _intake(client, tokens, customer).json()["case"]["id"]
    case = Case.objects.get(pk=case_id)
    case.assignee = tech.staff
    case.stage = "service"
    case.save()
    return case_id


def test_visits_and_signature_are_checked(client, world, tokens, tech, customer):
    case_id = _in_service(client, tokens, customer, tech)
    url = f"/api/v1/work-orders/{case_id}"
    assert field_names(
        assert_problem(send(client, "post", url + "/visits", tokens["tech"], {"step": " "}), 422)
    ) == ["step"]
    # Signing belongs to the record stage.
    sign = {"signer_name": "王小明", "evaluation": "satisfied", "signature": SIGNATURE}
    assert_problem(send(client, "post", url + "/sign", tokens["tech"], sign), 409, "conflict")
    Case.objects.filter(pk=case_id).update(stage="record")
    bad = {**sign, "signature": "data:image/png;base64,bm90IGFuIGltYWdl"}
    r = send(client, "post", url + "/sign", tokens["tech"], bad)
    assert field_names(assert_problem(r, 422)) == ["signature"]
    r = send(client, "post", url + "/sign", tokens["tech"], {**sign, "signature": "%%%"})
    assert field_names(assert_problem(r, 422)) == ["signature"]
    r = send(client, "post", url + "/sign", tokens["tech"], {**sign, "evaluation": "meh"})
    assert field_names(assert_problem(r, 422)) == ["evaluation"]


def test_work_orders_outside_scope_are_not_found(client, world, tokens, tech, customer):
    case_id = _intake(client, tokens, customer).json()["case"]["id"]
    for who in ("south", "outsider", "tech"):  # tech: not assigned to it
        assert_problem(send(client, "get", f"/api/v1/work-orders/{case_id}", tokens[who]), 404)
        r = send(
            client,
            "post",
            f"/api/v1/work-orders/{case_id}/visits",
            tokens[who],
            {"step": "底漆"},
        )
        assert_problem(r, 404)
    # The analyst reads, and may not write.
    assert (
        send(client, "get", f"/api/v1/work-orders/{case_id}", tokens["analyst"]).status_code == 200
    )
    r = send(
        client,
        "post",
        f"/api/v1/work-orders/{case_id}/first-visit",
        tokens["analyst"],
        {"at": "2026-02-26T09:00:00+08:00"},
    )
    assert_problem(r, 403)
    assert_problem(send(client, "get", "/api/v1/work-orders/999999", tokens["rep"]), 404)


def test_malformed_bodies_are_422(client, world, tokens, tech, customer):
    case_id = _in_service(client, tokens, customer, tech)
    for url, body in [
        ("/api/v1/work-orders", "{not json"),
        ("/api/v1/work-orders", {"customer_id": "x"}),
        ("/api/v1/work-orders", {"customer_id": 2**70}),
        ("/api/v1/work-orders", []),
        (f"/api/v1/work-orders/{case_id}/first-visit", {"at": "tomorrow"}),
        (f"/api/v1/work-orders/{case_id}/visits", {"step": ["底漆"]}),
        (f"/api/v1/work-orders/{case_id}/sign", {"signer_name": None}),
    ]:
        r = send(client, "post", url, tokens["rep"], body)
        assert 400 <= r.status_code < 500, (url, body, r.content)
        assert_problem(r, r.status_code)
