"""Mystery-shopping programmes: the stage rules, scheduling, the shopper's visit, the report."""

from __future__ import annotations

import datetime as dt

import pytest

from manyi import clock
from manyi.errors import Conflict, InvalidInput, InvalidMove, NotFound, OutOfScope
from manyi.quality import queries
from manyi.quality.actions import mystery
from manyi.quality.models import ProgramStage, VisitStatus

LATER = dt.date(2099, 6, 1)


def _advance(world, program, stage):
    return mystery.advance_program(actor=world.head, program=program, stage=stage)


@pytest.fixture
def competitor(world):
    return mystery.create_competitor(actor=world.head, name="对面的大药房", brand="某连锁")


def _ready_to_schedule(world, shopper, competitor):
    head = world.head
    program = mystery.create_program(actor=head, name="第四季度神秘顾客")
    mystery.set_objectives(
        actor=head,
        program=program,
        objectives="了解接待流程",
        learn_areas=["reception", "competitors"],
    )
    program = _advance(world, program, ProgramStage.OUTLETS)
    own = mystery.add_target(actor=head, program=program, outlet=world.east2)
    rival = mystery.add_target(actor=head, program=program, competitor=competitor)
    program = _advance(world, program, ProgramStage.SCENARIOS)
    scenario = mystery.add_scenario(
        actor=head, program=program, title="咨询感冒药", script="说孩子发烧，问用什么药。"
    )
    program = _advance(world, program, ProgramStage.CHECKLIST)
    program = mystery.set_checklist(actor=head, program=program)
    program = _advance(world, program, ProgramStage.SHOPPERS)
    mystery.add_shopper(actor=head, program=program, shopper=shopper.staff)
    program = _advance(world, program, ProgramStage.SCHEDULE)
    return program, own, rival, scenario


def test_each_stage_has_its_entry_rule(world, shopper, competitor):
    head = world.head
    program = mystery.create_program(actor=head, name="计划")
    with pytest.raises(InvalidMove):  # no objectives yet
        _advance(world, program, ProgramStage.OUTLETS)
    with pytest.raises(InvalidMove):  # one stage at a time
        _advance(world, program, ProgramStage.SCENARIOS)
    mystery.set_objectives(
        actor=head, program=program, objectives="目标", learn_areas=["reception"]
    )
    program = _advance(world, program, ProgramStage.OUTLETS)
    with pytest.raises(InvalidMove):  # no outlet
        _advance(world, program, ProgramStage.SCENARIOS)
    mystery.add_target(actor=head, program=program, competitor=competitor)
    program = _advance(world, program, ProgramStage.SCENARIOS)
    with pytest.raises(InvalidMove):  # no scenario
        _advance(world, program, ProgramStage.CHECKLIST)
    mystery.add_scenario(actor=head, program=program, title="情景", script="脚本")
    program = _advance(world, program, ProgramStage.CHECKLIST)
    with pytest.raises(InvalidMove):  # no checklist
        _advance(world, program, ProgramStage.SHOPPERS)
    mystery.set_checklist(actor=head, program=program)
    program = _advance(world, program, ProgramStage.SHOPPERS)
    with pytest.raises(InvalidMove):  # no shopper
        _advance(world, program, ProgramStage.SCHEDULE)


def test_visits_cannot_be_scheduled_before_checklist_and_shoppers(world, shopper, competitor):
    head = world.head
    program = mystery.create_program(actor=head, name="计划")
    target = mystery.add_target(actor=head, program=program, competitor=competitor)
    scenario = mystery.add_scenario(actor=head, program=program, title="情景", script="脚本")
    with pytest.raises(InvalidMove):
        mystery.schedule_visit(
            actor=head,
            program=program,
            target=target,
            shopper=shopper.staff,
            scenario=scenario,
            planned_on=LATER,
        )


def test_briefing_needs_every_outlet_scheduled_and_staff_informed(world, shopper, competitor):
    head = world.head
    program, own, rival, scenario = _ready_to_schedule(world, shopper, competitor)
    with pytest.raises(InvalidInput):  # not one of the programme's shoppers
        mystery.schedule_visit(
            actor=head,
            program=program,
            target=own,
            shopper=world.sales.staff,
            scenario=scenario,
            planned_on=LATER,
        )
    mystery.schedule_visit(
        actor=head,
        program=program,
        target=own,
        shopper=shopper.staff,
        scenario=scenario,
        planned_on=LATER,
    )
    with pytest.raises(InvalidMove):  # the competitor has no visit
        _advance(world, program, ProgramStage.BRIEFING)
    mystery.schedule_visit(
        actor=head,
        program=program,
        target=rival,
        shopper=shopper.staff,
        scenario=scenario,
        planned_on=LATER,
    )
    with pytest.raises(InvalidMove):  # step 11: staff not told yet
        _advance(world, program, ProgramStage.BRIEFING)
    mystery.inform_staff(actor=head, program=program)
    program = _advance(world, program, ProgramStage.BRIEFING)
    with pytest.raises(InvalidMove):
        _advance(world, program, ProgramStage.VISITS)
    with pytest.raises(Conflict):  # the checklist is fixed once visits are scheduled
        mystery.set_checklist(actor=head, program=program)


def _to_visits(world, shopper, competitor):
    head = world.head
    program, own, rival, scenario = _ready_to_schedule(world, shopper, competitor)
    v1 = mystery.schedule_visit(
        actor=head,
        program=program,
        target=own,
        shopper=shopper.staff,
        scenario=scenario,
        planned_on=LATER,
        planned_window="周六上午",
    )
    v2 = mystery.schedule_visit(
        actor=head,
        program=program,
        target=rival,
        shopper=shopper.staff,
        scenario=scenario,
        planned_on=LATER,
    )
    mystery.inform_staff(actor=head, program=program)
    program = _advance(world, program, ProgramStage.BRIEFING)
    mystery.brief_shoppers(actor=head, program=program, briefing="像普通顾客一样进店。")
    program = _advance(world, program, ProgramStage.VISITS)
    return program, v1, v2


ALL_MET = {**{f"p{i}": "met" for i in range(1, 10)}, **{f"st{i}": "met" for i in range(1, 6)}}


def test_shopper_fills_their_visit_and_the_report_compares_own_and_competitor(
    world, shopper, shopper2, competitor
):
    program, v1, v2 = _to_visits(world, shopper, competitor)
    visited = clock.now() - dt.timedelta(hours=2)
    with pytest.raises(NotFound):  # another shopper's visit does not exist for them
        mystery.save_visit(actor=shopper2, visit=v1, data={"narrative": "x"})
    with pytest.raises(OutOfScope):  # staff do not fill visits
        mystery.save_visit(actor=world.head, visit=v1, data={"narrative": "x"})
    with pytest.raises(InvalidInput) as exc:
        mystery.submit_visit(actor=shopper, visit=v1, data={"answers": {"p1": "met"}})
    assert {"visited_at", "duration_minutes", "narrative"} <= {f for f, _ in exc.value.errors}
    mystery.submit_visit(
        actor=shopper,
        visit=v1,
        data={
            "visited_at": visited,
            "duration_minutes": 15,
            "narrative": "店员很热情",
            "answers": ALL_MET,
        },
    )
    rival_answers = {**ALL_MET, "p1": "not_met", "p5": "partly", "st2": "not_met"}
    mystery.submit_visit(
        actor=shopper,
        visit=v2,
        data={
            "visited_at": visited,
            "duration_minutes": 8,
            "narrative": "无人招呼",
            "answers": rival_answers,
        },
    )
    program = _advance(world, program, ProgramStage.REPORT)
    report = queries.program_report(program)
    assert report.own["index"] == pytest.approx(100)
    assert report.competitors["index"] < report.own["index"]
    codes = [code for code, _name in report.factors]
    assert report.competitors["factors"][codes.index("reception")] == pytest.approx(0)
    assert [t["competitor"] for t in report.targets] == [False, True]
    with pytest.raises(InvalidMove):  # closing needs the debrief
        _advance(world, program, ProgramStage.DEBRIEF) and _advance(
            world, program, ProgramStage.CLOSED
        )
    mystery.record_debrief(actor=world.head, program=program, debrief="学习对手的弱点，保持接待")
    item = mystery.create_program_action(
        actor=world.head,
        program=program,
        outlet=world.east2,
        description="培训咨询话术",
        owner=world.head.staff,
        due_on=LATER,
    )
    assert item.program == program
    program = _advance(world, program, ProgramStage.CLOSED)
    assert program.closed_at is not None


def test_report_waits_for_open_visits(world, shopper, competitor):
    program, v1, v2 = _to_visits(world, shopper, competitor)
    with pytest.raises(InvalidMove):
        _advance(world, program, ProgramStage.REPORT)
    mystery.cancel_visit(actor=world.head, visit=v1)
    mystery.cancel_visit(actor=world.head, visit=v2)
    with pytest.raises(InvalidMove):  # nothing submitted
        _advance(world, program, ProgramStage.REPORT)
    v1.refresh_from_db()
    assert v1.status == VisitStatus.CANCELLED


def test_visits_cannot_be_filled_before_the_briefing(world, shopper, competitor):
    program, own, rival, scenario = _ready_to_schedule(world, shopper, competitor)
    visit = mystery.schedule_visit(
        actor=world.head,
        program=program,
        target=own,
        shopper=shopper.staff,
        scenario=scenario,
        planned_on=LATER,
    )
    with pytest.raises(InvalidMove):
        mystery.save_visit(actor=shopper, visit=visit, data={"narrative": "提前去了"})


def test_only_shoppers_join_programmes(world, competitor):
    program = mystery.create_program(actor=world.head, name="计划")
    with pytest.raises(InvalidInput):
        mystery.add_shopper(actor=world.head, program=program, shopper=world.sales.staff)
    with pytest.raises(OutOfScope):
        mystery.create_program(actor=world.manager, name="x")
