"""Fixtures of the complaint tests: a licensed technician with the routing rule of east-1, a
customer, and a helper that walks a complaint through the real actions to a given stage.

Times are Asia/Shanghai on the default business calendar (Mon–Fri 08:30–12:00, 13:30–17:30)
and the official 2026 schedule.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from conftest import PASSWORD, fresh_user

SH = ZoneInfo("Asia/Shanghai")
# A 1×1 PNG: a photo in miniature.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
STAGES = (
    "first_contact",
    "preparation",
    "investigation",
    "ruling",
    "resolution",
    "follow_up",
    "return_visit",
    "done",
)


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


def login(client, username):
    client.logout()
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.fixture
def tech(world):
    """The east-1 technician, licensed (持证上岗), as a fresh user."""
    staff = world.tech.staff
    staff.work_licence = True
    staff.save()
    return fresh_user(world.tech)


@pytest.fixture
def rule(world, tech):
    """East-1's complaints go to its technician."""
    from manyi.complaints.models import RoutingRule

    return RoutingRule.objects.create(unit=world.east1, assignee=tech.staff)


@pytest.fixture
def customer(make_customer):
    return make_customer(name="王小明", address_detail="漕溪北路88号")


@pytest.fixture
def take(world, customer, rule):
    """Open a complaint as the east-1 front line (defaults for the form's fields)."""
    from manyi.complaints import actions

    def make(**fields):
        data = {
            "actor": world.sales,
            "customer": customer,
            "description": "墙面起泡，刚刷完一周",
            "channel": "phone",
            "installer_name": "李师傅",
            "installer_phone": "13900001111",
            "product": "华彩净味墙面漆",
            "batch_no": "HC20260213-01",
            **fields,
        }
        return actions.open_complaint(**data)

    return make


@pytest.fixture
def advance(world, tech):
    """Walk a complaint through the real actions until it reaches ``stage``."""
    from manyi.cases import actions as cases
    from manyi.complaints import actions
    from manyi.complaints.policy import causes_for

    def walk(case, stage, *, amount="0", kind="rework"):
        case.refresh_from_db()
        order = STAGES.index(stage)
        if case.stage == "first_contact" and order > 0:
            actions.log_call(actor=tech, case=case, party="customer", outcome="reached")
            actions.log_call(actor=tech, case=case, party="installer", outcome="reached")
            case.refresh_from_db()
            actions.book_visit(
                actor=tech, case=case, at=case.opened_at + dt.timedelta(days=2), version=None
            )
            case.refresh_from_db()
            case = cases.move(actor=tech, case=case, move="contacted", version=case.version)
        if case.stage == "preparation" and order > 1:
            actions.prepare(actor=tech, case=case, likely_cause="基层含水率高", tools=["brush"])
            case.refresh_from_db()
            case = cases.move(actor=tech, case=case, move="prepared", version=case.version)
        if case.stage == "investigation" and order > 2:
            actions.record_investigation(
                actor=tech,
                case=case,
                present=["technician", "customer", "installer"],
                findings="基层潮湿导致起泡；先铲除重刷",
            )
            case.refresh_from_db()
            case = cases.move(actor=tech, case=case, move="investigated", version=case.version)
        if case.stage == "ruling" and order > 3:
            cause = causes_for(case.company_id)[0]
            case = actions.rule(
                actor=tech, case=case, responsibility="ours", cause=cause, version=case.version
            )
        if case.stage == "resolution" and order > 4:
            found = actions.propose_resolution(
                actor=tech, case=case, kind=kind, amount=amount, cost="300"
            )
            if found.status == "proposed":
                actions.approve_resolution(actor=world.manager, resolution=found, version=None)
            actions.execute_resolution(actor=tech, resolution=found)
            case.refresh_from_db()
            case = cases.move(actor=tech, case=case, move="resolved", version=case.version)
        if case.stage == "follow_up" and order > 5:
            actions.log_follow_up(actor=tech, case=case, outcome="reached", note="客户满意")
            case.refresh_from_db()
            case = cases.move(actor=tech, case=case, move="followed_up", version=case.version)
        if case.stage == "return_visit" and order > 6:
            case = actions.record_return_visit(
                actor=world.rep, case=case, outcome="satisfied", version=case.version
            )
        case.refresh_from_db()
        assert case.stage == stage
        return case

    return walk
