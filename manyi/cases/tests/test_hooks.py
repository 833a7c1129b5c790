"""The engine's close hook and the system actor: other apps react to a closing, no engine change."""

import pytest

from manyi.cases import actions, hooks
from manyi.cases.models import Case
from manyi.cases.workflow import Move, Stage, Workflow, register
from manyi.errors import OutOfScope
from manyi.org.models import AuditEntry, Role

ALL = frozenset(Role.values)

register(
    Workflow(
        kind="hooktoy",
        label="Hook toy",
        number_prefix="HT",
        stages=(
            Stage("open", "Open"),
            Stage("done", "Done", closed=True),
            Stage("dropped", "Dropped", closed=True),
        ),
        moves=(
            Move("finish", "Finish", ("open",), "done", ALL),
            Move("drop", "Drop", ("open",), "dropped", ALL),
            Move("reopen", "Reopen", ("done",), "open", ALL),
        ),
    )
)


@pytest.fixture
def calls():
    seen = []

    def hook(*, case, actor, source, move):
        seen.append((case.pk, case.stage, actor, source, move))

    hooks.on_closed(hook)
    hooks.on_closed(hook)  # registering twice keeps one
    yield seen
    hooks._ON_CLOSED.remove(hook)


@pytest.fixture
def case(world, make_customer):
    return actions.open_case(
        actor=world.rep, kind="hooktoy", customer=make_customer(), title="钩子"
    )


def test_closing_calls_each_hook_once_with_the_move(world, case, calls):
    case = actions.move(actor=world.rep, case=case, move="finish", version=case.version)
    assert calls == [(case.pk, "done", world.rep, "open", "finish")]


def test_moves_that_do_not_close_call_no_hook(world, case, calls):
    case = actions.move(actor=world.rep, case=case, move="finish", version=case.version)
    actions.move(actor=world.rep, case=case, move="reopen", version=case.version)
    assert len(calls) == 1


def test_a_failing_hook_rolls_the_move_back(world, case):
    def boom(**kwargs):
        raise OutOfScope()

    hooks.on_closed(boom)
    try:
        with pytest.raises(OutOfScope):
            actions.move(actor=world.rep, case=case, move="drop", version=case.version)
    finally:
        hooks._ON_CLOSED.remove(boom)
    assert Case.objects.get(pk=case.pk).stage == "open"


def test_the_system_opens_a_case_recorded_as_no_one(world, make_customer):
    customer = make_customer()
    case = actions.open_case(actor=actions.SYSTEM, kind="hooktoy", customer=customer, title="自动")
    assert case.created_by is None
    assert case.events.get().actor is None
    entry = AuditEntry.objects.filter(object_type="cases.case", object_id=str(case.pk)).get()
    assert entry.actor is None


def test_an_anonymous_user_is_not_the_system(world, make_customer):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(OutOfScope):
        actions.open_case(
            actor=AnonymousUser(), kind="hooktoy", customer=make_customer(), title="匿名"
        )
