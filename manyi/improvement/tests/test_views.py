"""The improvement pages: list, raise, the problem page with its forms, actions, the live
session (board polling, the member's panel) and the results — happy path, invalid state,
wrong role, outsider, and the query budgets of the hot pages."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from conftest import PASSWORD
from manyi.improvement import actions, queries
from manyi.improvement import session_actions as sa
from manyi.improvement.models import ActionItem, ActionStatus, Phase, Problem, ProblemStatus
from manyi.improvement.tests.conftest import advance
from manyi.notify.models import Notification


def login(client, username):
    assert client.login(username=username, password=PASSWORD)
    return client


def _action(world, problem, due=None, owner=None):
    return actions.add_action(
        actor=world.manager,
        problem=problem,
        title="周末增加一名导购",
        owner=owner or world.tech.staff,
        due_on=due or queries.clock_today() + dt.timedelta(days=7),
    )


# -- problem list and raising ----------------------------------------------------------------


def test_problem_list_shows_the_units_problems_within_a_query_budget(
    client, world, problem, django_assert_max_num_queries
):
    for i in range(5):
        p = actions.raise_problem(actor=world.manager, title=f"问题{i}")
        _action(world, p)
    login(client, "manager")
    with django_assert_max_num_queries(14):
        response = client.get(reverse("improvement:list"))
    assert response.status_code == 200
    assert "顾客等候时间过长" in response.content.decode()
    assert response.content.decode().count('class="card problem-row"') == 6


def test_problem_list_filters_with_htmx(client, world, problem):
    actions.raise_problem(actor=world.manager, title="发票开具慢")
    login(client, "manager")
    response = client.get(reverse("improvement:list"), {"q": "发票"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "发票开具慢" in body and "顾客等候时间过长" not in body
    assert "<h1>" not in body  # the fragment only


def test_another_regions_manager_does_not_see_the_problem(client, world, problem):
    login(client, "south_manager")
    assert "顾客等候时间过长" not in client.get(reverse("improvement:list")).content.decode()
    assert client.get(reverse("improvement:problem", args=[problem.pk])).status_code == 404


def test_roles_outside_improvement_are_refused(client, world, problem):
    login(client, "analyst")
    assert client.get(reverse("improvement:list")).status_code == 403
    client.logout()
    login(client, "outsider")
    assert client.get(reverse("improvement:list")).status_code == 403
    assert client.get(reverse("improvement:problem", args=[problem.pk])).status_code == 403
    client.logout()
    assert client.get(reverse("improvement:list")).status_code == 302  # to the login page


def test_a_technician_raises_a_problem_and_the_manager_is_told(client, world):
    login(client, "tech")
    page = client.get(reverse("improvement:problem-new"))
    assert page.status_code == 200
    response = client.post(
        reverse("improvement:problem-new"),
        {"title": "色卡不全", "description": "门店缺少新色卡", "unit": world.east1.pk},
    )
    problem = Problem.objects.get(title="色卡不全")
    assert response.status_code == 302 and response.url.endswith(f"/problems/{problem.pk}/")
    assert problem.owner is None and problem.raised_by_id == world.tech.pk
    assert Notification.objects.filter(user=world.manager, kind="problem_raised").count() == 1


def test_raising_outside_ones_units_is_refused_next_to_the_field(client, world):
    login(client, "tech")
    response = client.post(
        reverse("improvement:problem-new"), {"title": "x", "unit": world.south1.pk}
    )
    assert response.status_code == 200
    assert "has-error" in response.content.decode()
    assert not Problem.objects.exists()


def test_raising_from_a_source_prefills_the_form(client, world, monkeypatch):
    from manyi.improvement import sources

    monkeypatch.setitem(
        sources._REGISTRY,
        "audit_finding",
        sources.SourceKind(
            "audit_finding",
            "Audit finding",
            lambda scope, ids: {
                i: {"label": f"审核发现 {i}: 未在30秒内问候", "url": f"/quality/{i}/"} for i in ids
            },
        ),
    )
    login(client, "manager")
    page = client.get(
        reverse("improvement:problem-new"), {"source_kind": "audit_finding", "source_id": "17"}
    )
    body = page.content.decode()
    assert "审核发现 17: 未在30秒内问候" in body and 'href="/quality/17/"' in body
    client.post(
        reverse("improvement:problem-new"),
        {
            "title": "问候不及时",
            "unit": world.east1.pk,
            "source_kind": "audit_finding",
            "source_id": "17",
        },
    )
    problem = Problem.objects.get()
    assert (problem.source_label, problem.source_url) == (
        "审核发现 17: 未在30秒内问候",
        "/quality/17/",
    )


# -- the problem page ------------------------------------------------------------------------


def test_problem_page_shows_plan_measures_sessions_and_the_closure_blockers(
    client, world, problem, django_assert_max_num_queries
):
    _action(world, problem)
    actions.add_measure(
        actor=world.manager, problem=problem, kind="audit_score", description="下次审核", target=90
    )
    sa.start_session(actor=world.manager, problem=problem, method="ngt")
    login(client, "manager")
    with django_assert_max_num_queries(25):
        response = client.get(reverse("improvement:problem", args=[problem.pk]))
    body = response.content.decode()
    assert "周末增加一名导购" in body and "下次审核" in body
    assert reverse("improvement:action-add", args=[problem.pk]) in body
    assert "还有 1 项行动未完成" in body  # the closure blocker, in Chinese


def test_a_member_of_staff_sees_the_problem_without_the_managers_forms(client, world, problem):
    login(client, "tech")
    body = client.get(reverse("improvement:problem", args=[problem.pk])).content.decode()
    assert "顾客等候时间过长" in body
    assert reverse("improvement:action-add", args=[problem.pk]) not in body


def test_adding_an_action_from_the_page(client, world, problem):
    login(client, "manager")
    response = client.post(
        reverse("improvement:action-add", args=[problem.pk]),
        {"title": "高峰时段开放第二收银台", "owner": world.sales.staff.pk, "due_on": "2099-01-31"},
    )
    assert response.status_code == 302
    action = ActionItem.objects.get()
    assert action.owner == world.sales.staff and action.status == ActionStatus.OPEN
    bad = client.post(
        reverse("improvement:action-add", args=[problem.pk]),
        {"title": "过去的日期", "owner": world.sales.staff.pk, "due_on": "2000-01-01"},
    )
    assert bad.status_code == 422 and "截止日期不能早于今天" in bad.content.decode()


def test_a_technician_cannot_add_an_action(client, world, problem):
    login(client, "tech")
    response = client.post(
        reverse("improvement:action-add", args=[problem.pk]),
        {"title": "x", "owner": world.tech.staff.pk, "due_on": "2099-01-31"},
    )
    assert response.status_code == 403
    assert not ActionItem.objects.exists()


def test_closing_from_the_page_is_refused_with_the_reason(client, world, problem):
    login(client, "manager")
    page = reverse("improvement:problem", args=[problem.pk])
    response = client.post(
        reverse("improvement:problem-close", args=[problem.pk]), {"note": ""}, HTTP_REFERER=page
    )
    assert response.status_code == 302
    followed = client.get(page).content.decode()
    assert "该问题还没有行动" in followed
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.OPEN


def test_measures_get_their_result_and_the_problem_closes(client, world, problem):
    action = _action(world, problem)
    actions.complete_action(actor=world.tech, action=action, evidence_text="已排班")
    login(client, "manager")
    client.post(
        reverse("improvement:measure-add", args=[problem.pk]),
        {"kind": "survey_score", "description": "下月满意度", "baseline": "78", "target": "85"},
    )
    measure = problem.measures.get()
    client.post(reverse("improvement:measure-result", args=[measure.pk]), {"result": "88.5"})
    measure.refresh_from_db()
    assert str(measure.result) == "88.50" and measure.target_met()
    client.post(reverse("improvement:problem-close", args=[problem.pk]), {"note": "等候缩短"})
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.CLOSED and problem.closing_note == "等候缩短"
    body = client.get(reverse("improvement:problem", args=[problem.pk])).content.decode()
    assert reverse("improvement:problem-reopen", args=[problem.pk]) in body


# -- actions ---------------------------------------------------------------------------------


def test_my_actions_lists_overdue_first(client, world, problem, django_assert_max_num_queries):
    with time_machine.travel(dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC), tick=False):
        late = _action(world, problem, due=dt.date(2026, 11, 5))
    soon = _action(world, problem, due=dt.date(2099, 1, 1))
    login(client, "tech")
    with django_assert_max_num_queries(10):
        response = client.get(reverse("improvement:actions"))
    body = response.content.decode()
    assert body.index(f"/improvement/actions/{late.pk}/") < body.index(
        f"/improvement/actions/{soon.pk}/"
    )
    assert "jobs-overdue" in body


def test_an_owner_marks_an_action_done_with_a_photo(client, world, problem, tmp_path):
    from tests.browser.test_workorder_flow import small_png

    action = _action(world, problem)
    login(client, "tech")
    client.post(reverse("improvement:action-start", args=[action.pk]))
    action.refresh_from_db()
    assert action.status == ActionStatus.IN_PROGRESS
    empty = client.post(reverse("improvement:action-complete", args=[action.pk]), {})
    assert empty.status_code == 422 and "请说明做了什么" in empty.content.decode()
    photo = tmp_path / "shelf.png"
    photo.write_bytes(small_png())
    with photo.open("rb") as handle:
        done = client.post(
            reverse("improvement:action-complete", args=[action.pk]),
            {"evidence_text": "新排班表已张贴", "file": handle},
        )
    assert done.status_code == 302
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE and action.evidence_type == "image/png"
    evidence = client.get(reverse("improvement:action-evidence", args=[action.pk]))
    assert evidence.status_code == 200 and evidence["Content-Type"] == "image/png"
    client.logout()
    login(client, "south_manager")
    assert client.get(reverse("improvement:action-evidence", args=[action.pk])).status_code == 404


def test_an_unknown_file_is_refused_as_evidence(client, world, problem, tmp_path):
    action = _action(world, problem)
    login(client, "tech")
    bad = tmp_path / "run.exe"
    bad.write_bytes(b"MZ\x90\x00" * 10)
    with bad.open("rb") as handle:
        response = client.post(
            reverse("improvement:action-complete", args=[action.pk]), {"file": handle}
        )
    assert response.status_code == 422
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN and not action.evidence_file


def test_someone_else_may_not_complete_an_action(client, world, problem):
    action = _action(world, problem)
    login(client, "sales")
    page = reverse("improvement:action", args=[action.pk])
    assert "action-complete" not in client.get(page).content.decode()
    response = client.post(
        reverse("improvement:action-complete", args=[action.pk]),
        {"evidence_text": "不是我的"},
    )
    assert response.status_code == 403
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN


def test_a_manager_reschedules_and_cancels(client, world, problem):
    action = _action(world, problem)
    login(client, "manager")
    client.post(
        reverse("improvement:action-edit", args=[action.pk]),
        {"title": action.title, "owner": world.sales.staff.pk, "due_on": "2099-03-01"},
    )
    action.refresh_from_db()
    assert action.owner == world.sales.staff and action.due_on == dt.date(2099, 3, 1)
    client.post(reverse("improvement:action-cancel", args=[action.pk]), {"reason": "不再需要"})
    action.refresh_from_db()
    assert action.status == ActionStatus.CANCELLED


# -- the live session ------------------------------------------------------------------------


def test_the_live_page_shows_the_board_and_the_members_panel(
    client, world, ngt, django_assert_max_num_queries
):
    login(client, "tech")
    with django_assert_max_num_queries(20):
        response = client.get(reverse("improvement:session", args=[ngt.pk]))
    body = response.content.decode()
    assert 'id="board"' in body and 'hx-trigger="every 2s, session-changed from:body"' in body
    assert 'id="mine"' in body
    assert reverse("improvement:advance", args=[ngt.pk]) not in body  # not the facilitator
    client.logout()
    login(client, "manager")
    body = client.get(reverse("improvement:session", args=[ngt.pk])).content.decode()
    assert reverse("improvement:advance", args=[ngt.pk]) in body


def test_the_board_poll_answers_204_until_something_changes(
    client, world, ngt, django_assert_max_num_queries
):
    login(client, "tech")
    board = reverse("improvement:session-board", args=[ngt.pk])
    with django_assert_max_num_queries(6):
        same = client.get(board, {"rev": ngt.revision, "phase": ngt.phase})
    assert same.status_code == 204
    advance(ngt, world.manager)
    moved = client.get(board, {"rev": ngt.revision, "phase": Phase.STATE})
    assert moved["HX-Refresh"] == "true"
    ngt.refresh_from_db()
    sa.add_idea(actor=world.sales, session=ngt, text="A")
    with django_assert_max_num_queries(20):
        redraw = client.get(board, {"rev": ngt.revision, "phase": ngt.phase})
    assert redraw.status_code == 200 and 'id="board"' in redraw.content.decode()


def test_joining_and_adding_ideas_with_htmx(client, world, problem):
    session = sa.start_session(actor=world.manager, problem=problem, method="ngt")
    login(client, "tech")
    joined = client.post(
        reverse("improvement:session-join", args=[session.pk]), HTTP_HX_REQUEST="true"
    )
    assert joined["HX-Refresh"] == "true"
    sa.join_session(actor=world.sales, session=session)
    advance(session, world.manager)
    added = client.post(
        reverse("improvement:idea-add", args=[session.pk]),
        {"text": "增加预约服务"},
        HTTP_HX_REQUEST="true",
    )
    body = added.content.decode()
    assert added.status_code == 200 and 'id="mine"' in body and "增加预约服务" in body
    assert added["HX-Trigger"] == "session-changed"
    empty = client.post(
        reverse("improvement:idea-add", args=[session.pk]), {"text": ""}, HTTP_HX_REQUEST="true"
    )
    assert empty.status_code == 200 and "此项必填" in empty.content.decode()


def test_a_refused_move_reloads_the_page_with_the_reason(client, world, ngt):
    login(client, "manager")
    response = client.post(
        reverse("improvement:advance", args=[ngt.pk]),
        {"from_phase": Phase.SILENT},
        HTTP_HX_REQUEST="true",
    )
    assert response["HX-Refresh"] == "true"
    body = client.get(reverse("improvement:session", args=[ngt.pk])).content.decode()
    assert "研讨会已进入下一阶段" in body


def test_ranking_from_the_page_and_the_results(client, world, ngt):
    advance(ngt, world.manager)
    for who, text in ((world.manager, "A"), (world.tech, "B"), (world.sales, "C")):
        sa.add_idea(actor=who, session=ngt, text=text)
    advance(ngt, world.manager)
    sa.record_all_ideas(actor=world.manager, session=ngt)
    advance(ngt, world.manager)
    advance(ngt, world.manager)  # first vote
    ids = [i.pk for i in queries.board_ideas(ngt)]
    login(client, "tech")
    page = client.get(reverse("improvement:session", args=[ngt.pk])).content.decode()
    assert 'name="rank_3"' in page
    twice = {"rank_1": ids[1], "rank_2": ids[1], "rank_3": ids[0]}
    bad = client.post(reverse("improvement:ranking", args=[ngt.pk]), twice, HTTP_HX_REQUEST="true")
    assert "每个想法只能出现一次" in bad.content.decode()
    good = {"rank_1": ids[1], "rank_2": ids[0], "rank_3": ids[2]}
    ok = client.post(reverse("improvement:ranking", args=[ngt.pk]), good, HTTP_HX_REQUEST="true")
    assert 'data-testid="my-ranking"' in ok.content.decode()
    results = client.get(reverse("improvement:session-results", args=[ngt.pk]))
    assert "还没有已结束的投票" in results.content.decode()
    advance(ngt, world.manager)  # discussion
    results = client.get(reverse("improvement:session-results", args=[ngt.pk])).content.decode()
    assert "第一次投票" in results and "tally-table" in results


def test_an_outsider_cannot_open_a_session(client, world, ngt):
    login(client, "south_manager")
    assert client.get(reverse("improvement:session", args=[ngt.pk])).status_code == 404
    assert client.get(reverse("improvement:session-board", args=[ngt.pk])).status_code == 404
    client.logout()
    login(client, "outsider")
    assert client.get(reverse("improvement:session", args=[ngt.pk])).status_code == 403


@pytest.mark.parametrize("phase", ["recording", "clarify"])
def test_facilitator_buttons_answer_with_the_board(client, world, ngt, phase):
    advance(ngt, world.manager)
    sa.add_idea(actor=world.tech, session=ngt, text="A")
    sa.add_idea(actor=world.sales, session=ngt, text="B")
    advance(ngt, world.manager)
    login(client, "manager")
    if phase == "recording":
        response = client.post(
            reverse("improvement:record-next", args=[ngt.pk]), HTTP_HX_REQUEST="true"
        )
        assert 'id="board"' in response.content.decode()
        assert ngt.ideas.filter(number__isnull=False).count() == 1
    else:
        sa.record_all_ideas(actor=world.manager, session=ngt)
        advance(ngt, world.manager)
        idea = ngt.ideas.first()
        response = client.post(
            reverse("improvement:idea-aside", args=[ngt.pk, idea.pk]),
            {"aside": "1"},
            HTTP_HX_REQUEST="true",
        )
        assert 'id="board"' in response.content.decode()
        idea.refresh_from_db()
        assert idea.set_aside
