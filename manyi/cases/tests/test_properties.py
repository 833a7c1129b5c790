"""Properties of the case engine under random use (hypothesis stateful tests).

Random actors try random moves — allowed or not — on a work order and on a complaint, assign,
log calls and visits, pause and resume the clock while time jumps forward. After every step:

- the case is in a stage its workflow declares, and got there only by a declared move from the
  stage it was in, made by a role the move allows;
- a refused step wrote nothing (same stage, same version, no new timeline line);
- a closed case has no clock; an open one's deadline is never before the stage was entered;
- within a stage the deadline never moves backwards, and it moves forwards only when a paused
  clock is resumed (the resume is on the timeline with the old and the new deadline).

CI runs a few examples; ``MANYI_PROPERTY_EXAMPLES=200`` explores much further.
"""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from manyi import clock
from manyi.errors import DomainError

EXAMPLES = int(os.environ.get("MANYI_PROPERTY_EXAMPLES", "6"))
PROFILE = settings(
    max_examples=EXAMPLES,
    stateful_step_count=25,
    deadline=None,
    database=None,
    # The same runs every time in CI; a full run with more examples explores further anyway.
    derandomize=EXAMPLES <= 20,
    suppress_health_check=list(HealthCheck),
)
START = dt.datetime(2026, 11, 16, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday
ROLES = {
    "head": "department_head",
    "manager": "outlet_manager",
    "rep": "service_rep",
    "tech": "technician",
    "inspector": "inspector",
    "sales": "frontline",
    "analyst": "analyst",
    "auditor": "auditor",
}
ACTORS = tuple(ROLES)
# Payloads that satisfy some moves' requirements, and some that satisfy none.
PAYLOADS = st.sampled_from(
    [
        {},
        {"reason": "客户取消"},
        {"outcome": "satisfied"},
        {
            "checklist": {"edges": "pass", "surface": "pass", "finish": "pass", "touch": "pass"},
            "method": 4,
            "attitude": 5,
        },
        {"notes": "收口不齐，返工", "method": 2, "attitude": 3},
        {"checklist": {"edges": "fail"}, "method": 9},
    ]
)
STEPS = st.sampled_from(
    [
        dt.timedelta(minutes=20),
        dt.timedelta(hours=3),
        dt.timedelta(days=1),
        dt.timedelta(days=4),
        dt.timedelta(days=45),
    ]
)


class CaseMachine(RuleBasedStateMachine):
    """One case of a workflow, pushed around at random; the engine must hold its rules."""

    world = None  # set by the test
    moved: set[str] = set()  # the moves that succeeded in a run (the run explored something)
    open_case = None  # (world, now) -> Case

    def __init__(self) -> None:
        super().__init__()
        self.now = START

    # -- helpers --------------------------------------------------------------------------------

    def act(self, action, **kwargs):
        """Run an action at the machine's time; on refusal check that nothing was written."""
        before = self.snapshot()
        with clock.travel(self.now):
            try:
                result = action(**kwargs)
            except DomainError:
                assert self.snapshot() == before, "a refused step wrote something"
                return None
        return result

    def snapshot(self):
        case = self.fresh()
        return (case.stage, case.version, case.due_at, case.paused_at, case.events.count())

    def fresh(self):
        from manyi.cases.models import Case

        return Case.objects.get(pk=self.case_pk)

    def user(self, name):
        return getattr(self.world, name)

    def remember(self) -> None:
        case = self.fresh()
        self.stage = case.stage
        self.entered = case.stage_entered_at
        self.due = case.due_at
        self.resumes = case.events.filter(kind="resume").count()

    # -- rules ----------------------------------------------------------------------------------

    @initialize()
    def start(self) -> None:
        with clock.travel(self.now):
            case = type(self).open_case(self.world)
        self.case_pk = case.pk
        self.workflow = case.workflow
        self.remember()

    @rule(data=st.data(), payload=PAYLOADS)
    def try_move(self, data, payload) -> None:
        from manyi.cases.actions import move as move_case

        # Half the tries are plausible (a move from the current stage, by a role it names, at
        # the version read); the rest are anything at all, often refused.
        plausible = [
            m
            for m in self.workflow.moves_from(self.fresh().stage)
            if any(ROLES[a] in m.roles for a in ACTORS)
        ]
        if plausible and data.draw(st.booleans()):
            step = data.draw(st.sampled_from(plausible))
            code = step.code
            actor = data.draw(st.sampled_from([a for a in ACTORS if ROLES[a] in step.roles]))
            stale = False
        else:
            codes = [m.code for m in self.workflow.moves] + ["nonsense"]
            code = data.draw(st.sampled_from(codes))
            actor = data.draw(st.sampled_from(ACTORS))
            stale = data.draw(st.booleans())
        case = self.fresh()
        version = case.version - 1 if stale else case.version
        before_stage = case.stage
        moved = self.act(
            move_case,
            actor=self.user(actor),
            case=case.pk,
            move=code,
            version=version,
            payload=payload,
        )
        if moved is None:
            return
        step = self.workflow.move(code)
        assert not stale, "a stale version was accepted"
        assert step is not None and before_stage in step.sources
        assert moved.stage == step.target
        type(self).moved.add(code)
        from manyi.org.scopes import scope_for

        scope = scope_for(self.user(actor))
        assert scope.role in step.roles or scope.everything
        self.remember()

    @rule(actor=st.sampled_from(ACTORS), assignee=st.sampled_from(["tech", "manager", "sales"]))
    def assign(self, actor, assignee) -> None:
        from manyi.cases.actions import assign

        case = self.fresh()
        staff = self.user(assignee).staff
        self.act(assign, actor=self.user(actor), case=case.pk, assignee=staff, version=case.version)

    @rule(actor=st.sampled_from(ACTORS), outcome=st.sampled_from(["reached", "no_answer"]))
    def call(self, actor, outcome) -> None:
        from manyi.cases.actions import log_call

        self.act(log_call, actor=self.user(actor), case=self.case_pk, outcome=outcome)

    @rule(actor=st.sampled_from(ACTORS))
    def pause(self, actor) -> None:
        from manyi.cases.actions import pause_clock

        case = self.fresh()
        paused = self.act(
            pause_clock, actor=self.user(actor), case=case.pk, reason="等客户", version=case.version
        )
        if paused is not None:
            assert paused.due_at == self.due, "pausing moved the deadline"

    @rule(actor=st.sampled_from(ACTORS))
    def resume(self, actor) -> None:
        from manyi.cases.actions import resume_clock

        case = self.fresh()
        self.act(resume_clock, actor=self.user(actor), case=case.pk, version=case.version)

    @rule(step=STEPS)
    def time_passes(self, step) -> None:
        from manyi.cases.actions import sweep_breaches

        self.now += step
        sweep_breaches(now=self.now)

    # -- invariants -----------------------------------------------------------------------------

    @invariant()
    def stage_is_declared_and_clock_consistent(self) -> None:
        if not hasattr(self, "case_pk"):
            return
        case = self.fresh()
        stage = self.workflow.stage(case.stage)  # KeyError: an undeclared stage
        if stage.closed:
            assert case.due_at is None and case.closed_at is not None and case.paused_at is None
        else:
            assert case.closed_at is None
            if case.due_at is not None:
                assert case.due_at >= case.stage_entered_at
        if case.breached_at is not None:
            assert case.due_at is not None and case.breached_at > case.due_at

    @invariant()
    def deadlines_move_back_never_and_forward_only_on_resume(self) -> None:
        if not hasattr(self, "case_pk"):
            return
        case = self.fresh()
        if case.stage == self.stage and case.stage_entered_at == self.entered:
            resumes = case.events.filter(kind="resume").count()
            if self.due is not None:
                assert case.due_at is not None and case.due_at >= self.due, "deadline moved back"
                if case.due_at > self.due:
                    assert resumes > self.resumes, "deadline moved without a recorded resume"
        self.remember()


class WorkOrderMachine(CaseMachine):
    """A work order, with its own steps: the first visit and the tracking card."""

    @rule(actor=st.sampled_from(ACTORS), days=st.integers(min_value=0, max_value=10))
    def agree_first_visit(self, actor, days) -> None:
        from manyi.workorders.actions import set_first_visit

        self.act(
            set_first_visit,
            actor=self.user(actor),
            case=self.fresh(),
            at=self.now + dt.timedelta(days=days),
        )

    @rule(actor=st.sampled_from(ACTORS))
    def visit(self, actor) -> None:
        from manyi.workorders.actions import log_visit

        self.act(log_visit, actor=self.user(actor), case=self.fresh(), step="基层处理")


def _work_order(world):
    from manyi.customers.actions import create_customer
    from manyi.workorders.actions import take_order

    customer = create_customer(
        actor=world.head,
        data={"name": "王小明", "phone": _phone(), "home_outlet": world.east1},
    )
    from manyi.cases.actions import assign

    case = take_order(actor=world.sales, customer=customer, site_address="漕溪北路88号")
    # Assigned from the start, so the walk can go beyond the intake.
    return assign(actor=world.rep, case=case, assignee=world.tech.staff, version=case.version)


def _complaint(world):
    from manyi.complaints.actions import open_complaint
    from manyi.customers.actions import create_customer

    customer = create_customer(
        actor=world.head,
        data={"name": "李女士", "phone": _phone(), "home_outlet": world.east1},
    )
    return open_complaint(actor=world.sales, customer=customer, description="墙面起泡")


_phones = iter(range(13_700_000_000, 13_799_999_999))


def _phone() -> str:
    return str(next(_phones))


@pytest.fixture
def licensed(world):
    staff = world.tech.staff
    staff.work_licence = True
    staff.save(update_fields=["work_licence"])
    return world


def test_work_orders_hold_the_workflow_under_random_use(licensed):
    WorkOrderMachine.world = licensed
    WorkOrderMachine.open_case = staticmethod(_work_order)
    WorkOrderMachine.moved = set()
    run_state_machine_as_test(WorkOrderMachine, settings=PROFILE)
    assert {"dispatch", "cancel"} & WorkOrderMachine.moved


def test_complaints_hold_the_workflow_under_random_use(licensed):
    CaseMachine.world = licensed
    CaseMachine.open_case = staticmethod(_complaint)
    CaseMachine.moved = set()
    run_state_machine_as_test(CaseMachine, settings=PROFILE)
    assert CaseMachine.moved
