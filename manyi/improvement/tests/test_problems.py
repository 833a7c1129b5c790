"""Raising problems (by hand and from sources), who sees them, and the closure rules."""

import datetime as dt

import pytest

from manyi.errors import Conflict, InvalidInput, InvalidMove, NotFound, OutOfScope, both_languages
from manyi.improvement import actions, queries
from manyi.improvement.models import MeasureKind, Problem, ProblemStatus
from manyi.improvement.sources import SourceRef
from manyi.notify.models import Notification
from manyi.org.models import AuditEntry
from manyi.org.scopes import scope_for


def _plan(world, problem, n=1):
    return [
        actions.add_action(
            actor=world.manager,
            problem=problem,
            title=f"行动{i}",
            owner=world.tech.staff,
            due_on=queries.clock_today() + dt.timedelta(days=10),
        )
        for i in range(n)
    ]


def _measured(world, problem, result="92"):
    measure = actions.add_measure(
        actor=world.manager,
        problem=problem,
        kind=MeasureKind.AUDIT_SCORE,
        description="下次服务审核",
        baseline="80",
        target="90",
    )
    if result is not None:
        actions.record_measure_result(actor=world.manager, measure=measure, result=result)
    return measure


# -- raising -----------------------------------------------------------------------------------


def test_a_manager_raises_and_owns_a_problem(world, problem):
    assert problem.unit == world.east1 and problem.company == world.company
    assert problem.owner == world.manager.staff
    assert problem.status == ProblemStatus.OPEN
    assert AuditEntry.objects.filter(object_type="improvement.problem").count() == 1
    assert not Notification.objects.exists()  # nobody to tell: the manager raised it


def test_staff_raise_problems_for_their_managers(world):
    problem = actions.raise_problem(actor=world.sales, title="新色卡没到")
    assert problem.owner is None and problem.unit == world.east1
    told = Notification.objects.filter(kind="problem_raised")
    assert list(told.values_list("user__username", flat=True)) == ["manager"]


def test_a_region_problem_goes_to_the_managers_above_it(world):
    actions.raise_problem(actor=world.rep, title="片区回访滞后", unit=world.east)
    told = Notification.objects.filter(kind="problem_raised")
    # No region manager in the test company: the department heads and administrators are told,
    # not the outlet managers below the region.
    assert set(told.values_list("user__username", flat=True)) == {"head", "admin_role"}


def test_problems_are_raised_only_within_ones_units(world):
    with pytest.raises(InvalidInput) as exc:
        actions.raise_problem(actor=world.tech, title="x", unit=world.south1)
    assert exc.value.field == "unit"
    with pytest.raises(InvalidInput):
        actions.raise_problem(actor=world.tech, title="  ")
    with pytest.raises(OutOfScope):
        actions.raise_problem(actor=world.analyst, title="x")
    with pytest.raises(OutOfScope):
        actions.raise_problem(actor=world.outsider, title="x")
    with pytest.raises(OutOfScope):  # only managers name an owner
        actions.raise_problem(actor=world.tech, title="x", owner=world.manager.staff)
    assert not Problem.objects.exists()


def test_the_owner_must_be_a_manager_of_or_above_the_unit(world):
    with pytest.raises(InvalidInput) as exc:
        actions.raise_problem(actor=world.head, title="x", unit=world.east1, owner=world.tech.staff)
    assert exc.value.field == "owner"
    with pytest.raises(InvalidInput):
        actions.raise_problem(
            actor=world.head, title="x", unit=world.east1, owner=world.south_manager.staff
        )
    problem = actions.raise_problem(
        actor=world.head, title="x", unit=world.east1, owner=world.manager.staff
    )
    assert problem.owner == world.manager.staff
    assert Notification.objects.filter(user=world.manager, kind="problem_raised").exists()


def test_a_problem_from_a_source_without_a_describer_keeps_the_callers_label(world):
    problem = actions.raise_problem(
        actor=world.auditor,
        title="CSI 交车因素偏低",
        unit=world.east1,
        source=SourceRef("survey_factor", "C3/F2", "2026年11月 CSI · 交车", "/survey-results/"),
    )
    assert (problem.source_kind, problem.source_id) == ("survey_factor", "C3/F2")
    assert problem.source_label == "2026年11月 CSI · 交车"
    assert problem.source_url == "/survey-results/"
    with pytest.raises(Conflict):  # the same factor, while the first is being worked on
        actions.raise_problem(
            actor=world.auditor,
            title="again",
            unit=world.east1,
            source=SourceRef("survey_factor", "C3/F2", "x"),
        )
    assert queries.problems_from(scope_for(world.head), "survey_factor", "C3/F2") == [problem]


def test_a_problem_from_an_audit_finding_links_back_to_the_audit(world):
    from manyi.quality.actions import audits, standards
    from manyi.quality.models import AuditFinding

    queue = standards.create_standard(
        actor=world.head,
        data={"code": "B", "area": "flow", "statement": "排队不超过3人", "criterion": "3人"},
    )
    queue = standards.approve_standard(
        actor=world.head, standard=queue, checks=standards.TEST_NAMES
    )
    template = audits.generate_template(actor=world.head, name="门店审核", standards=[queue.pk])
    audit = audits.start_audit(actor=world.auditor, outlet=world.east1, template=template)
    audits.submit_audit(
        actor=world.auditor, audit=audit, answers={audits.item_code(queue.pk): "not_met"}
    )
    gap = AuditFinding.objects.get(audit=audit)
    problem = actions.raise_problem(
        actor=world.manager, title="高峰排队过长", source=SourceRef("audit_finding", str(gap.uid))
    )
    assert problem.unit == world.east1
    assert "B 排队不超过3人" in problem.source_label
    assert problem.source_url == f"/quality/audits/{audit.pk}/"
    for user in (world.tech, world.south_manager):  # may not read the audit
        with pytest.raises(InvalidInput):
            actions.raise_problem(
                actor=user, title="x", source=SourceRef("audit_finding", str(gap.uid))
            )
    with pytest.raises(InvalidInput):
        actions.raise_problem(
            actor=world.manager, title="x", source=SourceRef("audit_finding", "not-a-uuid")
        )


@pytest.mark.parametrize(
    ("ref", "field"),
    [
        (SourceRef("gossip", "1", "x"), "source"),
        (SourceRef("survey_factor", "", "x"), "source"),
        (SourceRef("survey_factor", "1", ""), "source"),
        (SourceRef("survey_factor", "1", "x", "https://evil.example/"), "source"),
        (SourceRef("survey_factor", "1", "x", "/\\evil.example/"), "source"),
        (SourceRef("survey_factor", "1", "x", "//evil.example/"), "source"),
        (SourceRef("standard", "1", "x"), "source"),
    ],
)
def test_bad_sources_are_refused(world, ref, field):
    with pytest.raises(InvalidInput) as exc:
        actions.raise_problem(actor=world.manager, title="x", source=ref)
    assert exc.value.field == field
    assert not Problem.objects.exists()


def test_a_problem_from_a_complaint_links_back_to_it(world, make_customer):
    from manyi.complaints.actions import open_complaint

    case = open_complaint(
        actor=world.sales, customer=make_customer(), description="墙面起泡，刚刷完一周"
    )
    complaint = case.complaint
    problem = actions.raise_problem(
        actor=world.manager,
        title="墙面起泡投诉",
        source=SourceRef("complaint", str(complaint.pk)),
    )
    assert problem.source_label.startswith(case.number)
    assert problem.source_url == f"/cases/{case.pk}/"
    assert problem.unit_id == case.unit_id
    with pytest.raises(InvalidInput):  # another region's manager may not see the complaint
        actions.raise_problem(
            actor=world.south_manager, title="x", source=SourceRef("complaint", str(complaint.pk))
        )


def test_a_problem_from_a_complaint_cause_is_named_by_the_cause(world):
    from manyi.complaints.policy import causes_for

    cause = causes_for(world.company.pk)[0]
    problem = actions.raise_problem(
        actor=world.head,
        title="产品问题投诉多",
        unit=world.company,
        source=SourceRef("complaint_cause", str(cause.pk)),
    )
    assert cause.name in problem.source_label
    with pytest.raises(InvalidInput):  # the other company's head does not know this cause
        actions.raise_problem(
            actor=world.other_head, title="x", source=SourceRef("complaint_cause", str(cause.pk))
        )


# -- who sees what -----------------------------------------------------------------------------


def test_another_regions_manager_does_not_see_the_problem(world, problem):
    assert problem in queries.visible_problems(scope_for(world.manager))
    assert problem in queries.visible_problems(scope_for(world.head))
    assert problem in queries.visible_problems(scope_for(world.tech))
    for user in (world.south_manager, world.analyst, world.outsider, world.other_head):
        assert problem not in queries.visible_problems(scope_for(user))
    with pytest.raises(NotFound):
        queries.get_problem(scope_for(world.south_manager), problem.pk)
    with pytest.raises(NotFound):
        actions.update_problem(
            actor=world.south_manager, problem=problem, title="x", description=""
        )


def test_an_action_owner_sees_their_action_of_a_problem_above_them(world):
    problem = actions.raise_problem(actor=world.head, title="片区问题", unit=world.east)
    action = actions.add_action(
        actor=world.head,
        problem=problem,
        title="门店培训",
        owner=world.tech.staff,
        due_on=queries.clock_today(),
    )
    tech = scope_for(world.tech)
    assert problem not in queries.visible_problems(tech)
    assert queries.get_action(tech, action.pk) == action
    assert action not in queries.visible_actions(scope_for(world.sales))


# -- closing -----------------------------------------------------------------------------------


def test_a_problem_without_actions_cannot_close(world, problem):
    _measured(world, problem)
    with pytest.raises(Conflict) as exc:
        actions.close_problem(actor=world.manager, problem=problem)
    assert "no actions" in both_languages(exc.value.message)["en"]


def test_a_problem_with_an_open_action_cannot_close(world, problem):
    first, second = _plan(world, problem, 2)
    actions.complete_action(actor=world.tech, action=first, evidence_text="完成")
    _measured(world, problem)
    with pytest.raises(Conflict):
        actions.close_problem(actor=world.manager, problem=problem)
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.IN_PROGRESS


def test_a_problem_needs_a_measured_result_to_close(world, problem):
    (action,) = _plan(world, problem)
    actions.complete_action(actor=world.tech, action=action, evidence_text="完成")
    with pytest.raises(Conflict):  # no measure at all
        actions.close_problem(actor=world.manager, problem=problem)
    measure = _measured(world, problem, result=None)
    with pytest.raises(Conflict):  # a measure, but not yet measured
        actions.close_problem(actor=world.manager, problem=problem)
    actions.record_measure_result(actor=world.manager, measure=measure, result="88")
    closed = actions.close_problem(actor=world.manager, problem=problem, note="审核分提高")
    assert closed.status == ProblemStatus.CLOSED and closed.closed_at is not None
    assert actions.closure_blockers(closed) == []


def test_cancelled_actions_do_not_hold_the_problem_open(world, problem):
    done, dropped = _plan(world, problem, 2)
    actions.complete_action(actor=world.tech, action=done, evidence_text="完成")
    actions.cancel_action(actor=world.manager, action=dropped, reason="与行动0重复")
    _measured(world, problem)
    assert actions.close_problem(actor=world.manager, problem=problem).status == "closed"


def test_only_cancelled_actions_are_not_a_plan(world, problem):
    (action,) = _plan(world, problem)
    actions.cancel_action(actor=world.manager, action=action, reason="不做了")
    _measured(world, problem)
    with pytest.raises(Conflict):
        actions.close_problem(actor=world.manager, problem=problem)


def test_a_closed_problem_is_frozen_until_reopened(world, problem):
    (action,) = _plan(world, problem)
    actions.complete_action(actor=world.tech, action=action, evidence_text="完成")
    _measured(world, problem)
    actions.close_problem(actor=world.manager, problem=problem)
    with pytest.raises(InvalidMove):
        _plan(world, problem)
    with pytest.raises(InvalidMove):
        actions.reopen_action(actor=world.manager, action=action)
    with pytest.raises(InvalidInput):
        actions.reopen_problem(actor=world.manager, problem=problem, reason="")
    reopened = actions.reopen_problem(actor=world.manager, problem=problem, reason="审核分回落")
    assert reopened.status == ProblemStatus.IN_PROGRESS and reopened.closed_at is None
    assert len(_plan(world, problem)) == 1


def test_only_a_manager_of_the_unit_closes(world, problem):
    (action,) = _plan(world, problem)
    actions.complete_action(actor=world.tech, action=action, evidence_text="完成")
    _measured(world, problem)
    with pytest.raises(OutOfScope):
        actions.close_problem(actor=world.tech, problem=problem)
    with pytest.raises(NotFound):
        actions.close_problem(actor=world.south_manager, problem=problem)
    assert actions.close_problem(actor=world.head, problem=problem).status == "closed"


def test_dropping_needs_a_reason_and_no_open_actions(world, problem):
    (action,) = _plan(world, problem)
    with pytest.raises(Conflict):
        actions.drop_problem(actor=world.manager, problem=problem, reason="重复")
    actions.cancel_action(actor=world.manager, action=action, reason="重复")
    with pytest.raises(InvalidInput):
        actions.drop_problem(actor=world.manager, problem=problem, reason=" ")
    dropped = actions.drop_problem(actor=world.manager, problem=problem, reason="与另一问题重复")
    assert dropped.status == ProblemStatus.DROPPED and dropped.closing_note == "与另一问题重复"


def test_a_measure_knows_whether_its_target_was_met(world, problem):
    complaints = actions.add_measure(
        actor=world.manager,
        problem=problem,
        kind=MeasureKind.COMPLAINT_COUNT,
        description="下季度投诉数",
        baseline=12,
        target=5,
    )
    assert complaints.lower_is_better and complaints.target_met() is None
    actions.record_measure_result(actor=world.manager, measure=complaints, result=4)
    complaints.refresh_from_db()
    assert complaints.target_met() is True
    with pytest.raises(InvalidInput):
        actions.add_measure(
            actor=world.manager, problem=problem, kind="mood", description="x", target=1
        )
    with pytest.raises(InvalidInput):
        actions.add_measure(
            actor=world.manager, problem=problem, kind="other", description="x", target="abc"
        )
    with pytest.raises(InvalidInput):  # not in the future
        actions.record_measure_result(
            actor=world.manager,
            measure=complaints,
            result=3,
            measured_at=dt.datetime(2999, 1, 1, tzinfo=dt.UTC),
        )
    with pytest.raises(OutOfScope):
        actions.record_measure_result(actor=world.tech, measure=complaints, result=1)


def test_problem_list_counts_actions_in_one_query(world, problem, django_assert_num_queries):
    _plan(world, problem, 3)
    done = problem.actions.first()
    actions.complete_action(actor=world.tech, action=done, evidence_text="完成")
    with django_assert_num_queries(1):
        rows = list(queries.problem_list(scope_for(world.head)))
    assert [(r.action_count, r.done_count) for r in rows] == [(3, 1)]
    assert rows[0].owner.name == "manager"
