"""Action plans: owners, due dates, statuses, evidence, the standard an action changes, and the
overdue sweep that tells the owners once."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from manyi import clock
from manyi.errors import InvalidInput, InvalidMove, NotFound, OutOfScope
from manyi.improvement import actions, queries
from manyi.improvement import session_actions as sa
from manyi.improvement.models import ActionItem, ActionStatus, ProblemStatus
from manyi.improvement.sources import SourceRef
from manyi.notify.models import Notification
from manyi.org.models import AuditEntry
from manyi.org.scopes import scope_for

SH = ZoneInfo("Asia/Shanghai")
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def at(*args):
    return dt.datetime(*args, tzinfo=SH)


def _add(world, problem, *, owner=None, due=dt.date(2026, 11, 30), **extra):
    with time_machine.travel(at(2026, 11, 20, 10), tick=False):
        return actions.add_action(
            actor=world.manager,
            problem=problem,
            title=extra.pop("title", "张贴新的排班表"),
            owner=owner or world.tech.staff,
            due_on=due,
            **extra,
        )


def test_adding_an_action_starts_work_on_the_problem_and_tells_the_owner(world, problem):
    action = _add(world, problem)
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.IN_PROGRESS
    assert action.status == ActionStatus.OPEN and action.unit_id == problem.unit_id
    told = Notification.objects.get(user=world.tech, kind="action_assigned")
    assert "2026-11-30" in told.title and told.url == f"/improvement/actions/{action.pk}/"
    assert AuditEntry.objects.filter(object_type="improvement.actionitem").count() == 1


def test_an_action_needs_an_owner_of_the_unit_and_a_date_to_come(world, problem):
    with pytest.raises(InvalidInput) as exc:
        _add(world, problem, owner=world.south_manager.staff)
    assert exc.value.field == "owner"
    with pytest.raises(InvalidInput) as exc:
        _add(world, problem, due=dt.date(2026, 11, 19))
    assert exc.value.field == "due_on"
    with pytest.raises(InvalidInput):
        _add(world, problem, title="")
    with pytest.raises(OutOfScope):
        actions.add_action(
            actor=world.tech,
            problem=problem,
            title="x",
            owner=world.tech.staff,
            due_on=dt.date(2099, 1, 1),
        )
    assert not ActionItem.objects.exists()


def test_an_action_from_a_session_idea(world, ngt):
    sa.advance_session(actor=world.manager, session=ngt, from_phase="state")
    idea = sa.add_idea(actor=world.tech, session=ngt, text="周末加一名导购")
    action = _add(world, ngt.problem, idea=idea, title=idea.text)
    assert action.idea == idea
    other = actions.raise_problem(actor=world.manager, title="别的问题")
    with pytest.raises(InvalidInput):
        _add(world, other, idea=idea)


def _standard(world, code, statement, actor=None):
    from manyi.quality.actions.standards import create_standard

    data = {"code": code, "area": "timeliness", "statement": statement, "criterion": "30秒"}
    return create_standard(actor=actor or world.head, data=data)


def test_an_action_may_change_a_standard(world, problem):
    greet = _standard(world, "S-12", "30秒内问候顾客")
    action = _add(world, problem, standard=SourceRef("standard", str(greet.pk)))
    assert (action.standard_id, action.standard_label, action.standard_url) == (
        str(greet.pk),
        "S-12 30秒内问候顾客",
        f"/quality/standards/{greet.pk}/",
    )
    for bad in (SourceRef("complaint", "1"), SourceRef("standard", "999999")):
        with pytest.raises(InvalidInput) as exc:
            _add(world, problem, standard=bad)
        assert exc.value.field == "standard"
    other = _standard(world, "S-1", "别家的标准", actor=world.other_head)
    with pytest.raises(InvalidInput):  # another company's standard
        _add(world, problem, standard=SourceRef("standard", str(other.pk)))
    smile = _standard(world, "S-13", "微笑服务")
    changed = actions.update_action(
        actor=world.manager, action=action, standard=SourceRef("standard", str(smile.pk))
    )
    assert changed.standard_label == "S-13 微笑服务"
    cleared = actions.update_action(actor=world.manager, action=action, standard=None)
    assert cleared.standard_id == "" and cleared.standard_label == ""


def test_the_action_form_offers_the_companys_standards(world, problem):
    from manyi.improvement.sources import options_for

    greet = _standard(world, "S-12", "30秒内问候顾客")
    _standard(world, "S-1", "别家的标准", actor=world.other_head)
    assert options_for("standard", scope_for(world.manager)) == [
        (str(greet.pk), "S-12 30秒内问候顾客")
    ]
    assert options_for("standard", scope_for(world.tech)) == []  # no quality results for them
    assert options_for("complaint", scope_for(world.manager)) is None


def test_the_owner_starts_and_finishes_with_evidence(world, problem):
    action = _add(world, problem)
    with pytest.raises(OutOfScope):  # not theirs
        actions.start_action(actor=world.sales, action=action)
    actions.start_action(actor=world.tech, action=action)
    with pytest.raises(InvalidMove):
        actions.start_action(actor=world.tech, action=action)
    with pytest.raises(InvalidInput) as exc:
        actions.complete_action(actor=world.tech, action=action)
    assert exc.value.field == "evidence_text"
    done = actions.complete_action(
        actor=world.tech, action=action, evidence_text="已张贴", file=("poster.png", PNG)
    )
    assert done.status == ActionStatus.DONE and done.done_at is not None
    assert done.evidence_type == "image/png" and done.evidence_file.name.endswith("poster.png")
    assert done.evidence_file.read() == PNG
    assert Notification.objects.filter(user=world.manager, kind="action_done").count() == 1
    with pytest.raises(InvalidMove):
        actions.complete_action(actor=world.tech, action=action, evidence_text="again")


def test_evidence_files_are_checked(world, problem):
    action = _add(world, problem)
    for name, data in (("x.exe", b"MZ\x00\x00"), ("empty.png", b""), ("a.zip", b"PK\x03\x04..")):
        with pytest.raises(InvalidInput) as exc:
            actions.attach_evidence(actor=world.tech, action=action, name=name, data=data)
        assert exc.value.field == "file"
    actions.attach_evidence(actor=world.tech, action=action, name="表.xlsx", data=b"PK\x03\x04xx")
    action.refresh_from_db()
    assert action.evidence_type.endswith("spreadsheetml.sheet")
    # A file alone is evidence enough.
    assert actions.complete_action(actor=world.tech, action=action).status == ActionStatus.DONE


def test_only_managers_cancel_reschedule_and_reopen(world, problem):
    action = _add(world, problem)
    with pytest.raises(OutOfScope):
        actions.cancel_action(actor=world.tech, action=action, reason="x")
    with pytest.raises(OutOfScope):
        actions.update_action(actor=world.tech, action=action, due_on=dt.date(2099, 1, 1))
    with pytest.raises(NotFound):
        actions.cancel_action(actor=world.south_manager, action=action, reason="x")
    with pytest.raises(InvalidInput):
        actions.cancel_action(actor=world.manager, action=action, reason="")
    cancelled = actions.cancel_action(actor=world.manager, action=action, reason="不需要了")
    assert cancelled.status == ActionStatus.CANCELLED
    with pytest.raises(InvalidMove):
        actions.update_action(actor=world.manager, action=action, title="x")
    reopened = actions.reopen_action(actor=world.manager, action=action)
    assert reopened.status == ActionStatus.IN_PROGRESS and reopened.cancel_reason == ""


def test_handing_an_action_to_someone_else_tells_them(world, problem):
    action = _add(world, problem)
    actions.update_action(actor=world.manager, action=action, owner=world.sales.staff)
    assert Notification.objects.filter(user=world.sales, kind="action_assigned").count() == 1
    assert ActionItem.objects.get().owner == world.sales.staff


def test_my_actions_lists_overdue_first(world, problem):
    late = _add(world, problem, due=dt.date(2026, 11, 21), title="逾期的")
    later = _add(world, problem, due=dt.date(2026, 12, 20), title="以后的")
    soon = _add(world, problem, due=dt.date(2026, 11, 25), title="快到期的")
    done = _add(world, problem, due=dt.date(2026, 11, 23), title="已完成的")
    actions.complete_action(actor=world.tech, action=done, evidence_text="完成")
    with time_machine.travel(at(2026, 11, 22, 9), tick=False):
        board = queries.action_board(scope_for(world.tech))
        assert queries.overdue_count(scope_for(world.tech)) == 1
    assert [a.title for a in board.overdue] == [late.title]
    assert [a.title for a in board.pending] == [soon.title, later.title]
    assert [a.title for a in board.finished] == [done.title]
    assert queries.action_board(scope_for(world.sales)).pending == []
    everyone = queries.action_board(scope_for(world.manager), everyone=True)
    assert len(everyone.overdue) + len(everyone.pending) == 3


# -- the overdue sweep ---------------------------------------------------------------------------


def test_an_overdue_action_notifies_the_owner_and_the_problem_owner_once(world, problem):
    action = _add(world, problem, due=dt.date(2026, 11, 21))
    with time_machine.travel(at(2026, 11, 21, 23, 59), tick=False):
        assert actions.sweep_overdue_actions() == 0  # due today is not overdue yet
    with time_machine.travel(at(2026, 11, 22, 0, 5), tick=False):
        assert actions.sweep_overdue_actions() == 1
        assert actions.sweep_overdue_actions() == 0  # once
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):
        assert actions.sweep_overdue_actions() == 0
    told = Notification.objects.filter(kind="action_overdue")
    assert sorted(told.values_list("user__username", flat=True)) == ["manager", "tech"]
    assert all("2026-11-21" in n.title for n in told)
    action.refresh_from_db()
    assert action.overdue_notified_at == at(2026, 11, 22, 0, 5)


def test_a_new_due_date_may_be_reported_again(world, problem):
    action = _add(world, problem, due=dt.date(2026, 11, 21))
    with time_machine.travel(at(2026, 11, 22, 9), tick=False):
        actions.sweep_overdue_actions()
        actions.update_action(actor=world.manager, action=action, due_on=dt.date(2026, 11, 24))
    with time_machine.travel(at(2026, 11, 25, 9), tick=False):
        assert actions.sweep_overdue_actions() == 1
    assert Notification.objects.filter(kind="action_overdue", user=world.tech).count() == 2


def test_finished_actions_are_never_reported(world, problem):
    done = _add(world, problem, due=dt.date(2026, 11, 21))
    cancelled = _add(world, problem, due=dt.date(2026, 11, 21))
    actions.complete_action(actor=world.tech, action=done, evidence_text="完成")
    actions.cancel_action(actor=world.manager, action=cancelled, reason="不做了")
    with time_machine.travel(at(2026, 11, 30, 9), tick=False):
        assert actions.sweep_overdue_actions() == 0
    assert not Notification.objects.filter(kind="action_overdue").exists()


def test_the_owner_who_owns_the_problem_is_told_once(world, problem):
    _add(world, problem, owner=world.manager.staff, due=dt.date(2026, 11, 21))
    with time_machine.travel(at(2026, 11, 22, 9), tick=False):
        actions.sweep_overdue_actions()
    assert Notification.objects.filter(kind="action_overdue").count() == 1


def test_the_ticker_runs_the_sweep(world, problem):
    _add(world, problem, due=dt.date(2026, 11, 21))
    with time_machine.travel(at(2026, 11, 22, 9), tick=False):
        call_command("ticker", once=True)  # tasks run inline in tests
    assert Notification.objects.filter(kind="action_overdue").count() == 2


def test_the_sweep_runs_on_the_simulation_clock(world, problem):
    _add(world, problem, due=dt.date(2026, 11, 21))
    with clock.travel(at(2026, 11, 21, 12)):
        assert actions.sweep_overdue_actions() == 0
    assert actions.sweep_overdue_actions(now=at(2026, 11, 22, 12)) == 1
