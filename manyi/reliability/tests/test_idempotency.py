"""Idempotency-Key: a replayed API write returns the first response and writes nothing.

The list of create endpoints comes from the OpenAPI schema, so a new one without a body in
:data:`BODIES` fails the coverage test until it is added.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.apps import apps
from django.utils import timezone

from conftest import assert_problem, auth, send
from manyi.idempotency import sweep_expired  # the settings' name for it
from manyi.reliability.models import IdempotencyKey

# Rows that change on reads or are the mechanism itself, not the request's writes.
_NOT_COUNTED = {"reliability.idempotencykey", "org.apitoken", "sessions.session"}


def row_counts() -> dict[str, int]:
    """Rows in every table of the project (one COUNT each)."""
    return {
        model._meta.label_lower: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.label_lower not in _NOT_COUNTED and model._meta.managed
    }


def written(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in after if after[name] != before[name]}


def post(client, headers, url, body, key):
    return send(client, "post", url, {**headers, "HTTP_IDEMPOTENCY_KEY": key}, body)


# -- the rules, on one endpoint ------------------------------------------------------------------


@pytest.fixture
def head(world):
    return auth(world.head)


def unit_body(world, code="E3"):
    return {
        "parent_id": world.east.pk,
        "kind": "outlet",
        "name": "苏州店",
        "code": code,
        "industry": "paint_dealer",
    }


def test_a_replay_returns_the_first_response_and_writes_nothing(client, world, head):
    first = post(client, head, "/api/v1/units", unit_body(world), "k-1")
    assert first.status_code == 201, first.content
    before = row_counts()
    again = post(client, head, "/api/v1/units", unit_body(world), "k-1")
    assert (again.status_code, again.content) == (201, first.content)
    assert again["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert written(before, row_counts()) == {}
    assert IdempotencyKey.objects.get().status == 201


def test_the_same_json_in_another_order_is_the_same_request(client, world, head):
    body = unit_body(world)
    first = post(client, head, "/api/v1/units", body, "k-order")
    reordered = (
        '{"industry": "paint_dealer", "code": "E3", "name": "苏州店", "kind": "outlet", '
        f'"parent_id": {world.east.pk}}}'
    )
    again = post(client, head, "/api/v1/units", reordered, "k-order")
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"


def test_the_same_key_with_another_body_is_refused(client, world, head):
    post(client, head, "/api/v1/units", unit_body(world), "k-2")
    before = row_counts()
    other = post(client, head, "/api/v1/units", unit_body(world, "E4"), "k-2")
    body = assert_problem(other, 422, "idempotency-key-reused")
    assert body["detail"]["zh"] == "这个 Idempotency-Key 已用于另一个请求。新的请求请使用新的键。"
    assert written(before, row_counts()) == {}
    # Another path with the key is another request too.
    assert_problem(post(client, head, "/api/v1/tokens", {"name": "x"}, "k-2"), 422)


def test_a_refusal_is_kept_and_replayed(client, world, head):
    bad = {**unit_body(world), "code": ""}
    first = assert_problem(post(client, head, "/api/v1/units", bad, "k-bad"), 422)
    again = post(client, head, "/api/v1/units", bad, "k-bad")
    assert again.json() == first and again["Idempotent-Replayed"] == "true"


def test_keys_belong_to_their_user(client, world, head):
    first = post(client, head, "/api/v1/tokens", {"name": "脚本"}, "shared-key")
    other = post(client, auth(world.rep), "/api/v1/tokens", {"name": "脚本"}, "shared-key")
    assert first.status_code == other.status_code == 201
    assert not other.has_header("Idempotent-Replayed")
    assert first.json()["id"] != other.json()["id"]


def test_a_session_user_has_the_same_keys_as_their_token(client, world, head):
    first = post(client, head, "/api/v1/tokens", {"name": "脚本"}, "k-session")
    client.force_login(world.head)
    again = post(client, {}, "/api/v1/tokens", {"name": "脚本"}, "k-session")
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"


def test_a_server_error_is_not_kept_and_writes_nothing(client, world, head, monkeypatch):
    from manyi.org import actions

    real = actions.create_unit

    def create_then_fail(**kwargs):
        real(**kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(actions, "create_unit", create_then_fail)
    client.raise_request_exception = False
    before = row_counts()
    failed = post(client, head, "/api/v1/units", unit_body(world), "k-500")
    assert failed.status_code == 500
    assert written(before, row_counts()) == {} and not IdempotencyKey.objects.exists()
    monkeypatch.setattr(actions, "create_unit", real)
    retried = post(client, head, "/api/v1/units", unit_body(world), "k-500")
    assert retried.status_code == 201 and not retried.has_header("Idempotent-Replayed")


def test_a_bad_key_is_refused(client, world, head):
    for key in ("", "has space", "中文", "x" * 256):
        body = assert_problem(post(client, head, "/api/v1/units", unit_body(world), key), 400)
        assert body["code"] == "invalid-idempotency-key"
    assert not IdempotencyKey.objects.exists()


def test_an_unauthenticated_request_is_not_kept(client, world):
    bad_token = {"HTTP_AUTHORIZATION": "Bearer manyi_nope"}
    assert_problem(post(client, bad_token, "/api/v1/units", unit_body(world), "k"), 401)
    assert_problem(post(client, {}, "/api/v1/units", unit_body(world), "k"), 401)
    assert not IdempotencyKey.objects.exists()


def test_reads_and_pages_ignore_the_header(client, world, head):
    response = client.get("/api/v1/units", HTTP_IDEMPOTENCY_KEY="k", **head)
    assert response.status_code == 200 and not IdempotencyKey.objects.exists()


def test_keys_expire_after_a_day_and_are_swept(client, world, head):
    first = post(client, head, "/api/v1/tokens", {"name": "脚本"}, "k-day")
    later = timezone.now() + dt.timedelta(hours=24, seconds=1)
    import time_machine

    with time_machine.travel(later, tick=False):
        again = post(client, head, "/api/v1/tokens", {"name": "脚本"}, "k-day")
        assert not again.has_header("Idempotent-Replayed")
        assert again.json()["id"] != first.json()["id"]
    assert IdempotencyKey.objects.count() == 1
    assert sweep_expired(now=later) == 0
    post(client, head, "/api/v1/tokens", {"name": "另一个"}, "k-other")
    assert sweep_expired(now=later + dt.timedelta(hours=24, seconds=2)) == 2
    assert not IdempotencyKey.objects.exists()


def test_the_sweep_is_a_periodic_task(world):
    from manyi import periodic
    from manyi.reliability.tasks import sweep_idempotency_keys

    entry = next(p for p in periodic.SCHEDULE if "sweep_idempotency_keys" in p.task)
    assert periodic.load(entry.task) is sweep_idempotency_keys
    IdempotencyKey.objects.create(
        principal="anon", key="old", method="POST", path="/api/v1/x", fingerprint="f",
        status=201, expires_at=timezone.now() - dt.timedelta(seconds=1),
    )  # fmt: skip
    sweep_idempotency_keys.call()
    assert not IdempotencyKey.objects.exists()


# -- every create endpoint ------------------------------------------------------------------------


@pytest.fixture
def ctx(world, make_customer):
    """What the bodies refer to, built through the actions."""
    from manyi.instruments.builtin import load_builtins
    from manyi.instruments.models import InstrumentVersion
    from manyi.quality.tests.conftest import make_standard

    load_builtins()
    standards = [
        make_standard(world.head, code, area)
        for code, area in [("A", "timeliness"), ("C", "appearance")]
    ]
    from manyi.quality.actions import audits

    template = audits.generate_template(
        actor=world.head, name="门店审核", standards=[s.pk for s in standards]
    )
    return {
        "customer": make_customer(),
        "nps": InstrumentVersion.objects.get(
            instrument__code="nps", instrument__company__isnull=True, number=1
        ),
        "standards": standards,
        "template": template,
    }


def _service_answers():
    from manyi.team.tests.test_service_level import answers

    return answers(4, 4, 4, 4, 4)


def _instrument_content(client, world, ctx):
    exported = send(
        client, "get", f"/api/v1/instrument-versions/{ctx['nps'].pk}/export", auth(world.head)
    )
    return {**exported.json(), "code": "nps-copy"}


# path → (persona, body builder(client, world, ctx)). Top-level creates and the nested records
# a phone retries most (purchases, case notes and calls).
BODIES = {
    "/api/v1/units": ("head", lambda c, w, x: unit_body(w)),
    "/api/v1/staff": (
        "head",
        lambda c, w, x: {
            "unit_id": w.east2.pk, "username": "newbie", "name": "新人", "role": "frontline",
            "password": "Long-enough-2026",
        },
    ),
    "/api/v1/tokens": ("rep", lambda c, w, x: {"name": "报表脚本"}),
    "/api/v1/customers": (
        "sales",
        lambda c, w, x: {"name": "李雷", "phone": "13912345678", "home_outlet_id": w.east1.pk},
    ),
    "/api/v1/customers/{customer_id}/purchases": (
        "sales",
        lambda c, w, x: {"product": "净味墙面漆", "purchased_on": "2026-11-01"},
    ),
    "/api/v1/cases/bulk-reassign": (
        "head",
        lambda c, w, x: {
            "case_ids": [x["work_order"].pk], "assignee_id": w.tech.staff.pk, "reason": "休假",
        },
    ),
    "/api/v1/cases/{case_id}/notes": ("head", lambda c, w, x: {"text": "客户下午在家"}),
    "/api/v1/cases/{case_id}/calls": (
        "head",
        lambda c, w, x: {"outcome": "reached", "note": "约好周五上门"},
    ),
    "/api/v1/work-orders": (
        "sales",
        lambda c, w, x: {
            "customer_id": x["customer"].pk, "site_address": "漕溪北路88号",
            "products": "墙面漆 ×5",
        },
    ),
    "/api/v1/complaints": (
        "sales",
        lambda c, w, x: {"customer_id": x["customer"].pk, "description": "墙面起泡"},
    ),
    "/api/v1/instruments": (
        "head",
        lambda c, w, x: {"code": "csi-2027", "name": "满意度调查", "kind": "survey"},
    ),
    "/api/v1/instruments/import": ("head", _instrument_content),
    "/api/v1/survey-campaigns": (
        "head",
        lambda c, w, x: {
            "name": "API 调查", "unit_id": w.company.pk, "version_id": x["nps"].pk,
            "deadline_at": "2026-12-20T10:00:00+08:00",
        },
    ),
    "/api/v1/standards": (
        "head",
        lambda c, w, x: {"area": "timeliness", "statement": "进店30秒内招呼", "criterion": ""},
    ),
    "/api/v1/audit-templates": (
        "head",
        lambda c, w, x: {"name": "巡店", "standards": [s.pk for s in x["standards"]]},
    ),
    "/api/v1/audit-plans": (
        "head",
        lambda c, w, x: {
            "name": "月审", "template_id": x["template"].pk, "outlet_ids": [w.east1.pk],
            "every": 1, "period": "month", "starts_on": "2026-11-01",
        },
    ),
    "/api/v1/audits": (
        "auditor",
        lambda c, w, x: {"outlet_id": w.east1.pk, "template_id": x["template"].pk},
    ),
    "/api/v1/mystery-programs": ("head", lambda c, w, x: {"name": "暗访计划"}),
    "/api/v1/competitor-outlets": ("head", lambda c, w, x: {"name": "对面药房"}),
    "/api/v1/appraisals": (
        "manager",
        lambda c, w, x: {
            "staff_id": w.tech.staff.pk, "period_start": "2026-07-01", "period_end": "2026-12-31",
        },
    ),
    "/api/v1/team-assessments": (
        "manager",
        lambda c, w, x: {"unit_id": w.east1.pk, "name": "API 轮次"},
    ),
    "/api/v1/leadership-reviews": (
        "head",
        lambda c, w, x: {
            "leader_id": w.manager.staff.pk,
            "rater_ids": [w.tech.staff.pk, w.sales.staff.pk, w.rep.staff.pk],
        },
    ),
    "/api/v1/recognitions": ("head", lambda c, w, x: {"staff_id": w.tech.staff.pk, "note": "好"}),
    "/api/v1/service-levels": (
        "manager",
        lambda c, w, x: {"unit_id": w.east1.pk, "answers": _service_answers()},
    ),
    "/api/v1/courses": (
        "head",
        lambda c, w, x: {"code": "api", "name": "接口课程", "theory_weight": 40},
    ),
    "/api/v1/problems": ("manager", lambda c, w, x: {"title": "等候时间过长"}),
}  # fmt: skip


def post_operations() -> list[str]:
    """Every POST path of the API, from its OpenAPI schema."""
    from manyi.api import api

    paths = api.get_openapi_schema()["paths"]
    return sorted(path for path, operations in paths.items() if "post" in operations)


# POSTs to a collection that create nothing (the middleware still honours their keys).
NOT_CREATES = {"/api/v1/notifications/read-all": "marks the user's notifications read"}


def test_every_create_endpoint_has_a_body():
    """A POST to a collection (no path parameter) creates; each needs a row in BODIES."""
    creates = {path for path in post_operations() if "{" not in path} - set(NOT_CREATES)
    assert creates - set(BODIES) == set()
    assert set(BODIES) <= set(post_operations())


def _fill(path: str, ctx: dict) -> str:
    ids = {"customer_id": ctx["customer"].pk, "case_id": ctx["work_order"].pk}
    return re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)


@pytest.mark.parametrize("path", sorted(BODIES))
def test_a_replayed_create_writes_once(client, world, ctx, path, frozen_now):
    from manyi.workorders.actions import take_order

    ctx["work_order"] = take_order(
        actor=world.sales, customer=ctx["customer"], site_address="漕溪北路88号", products="墙面漆"
    )
    world.tech.staff.work_licence = True
    world.tech.staff.save(update_fields=["work_licence"])
    persona, build = BODIES[path]
    headers = auth(getattr(world, persona))
    body = build(client, world, ctx)
    url = _fill(path, ctx)
    key = str(uuid.uuid4())
    before = row_counts()
    first = post(client, headers, url, body, key)
    assert 200 <= first.status_code < 300, first.content[:500]
    once = row_counts()
    assert written(before, once), f"{path} wrote nothing"
    again = post(client, headers, url, body, key)
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again["Idempotent-Replayed"] == "true"
    assert written(once, row_counts()) == {}


@pytest.fixture
def frozen_now():
    """The domain's clock stands still at a weekday morning in November 2026."""
    import time_machine

    moment = dt.datetime(2026, 11, 16, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with time_machine.travel(moment, tick=False):
        yield moment
