"""Fixtures of the survey tests: the built-in instruments and customers who agreed to surveys."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    """A moment in Shanghai time."""
    return dt.datetime(*args, tzinfo=SH)


NOW = at(2026, 11, 2, 10, 0)  # a Monday morning, outside the quiet hours


@pytest.fixture
def frozen():
    """The tests' clock stands at :data:`NOW` (nested travels move it further)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def builtins(db):
    """The built-in templates (a transactional test before may have flushed the migration's)."""
    from manyi.instruments.builtin import load_builtins

    load_builtins()


@pytest.fixture
def version(builtins):
    """The published version 1 of a built-in instrument, by code."""
    from manyi.instruments.models import InstrumentVersion

    def get(code):
        return InstrumentVersion.objects.select_related("instrument").get(
            instrument__code=code, instrument__company__isnull=True, number=1
        )

    return get


@pytest.fixture
def consenting(make_customer):
    """A customer who agreed to surveys (at an outlet, east-1 by default)."""

    def make(outlet=None, **fields):
        return make_customer(outlet=outlet, survey_consent=True, **fields)

    return make


@pytest.fixture
def campaign_data(world, version):
    """The fields of a valid campaign of the company asking the CSI survey by SMS."""

    def data(**overrides):
        from manyi import clock

        now = clock.now()
        return {
            "name": "十一月满意度调查",
            "unit": world.company.pk,
            "version": version("csi").pk,
            "channels": ["sms"],
            "starts_at": now,
            "deadline_at": now + dt.timedelta(days=14),
            "reminder_after_hours": 48,
            **overrides,
        }

    return data


CSI_ALL_FIVES = {f"q{n}": 5 for n in range(1, 17)}


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture
def licensed(world):
    """The east-1 technician, licensed to go on site (持证上岗)."""
    from conftest import fresh_user

    staff = world.tech.staff
    staff.work_licence = True
    staff.save()
    return fresh_user(world.tech)


@pytest.fixture
def served(world, licensed):
    """A work order of ``customer`` taken, served, signed, accepted and archived (at the
    return visit, one move from done), through the work-order actions."""
    from manyi.cases import actions as cases
    from manyi.workorders import actions as workorders
    from manyi.workorders.workflow import CHECKPOINTS

    def serve(customer):
        order = workorders.take_order(
            actor=world.sales, customer=customer, site_address="漕溪北路88号", products="墙面漆 ×5"
        )
        order = cases.assign(
            actor=world.rep, case=order, assignee=licensed.staff, version=order.version
        )
        order = cases.move(actor=world.rep, case=order, move="dispatch", version=order.version)
        cases.log_call(actor=licensed, case=order, outcome="reached")
        workorders.set_first_visit(actor=licensed, case=order, at=NOW + dt.timedelta(days=1))
        order = cases.move(actor=licensed, case=order, move="contacted", version=order.version)
        workorders.log_visit(actor=licensed, case=order, step="底漆", customer_informed=True)
        order = cases.move(actor=licensed, case=order, move="hand_in", version=order.version)
        workorders.sign_record(
            actor=licensed,
            case=order,
            signer_name=customer.name,
            evaluation="satisfied",
            signature=PNG,
        )
        order = cases.move(actor=licensed, case=order, move="submit", version=order.version)
        order = cases.move(
            actor=world.inspector,
            case=order,
            move="accept",
            version=order.version,
            payload={"checklist": dict.fromkeys(CHECKPOINTS, "pass"), "method": 5, "attitude": 5},
        )
        return cases.move(actor=world.rep, case=order, move="archive", version=order.version)

    return serve


def close_order(world, order):
    """The return visit is done: the work order closes (stage ``done``)."""
    from manyi.cases import actions as cases

    return cases.move(
        actor=world.rep,
        case=order,
        move="close",
        version=order.version,
        payload={"outcome": "satisfied"},
    )
