"""The case engine with a workflow declared here: a new kind of case needs no engine change."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from manyi.cases import actions
from manyi.cases.models import Case, EventKind
from manyi.cases.workflow import (
    Move,
    Priority,
    Sla,
    SlaKind,
    Stage,
    Workflow,
    get_workflow,
    register,
)
from manyi.errors import InvalidInput, InvalidMove, OutOfScope
from manyi.org.models import Role

SH = ZoneInfo("Asia/Shanghai")
ALL = frozenset(Role.values)


def needs_answer(case, payload):
    return None if payload.get("answer") else ("answer", "answer needed")


TOY = register(
    Workflow(
        kind="toy",
        label="Toy",
        number_prefix="TY",
        stages=(
            Stage(
                "asked",
                "Asked",
                sla={
                    Priority.NORMAL: Sla(SlaKind.BUSINESS_HOURS, Decimal(2)),
                    Priority.URGENT: Sla(SlaKind.BUSINESS_HOURS, Decimal("0.5")),
                },
            ),
            Stage("answered", "Answered", sla={Priority.NORMAL: Sla(SlaKind.CALENDAR_DAYS, 1)}),
            Stage("closed", "Closed", closed=True),
        ),
        moves=(
            Move(
                "answer",
                "Answer",
                ("asked",),
                "answered",
                frozenset({Role.SERVICE_REP}),
                requires=(needs_answer,),
                counter="answers",
            ),
            Move("reopen", "Reopen", ("answered",), "asked", ALL, counter="reopened"),
            Move("close", "Close", ("answered",), "closed", ALL),
        ),
    )
)


def at(*args):
    return dt.datetime(*args, tzinfo=SH)


@pytest.fixture
def case(world, make_customer):
    with time_machine.travel(at(2026, 3, 4, 11, 30), tick=False):  # a Wednesday
        return actions.open_case(
            actor=world.sales, kind="toy", customer=make_customer(), title="问个问题"
        )


def test_registry_knows_the_new_kind():
    assert get_workflow("toy") is TOY
    with pytest.raises(ValueError, match="twice"):
        register(Workflow(kind="toy", label="x", number_prefix="X", stages=TOY.stages, moves=()))


def test_declarations_are_checked():
    with pytest.raises(ValueError, match="unknown stages"):
        Workflow(
            kind="bad",
            label="x",
            number_prefix="B",
            stages=(Stage("a", "A"),),
            moves=(Move("m", "M", ("a",), "b", ALL),),
        )
    with pytest.raises(ValueError, match="duplicate stage"):
        Workflow(
            kind="bad",
            label="x",
            number_prefix="B",
            stages=(Stage("a", "A"), Stage("a", "A")),
            moves=(),
        )


def test_open_starts_the_clock_with_lunch_not_counted(case):
    assert case.number == "TY-2026-000001" and case.stage == "asked"
    # 2 business hours from 11:30: 30 minutes before lunch, 90 after 13:30.
    assert case.due_at == at(2026, 3, 4, 15, 0)


def test_priority_changes_the_sla(world, make_customer):
    with time_machine.travel(at(2026, 3, 4, 11, 45), tick=False):
        case = actions.open_case(
            actor=world.sales,
            kind="toy",
            customer=make_customer(),
            title="急",
            priority=Priority.URGENT,
        )
    assert case.due_at == at(2026, 3, 4, 13, 45)


def test_requirements_roles_and_counters(case, world):
    with pytest.raises(OutOfScope):
        actions.move(
            actor=world.inspector, case=case, move="answer", version=1, payload={"answer": "x"}
        )
    with pytest.raises(InvalidInput) as exc:
        actions.move(actor=world.rep, case=case, move="answer", version=1)
    assert exc.value.field_errors() == [("answer", "answer needed")]
    case = actions.move(
        actor=world.rep, case=case, move="answer", version=1, payload={"answer": "好"}
    )
    with pytest.raises(InvalidMove):
        actions.move(
            actor=world.rep,
            case=case,
            move="answer",
            version=case.version,
            payload={"answer": "again"},
        )
    case = actions.move(actor=world.rep, case=case, move="reopen", version=case.version)
    assert case.counters == {"answers": 1, "reopened": 1}
    moves = case.events.filter(kind=EventKind.MOVE).values_list("data", flat=True)
    assert [(m["source"], m["target"]) for m in moves] == [
        ("asked", "answered"),
        ("answered", "asked"),
    ]


def test_closing_stops_the_clock(case, world):
    case = actions.move(
        actor=world.rep, case=case, move="answer", version=1, payload={"answer": "好"}
    )
    case = actions.move(actor=world.rep, case=case, move="close", version=case.version)
    assert case.closed_at is not None and case.due_at is None and not case.is_overdue()


def test_opening_needs_the_right_and_the_customer_in_scope(world, make_customer):
    customer = make_customer(outlet=world.south1)
    with pytest.raises(OutOfScope):
        actions.open_case(actor=world.sales, kind="toy", customer=customer, title="越权")
    with pytest.raises(OutOfScope):
        actions.open_case(actor=world.analyst, kind="toy", customer=make_customer(), title="x")
    assert not Case.objects.exists()


def test_overdue_is_a_query(case, world):
    from django.utils import timezone

    with time_machine.travel(at(2026, 3, 4, 15, 1), tick=False):
        overdue = Case.objects.filter(
            closed_at__isnull=True, paused_at__isnull=True, due_at__lt=timezone.now()
        )
        assert list(overdue) == [case]
        assert case.is_overdue()
