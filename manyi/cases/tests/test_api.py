"""The case engine's HTTP API: the queue, my jobs, moves and their rejections, logging, photos.

Cases are built through the work-order actions; times are Asia/Shanghai (see test_workflow.py).
"""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import assert_problem, auth, field_names, fresh_user, send
from manyi.cases import actions as cases
from manyi.cases.models import Attachment, Case, EventKind
from manyi.workorders import actions as workorders

SH = ZoneInfo("Asia/Shanghai")
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def at(*args):
    return dt.datetime(*args, tzinfo=SH)


@pytest.fixture
def tech(world):
    staff = world.tech.staff
    staff.work_licence = True
    staff.save()
    return fresh_user(world.tech)


@pytest.fixture
def order(world, make_customer):
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        return workorders.take_order(
            actor=world.sales, customer=make_customer(), site_address="徐汇区漕溪北路88号"
        )


@pytest.fixture
def in_contact(order, world, tech):
    with time_machine.travel(at(2026, 3, 2, 10, 0), tick=False):
        case = cases.assign(actor=world.rep, case=order, assignee=tech.staff, version=1)
        return cases.move(actor=world.rep, case=case, move="dispatch", version=case.version)


def _move(client, headers, case_id, move, version, payload=None):
    body = {"move": move, "version": version, "payload": payload or {}}
    return send(client, "post", f"/api/v1/cases/{case_id}/moves", headers, body)


# -- one case -------------------------------------------------------------------------------


def test_detail_shows_stage_deadline_and_the_moves_of_your_role(client, world, in_contact, tech):
    with time_machine.travel(at(2026, 3, 3, 9, 0), tick=False):
        body = send(client, "get", f"/api/v1/cases/{in_contact.pk}", auth(tech)).json()
    assert body["stage"] == "contact" and body["stage_label"]
    assert body["version"] == 3 and body["is_overdue"] is False
    assert dt.datetime.fromisoformat(body["due_at"]) == at(2026, 3, 3, 17, 30)
    assert [m["code"] for m in body["allowed_moves"]] == ["contacted"]
    assert body["calendar_warnings"] == [] and body["pausable"] is True
    rep = send(client, "get", f"/api/v1/cases/{in_contact.pk}", auth(world.rep)).json()
    assert {m["code"] for m in rep["allowed_moves"]} == {"cancel"}
    analyst = send(client, "get", f"/api/v1/cases/{in_contact.pk}", auth(world.analyst)).json()
    assert analyst["allowed_moves"] == []
    assert "****" in analyst["customer_phone"]  # PIPL: masked for analysts


def test_deadline_in_an_unknown_year_carries_a_warning(client, world, make_customer):
    with time_machine.travel(at(2031, 3, 3, 9, 0), tick=False):
        case = workorders.take_order(actor=world.sales, customer=make_customer(), site_address="x")
        body = send(client, "get", f"/api/v1/cases/{case.pk}", auth(world.rep)).json()
    assert body["calendar_warnings"] and body["calendar_warnings"][0]["zh"]


def test_overdue_case_is_flagged(client, world, order):
    with time_machine.travel(at(2026, 3, 5, 9, 0), tick=False):
        body = send(client, "get", f"/api/v1/cases/{order.pk}", auth(world.rep)).json()
    assert body["is_overdue"] is True


# -- rejections -----------------------------------------------------------------------------


def test_wrong_role_is_403(client, world, order):
    assert_problem(_move(client, auth(world.sales), order.pk, "dispatch", 1), 403)


def test_analyst_reads_but_may_not_write(client, world, order):
    headers = auth(world.analyst)
    assert send(client, "get", f"/api/v1/cases/{order.pk}", headers).status_code == 200
    assert send(client, "get", f"/api/v1/cases/{order.pk}/events", headers).status_code == 200
    assert_problem(_move(client, headers, order.pk, "cancel", 1, {"reason": "x"}), 403)
    url = f"/api/v1/cases/{order.pk}"
    assert_problem(send(client, "post", url + "/notes", headers, {"text": "x"}), 403)
    assert_problem(send(client, "post", url + "/calls", headers, {"outcome": "reached"}), 403)
    assert_problem(
        send(client, "post", url + "/assign", headers, {"assignee_id": 1, "version": 1}), 403
    )
    assert Case.objects.get(pk=order.pk).version == 1


def test_stale_version_is_409(client, world, order, tech):
    cases.assign(actor=world.rep, case=order, assignee=tech.staff, version=1)
    assert_problem(_move(client, auth(world.rep), order.pk, "dispatch", 1), 409, "stale-version")
    r = send(
        client,
        "post",
        f"/api/v1/cases/{order.pk}/assign",
        auth(world.rep),
        {"assignee_id": tech.staff.pk, "version": 1},
    )
    assert_problem(r, 409, "stale-version")


def test_move_not_allowed_from_the_stage_is_409(client, world, order):
    assert_problem(_move(client, auth(world.rep), order.pk, "accept", 1), 409, "invalid-move")
    assert_problem(_move(client, auth(world.rep), order.pk, "fly", 1), 409, "invalid-move")


def test_missing_requirement_is_422_with_the_field(client, world, order):
    body = assert_problem(_move(client, auth(world.rep), order.pk, "dispatch", 1), 422)
    assert field_names(body) == ["assignee"]
    body = assert_problem(_move(client, auth(world.rep), order.pk, "cancel", 1), 422)
    assert field_names(body) == ["reason"]


def test_outsiders_and_other_outlets_get_404(client, world, order, tech):
    url = f"/api/v1/cases/{order.pk}"
    for user in (world.south_manager, world.outsider, world.other_head, tech):
        headers = auth(user)
        assert_problem(send(client, "get", url, headers), 404)
        assert_problem(send(client, "get", url + "/events", headers), 404)
        assert_problem(_move(client, headers, order.pk, "dispatch", 1), 404)
        assert_problem(send(client, "post", url + "/notes", headers, {"text": "看不到"}), 404)
    assert_problem(send(client, "get", "/api/v1/cases/999999", auth(world.rep)), 404)
    assert_problem(send(client, "get", f"/api/v1/cases/{2**70}", auth(world.rep)), 404)
    assert_problem(send(client, "get", "/api/v1/cases", {}), 401)


def test_assign_checks_the_assignee(client, world, order):
    url = f"/api/v1/cases/{order.pk}/assign"
    # The technician has no work licence (持证上岗).
    r = send(
        client, "post", url, auth(world.rep), {"assignee_id": world.tech.staff.pk, "version": 1}
    )
    assert field_names(assert_problem(r, 422)) == ["assignee_id"]
    r = send(client, "post", url, auth(world.rep), {"assignee_id": 999999, "version": 1})
    assert field_names(assert_problem(r, 422)) == ["assignee_id"]
    other = world.south_manager.staff.pk  # works for another outlet
    r = send(client, "post", url, auth(world.rep), {"assignee_id": other, "version": 1})
    assert field_names(assert_problem(r, 422)) == ["assignee_id"]


def test_bulk_reassign(client, world, order, tech, make_customer):
    second = workorders.take_order(actor=world.sales, customer=make_customer(), site_address="x")
    url = "/api/v1/cases/bulk-reassign"
    body = {"case_ids": [order.pk, second.pk], "assignee_id": tech.staff.pk, "reason": "张工休假"}
    r = send(client, "post", url, auth(world.manager), body)
    assert r.status_code == 200 and r.json() == {"changed": 2}
    assert set(Case.objects.values_list("assignee", flat=True)) == {tech.staff.pk}
    assert field_names(
        assert_problem(send(client, "post", url, auth(world.manager), {**body, "reason": " "}), 422)
    ) == ["reason"]
    assert_problem(send(client, "post", url, auth(world.tech), body), 403)
    assert_problem(send(client, "post", url, auth(world.south_manager), body), 404)
    assert_problem(send(client, "post", url, auth(world.manager), {**body, "case_ids": []}), 422)


# -- the timeline ---------------------------------------------------------------------------


def test_calls_notes_pause_resume(client, world, in_contact, tech):
    headers = auth(tech)
    url = f"/api/v1/cases/{in_contact.pk}"
    with time_machine.travel(at(2026, 3, 3, 9, 0), tick=False):
        r = send(client, "post", url + "/calls", headers, {"outcome": "no_answer"})
        assert r.status_code == 201 and r.json()["data"] == {
            "outcome": "no_answer",
            "party": "customer",
        }
        r = send(client, "post", url + "/calls", headers, {"outcome": "lost"})
        assert field_names(assert_problem(r, 422)) == ["outcome"]
        r = send(client, "post", url + "/notes", headers, {"text": "客户出差"})
        assert r.status_code == 201 and r.json()["actor_name"] == "tech"
        assert field_names(
            assert_problem(send(client, "post", url + "/notes", headers, {"text": " "}), 422)
        ) == ["text"]
        r = send(client, "post", url + "/pause", headers, {"reason": "客户出差", "version": 3})
        assert r.status_code == 200 and r.json()["paused_at"] and r.json()["version"] == 4
        assert_problem(
            send(client, "post", url + "/pause", headers, {"reason": "x", "version": 4}),
            409,
            "invalid-move",
        )
        assert_problem(
            send(client, "post", url + "/resume", headers, {"version": 3}), 409, "stale-version"
        )
    with time_machine.travel(at(2026, 3, 4, 9, 0), tick=False):
        r = send(client, "post", url + "/resume", headers, {"version": 4})
        assert r.status_code == 200 and r.json()["paused_at"] is None
    events = send(client, "get", url + "/events", headers).json()
    assert [e["kind"] for e in events][-4:] == [
        EventKind.CALL,
        EventKind.NOTE,
        EventKind.PAUSE,
        EventKind.RESUME,
    ]


def test_photo_upload(client, world, in_contact, tech):
    url = f"/api/v1/cases/{in_contact.pk}/photos"
    photo = SimpleUploadedFile("site.png", PNG, content_type="image/png")
    r = client.post(url, {"file": photo, "caption": "墙面基层"}, **auth(tech))
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["kind"] == EventKind.PHOTO and body["text"] == "墙面基层"
    assert body["attachments"][0]["content_type"] == "image/png"
    assert Attachment.objects.get().size == len(PNG)
    text = SimpleUploadedFile("notes.png", b"not an image", content_type="image/png")
    r = client.post(url, {"file": text}, **auth(tech))
    assert field_names(assert_problem(r, 422)) == ["file"]
    empty = SimpleUploadedFile("empty.png", b"", content_type="image/png")
    assert_problem(client.post(url, {"file": empty}, **auth(tech)), 422)
    assert_problem(client.post(url, {"caption": "no file"}, **auth(tech)), 422)
    assert Attachment.objects.count() == 1
    photo = SimpleUploadedFile("site.png", PNG, content_type="image/png")
    assert_problem(client.post(url, {"file": photo}, **auth(world.south_manager)), 404)


def test_malformed_bodies_never_500(client, world, order):
    headers = auth(world.rep)
    url = f"/api/v1/cases/{order.pk}"
    bodies = [
        (url + "/moves", "{not json"),
        (url + "/moves", []),
        (url + "/moves", {"move": "dispatch"}),
        (url + "/moves", {"move": "dispatch", "version": "one"}),
        (url + "/moves", {"move": "dispatch", "version": 2**80}),
        (url + "/moves", {"move": "dispatch", "version": 1, "payload": [1, 2]}),
        (url + "/moves", {"move": ["x"], "version": 1}),
        (url + "/assign", {"assignee_id": "x", "version": 1}),
        (url + "/assign", {"assignee_id": 2**70, "version": 1}),
        (url + "/calls", {"outcome": None}),
        (url + "/notes", {"text": {"a": 1}}),
        (url + "/pause", {"reason": "x"}),
        (url + "/resume", "null"),
        ("/api/v1/cases/bulk-reassign", {"case_ids": ["a"], "assignee_id": 1, "reason": "x"}),
        ("/api/v1/cases/bulk-reassign", {"case_ids": [2**70], "assignee_id": 1, "reason": "x"}),
    ]
    for path, body in bodies:
        r = send(client, "post", path, headers, body)
        assert 400 <= r.status_code < 500, (path, body, r.content)
        assert_problem(r, r.status_code)
    for query in (
        "due=later",
        "limit=0",
        "limit=x",
        "outlet=x",
        "cursor=garbage",
        "within_days=-1",
    ):
        r = send(client, "get", "/api/v1/cases?" + query, headers)
        assert r.status_code in (200, 422), (query, r.content)
        if r.status_code == 422:
            assert_problem(r, 422)


def test_acceptance_payload_of_the_wrong_shape_is_422(client, world, order):
    Case.objects.filter(pk=order.pk).update(stage="acceptance")
    checklist = ["edges", "surface", "finish", "touch"]  # a list, not a mapping
    r = _move(
        client,
        auth(world.inspector),
        order.pk,
        "accept",
        1,
        {"checklist": checklist, "method": 5, "attitude": 5},
    )
    assert field_names(assert_problem(r, 422)) == ["checklist"]
    # 1e999 is valid JSON and reads as infinity in Python.
    raw = '{"move": "rework", "version": 1, "payload": {"notes": "x", "method": 1e999}}'
    r = send(client, "post", f"/api/v1/cases/{order.pk}/moves", auth(world.inspector), raw)
    assert field_names(assert_problem(r, 422)) == ["method"]


# -- lists ----------------------------------------------------------------------------------


@pytest.fixture
def thirty(world, tech, make_customer):
    """30 work orders at east-1, opened a day apart from 1 March 2026, all with the technician."""
    made = []
    for i in range(30):
        with time_machine.travel(at(2026, 3, 1, 9, 0) + dt.timedelta(days=i), tick=False):
            case = workorders.take_order(
                actor=world.sales, customer=make_customer(), site_address=f"徐汇区{i}号"
            )
            case = cases.assign(actor=world.rep, case=case, assignee=tech.staff, version=1)
            made.append(cases.move(actor=world.rep, case=case, move="dispatch", version=2))
    return made


def test_queue_is_overdue_first_then_by_deadline_and_pages_without_gaps(
    client, world, thirty, django_assert_max_num_queries
):
    headers = auth(world.rep)
    with time_machine.travel(at(2026, 3, 20, 12, 0), tick=False):
        seen = []
        cursor = ""
        while True:
            with django_assert_max_num_queries(8):
                r = send(client, "get", f"/api/v1/cases?limit=7{cursor}", headers)
            assert r.status_code == 200, r.content
            seen += r.json()["items"]
            if not r.json()["next_cursor"]:
                break
            cursor = "&cursor=" + r.json()["next_cursor"]
    assert len(seen) == 30 and len({c["id"] for c in seen}) == 30
    flags = [c["is_overdue"] for c in seen]
    assert flags == sorted(flags, reverse=True) and any(flags) and not all(flags)
    dues = [dt.datetime.fromisoformat(c["due_at"]) for c in seen]
    assert dues == sorted(dues)


def test_queue_filters(client, world, thirty, tech, make_customer):
    headers = auth(world.rep)
    south = workorders.take_order(
        actor=world.head, customer=make_customer(outlet=world.south1), site_address="x"
    )
    with time_machine.travel(at(2026, 3, 20, 12, 0), tick=False):

        def ids(query):
            r = send(client, "get", "/api/v1/cases?limit=200&" + query, headers)
            assert r.status_code == 200, r.content
            return [c["id"] for c in r.json()["items"]]

        overdue = ids("due=overdue")
        today = ids("due=today")
        week = ids("due=week")
        assert overdue and today and week
        assert not set(overdue) & set(today)
        assert set(today) <= set(week)
        assert len(ids("")) == 30  # the rep's region does not hold the southern case
        assert south.pk not in ids("")
        assert ids(f"outlet={world.east2.pk}") == []
        assert len(ids(f"outlet={world.east1.pk}&assignee={tech.staff.pk}&stage=contact")) == 30
        assert ids("stage=intake") == []
        assert ids(f"q={thirty[4].number[-6:]}") == [thirty[4].pk]
        assert len(ids("kind=workorder")) == 30 and ids("kind=complaint") == []
        assert ids("within_days=0") == today


def test_technician_lists_only_their_own_cases(client, world, thirty, make_customer):
    workorders.take_order(actor=world.sales, customer=make_customer(), site_address="x")
    with time_machine.travel(at(2026, 3, 20, 12, 0), tick=False):
        r = send(client, "get", "/api/v1/cases?limit=200", auth(fresh_user(world.tech)))
    assert len(r.json()["items"]) == 30


def test_my_jobs(client, world, thirty, tech, django_assert_max_num_queries):
    headers = auth(tech)
    with time_machine.travel(at(2026, 3, 20, 12, 0), tick=False):
        with django_assert_max_num_queries(6):
            r = send(client, "get", "/api/v1/cases/mine", headers)
    assert r.status_code == 200, r.content
    body = r.json()
    assert sum(len(body[k]) for k in ("overdue", "today", "next")) == 30
    assert all(c["is_overdue"] for c in body["overdue"])
    # Dispatched on Thursday 19 March: contact is due by the end of Friday the 20th.
    assert [c["id"] for c in body["today"]] == [thirty[18].pk]
    assert body["next"] and not any(c["is_overdue"] for c in body["next"])
    rep = send(client, "get", "/api/v1/cases/mine", auth(world.rep)).json()
    assert rep == {"overdue": [], "today": [], "next": []}
    assert_problem(send(client, "get", "/api/v1/cases/mine", auth(world.outsider)), 403)


def test_event_payload_is_json(client, world, order):
    body = send(client, "get", f"/api/v1/cases/{order.pk}/events", auth(world.rep)).json()
    assert body[0]["kind"] == "opened" and json.dumps(body)
