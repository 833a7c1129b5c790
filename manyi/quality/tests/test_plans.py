"""Audit plans: the rolling due dates and the auditor's list."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from conftest import fresh_user
from manyi import clock
from manyi.errors import InvalidInput, OutOfScope
from manyi.org.scopes import scope_for
from manyi.quality import queries
from manyi.quality.actions import audits
from manyi.quality.models import Period
from manyi.quality.tests.conftest import codes

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("day", "every", "period", "expected"),
    [
        ("2026-01-31", 1, Period.MONTH, "2026-02-28"),
        ("2024-01-31", 1, Period.MONTH, "2024-02-29"),
        ("2026-11-15", 3, Period.MONTH, "2027-02-15"),
        ("2026-12-10", 1, Period.MONTH, "2027-01-10"),
        ("2026-11-22", 2, Period.WEEK, "2026-12-06"),
    ],
)
def test_add_period(day, every, period, expected):
    assert queries.add_period(dt.date.fromisoformat(day), every, period) == dt.date.fromisoformat(
        expected
    )


def _complete(world, plan, outlet, template, moment):
    with clock.travel(moment):
        audit = audits.start_audit(actor=world.auditor, outlet=outlet, plan=plan)
        answers = dict.fromkeys(codes(template).values(), "met")
        return audits.submit_audit(actor=world.auditor, audit=audit, answers=answers)


def test_due_dates_roll_from_the_last_audit(world, template):
    with clock.travel(at("2026-09-01")):
        plan = audits.create_plan(
            actor=world.head,
            name="每月审核",
            template=template,
            outlets=[world.east1, world.east2],
            every=1,
            period=Period.MONTH,
            starts_on=dt.date(2026, 9, 10),
            auditor=world.auditor.staff,
        )
    scope = scope_for(fresh_user(world.auditor))
    due = queries.due_audits(scope, today=dt.date(2026, 9, 1))
    assert [(d.outlet.code, d.due_on, d.overdue) for d in due] == [
        ("E1", dt.date(2026, 9, 10), False),
        ("E2", dt.date(2026, 9, 10), False),
    ]
    # Nothing due yet two weeks before the start.
    assert queries.due_audits(scope, today=dt.date(2026, 8, 20)) == []
    _complete(world, plan, world.east1, template, at("2026-09-12"))
    due = queries.due_audits(scope, today=dt.date(2026, 9, 20))
    assert [(d.outlet.code, d.due_on, d.overdue) for d in due] == [
        ("E2", dt.date(2026, 9, 10), True),
    ]
    due = queries.due_audits(scope, today=dt.date(2026, 10, 5))
    assert [(d.outlet.code, d.due_on, d.last_day) for d in due] == [
        ("E2", dt.date(2026, 9, 10), None),
        ("E1", dt.date(2026, 10, 12), dt.date(2026, 9, 12)),
    ]


def test_plan_end_pause_and_drafts(world, template):
    plan = audits.create_plan(
        actor=world.head,
        name="两周巡查",
        template=template,
        outlets=[world.east1],
        every=2,
        period=Period.WEEK,
        starts_on=dt.date(2026, 11, 1),
        ends_on=dt.date(2026, 11, 20),
        auditor=world.auditor.staff,
    )
    scope = scope_for(fresh_user(world.auditor))
    _complete(world, plan, world.east1, template, at("2026-11-02"))
    # Next would be 11-16: still inside the plan.
    assert [d.due_on for d in queries.due_audits(scope, today=dt.date(2026, 11, 10))] == [
        dt.date(2026, 11, 16)
    ]
    _complete(world, plan, world.east1, template, at("2026-11-16"))
    # Next would be 11-30, after the end: nothing more.
    assert queries.due_audits(scope, today=dt.date(2026, 11, 29)) == []
    audits.set_plan_active(actor=world.head, plan=plan, active=False)
    assert queries.due_audits(scope, today=dt.date(2026, 11, 29)) == []


def test_an_audit_in_progress_shows_on_the_due_line(world, template):
    plan = audits.create_plan(
        actor=world.head,
        name="月审",
        template=template,
        outlets=[world.east1],
        every=1,
        period=Period.MONTH,
        starts_on=dt.date(2026, 11, 1),
    )
    audit = audits.start_audit(actor=world.auditor, outlet=world.east1, plan=plan)
    due = queries.due_audits(scope_for(fresh_user(world.auditor)))
    assert [(d.outlet.code, d.draft_id) for d in due] == [("E1", audit.pk)]
    # The outlet manager does not get a full-audit plan on their list.
    assert queries.due_audits(scope_for(fresh_user(world.manager))) == []


def test_unassigned_walkaround_plans_reach_the_outlet_manager(world, walkaround):
    audits.create_plan(
        actor=world.head,
        name="店长巡店",
        template=walkaround,
        outlets=[world.east1, world.south1],
        every=1,
        period=Period.WEEK,
        starts_on=dt.date(2026, 11, 1),
    )
    due = queries.due_audits(scope_for(fresh_user(world.manager)), today=dt.date(2026, 11, 22))
    assert [d.outlet.code for d in due] == ["E1"]


def test_plan_validation(world, template, walkaround):
    with pytest.raises(InvalidInput) as exc:
        audits.create_plan(
            actor=world.head,
            name="",
            template=template,
            outlets=[],
            every=0,
            period="day",
            starts_on=None,
            auditor=world.manager.staff,
        )
    assert {"name", "outlets", "every", "period", "starts_on"} <= {f for f, _ in exc.value.errors}
    # An outlet manager may not be named for full audits, nor for another outlet.
    with pytest.raises(InvalidInput):
        audits.create_plan(
            actor=world.head,
            name="x",
            template=walkaround,
            outlets=[world.south1],
            every=1,
            period="week",
            starts_on=dt.date(2026, 12, 1),
            auditor=world.manager.staff,
        )
    with pytest.raises(OutOfScope):
        audits.create_plan(
            actor=world.auditor,
            name="x",
            template=template,
            outlets=[world.east1],
            every=1,
            period="week",
            starts_on=dt.date(2026, 12, 1),
        )
