"""Problem-solving sessions through their phases (003 P-097 nominal group, P-098 brainstorming):
who may do what, when, and the round-robin order of recording."""

import pytest

from conftest import fresh_user
from manyi.errors import Conflict, InvalidInput, InvalidMove, NotFound, OutOfScope, StaleVersion
from manyi.improvement import queries
from manyi.improvement import session_actions as sa
from manyi.improvement.models import Method, Phase, Problem, ProblemStatus, Ranking
from manyi.improvement.phases import round_robin
from manyi.improvement.tests.conftest import advance
from manyi.org.models import AuditEntry


def _ideas(world, session, per_person):
    for person, texts in per_person:
        for text in texts:
            sa.add_idea(actor=person, session=session, text=text)


def _to_first_vote(world, session):
    advance(session, world.manager)  # silent
    _ideas(world, session, [(world.manager, ["A", "B"]), (world.tech, ["C"])])
    advance(session, world.manager)  # recording
    sa.record_all_ideas(actor=world.manager, session=session)
    advance(session, world.manager)  # clarification
    advance(session, world.manager)  # first vote
    session.refresh_from_db()
    return [i.pk for i in queries.board_ideas(session)]


def test_starting_a_session_makes_the_facilitator_a_member(world, problem):
    session = sa.start_session(actor=world.manager, problem=problem, method=Method.NGT)
    assert session.phase == Phase.STATE
    assert session.statement.startswith("顾客等候时间过长")
    assert [m.name for m in session.members.all()] == ["manager"]
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.IN_PROGRESS
    assert AuditEntry.objects.filter(object_type="improvement.session").count() == 1


def test_only_a_manager_of_the_unit_starts_a_session(world, problem):
    with pytest.raises(OutOfScope):
        sa.start_session(actor=world.tech, problem=problem, method=Method.NGT)
    with pytest.raises(NotFound):  # south's manager does not even see the problem
        sa.start_session(actor=world.south_manager, problem=problem, method=Method.NGT)
    with pytest.raises(InvalidInput) as exc:
        sa.start_session(actor=world.manager, problem=problem, method="debate")
    assert exc.value.field == "method"
    with pytest.raises(InvalidInput):
        sa.start_session(actor=world.manager, problem=problem, method=Method.NGT, top_n=0)


def test_joining_twice_changes_nothing_and_outsiders_cannot_join(world, ngt):
    again = sa.join_session(actor=world.tech, session=ngt)
    assert ngt.members.filter(user=world.tech).count() == 1
    assert again.position == 1
    for user in (world.south_manager, world.outsider, world.other_head):
        with pytest.raises((NotFound, OutOfScope)):
            sa.join_session(actor=user, session=ngt)
    with pytest.raises(NotFound):  # the analyst takes no part in improvement
        sa.join_session(actor=world.analyst, session=ngt)


def test_region_staff_join_a_session_of_their_outlet_only_if_it_is_theirs(world):
    from manyi.improvement.actions import raise_problem

    region_problem = raise_problem(actor=world.head, title="片区回访不及时", unit=world.east)
    session = sa.start_session(actor=world.head, problem=region_problem, method=Method.NGT)
    # The outlet's technician belongs to the east region: may join its session.
    assert sa.join_session(actor=world.tech, session=session).position == 1
    with pytest.raises(NotFound):  # the south outlet's manager may not
        sa.join_session(actor=world.south_manager, session=session)


def test_the_team_must_gather_before_it_starts(world, problem):
    session = sa.start_session(actor=world.manager, problem=problem, method=Method.NGT)
    with pytest.raises(InvalidMove):
        advance(session, world.manager)
    sa.join_session(actor=world.tech, session=session)
    assert advance(session, world.manager).phase == Phase.SILENT


def test_ideas_are_private_in_the_silent_phase(world, ngt):
    with pytest.raises(InvalidMove):  # not yet: the problem is being stated
        sa.add_idea(actor=world.tech, session=ngt, text="早")
    advance(ngt, world.manager)
    sa.add_idea(actor=world.tech, session=ngt, text="增加周末排班")
    assert queries.board_ideas(ngt) == []  # nobody sees it yet
    member = queries.member_for(ngt, world.tech)
    assert [i.text for i in queries.own_ideas(member)] == ["增加周末排班"]
    with pytest.raises(InvalidInput):
        sa.add_idea(actor=world.tech, session=ngt, text="   ")
    with pytest.raises(OutOfScope):  # a visible session, but not a member
        sa.add_idea(actor=fresh_user(world.rep), session=ngt, text="x")


def test_a_member_may_take_back_an_idea_before_it_is_recorded(world, ngt):
    advance(ngt, world.manager)
    idea = sa.add_idea(actor=world.tech, session=ngt, text="错字")
    with pytest.raises(NotFound):  # not their idea
        sa.remove_idea(actor=world.sales, session=ngt, idea=idea)
    sa.remove_idea(actor=world.tech, session=ngt, idea=idea)
    assert not ngt.ideas.exists()


def test_round_robin_records_one_idea_per_member_per_turn(world, ngt):
    advance(ngt, world.manager)
    _ideas(
        world,
        ngt,
        [(world.manager, ["A1", "A2"]), (world.tech, ["B1"]), (world.sales, ["C1", "C2", "C3"])],
    )
    advance(ngt, world.manager)
    first = sa.record_next_idea(actor=world.manager, session=ngt)
    assert (first.number, first.text) == (1, "A1")
    members = queries.members_of(ngt)
    ngt.refresh_from_db()
    assert queries.next_turn(ngt, members).name == "tech"
    assert sa.record_all_ideas(actor=world.manager, session=ngt) == 5
    assert [(i.number, i.text) for i in queries.board_ideas(ngt)] == [
        (1, "A1"),
        (2, "B1"),
        (3, "C1"),
        (4, "A2"),
        (5, "C2"),
        (6, "C3"),
    ]
    assert sa.record_next_idea(actor=world.manager, session=ngt) is None


def test_round_robin_wraps_round_from_the_turn():
    order = round_robin([0, 1, 2], {0: ["a"], 1: ["b1", "b2"], 2: ["c"]}, 2)
    assert [item for _p, item in order] == ["c", "a", "b1", "b2"]
    assert round_robin([], {}, 0) == []


def test_only_the_facilitator_records_and_advances(world, ngt):
    advance(ngt, world.manager)
    sa.add_idea(actor=world.tech, session=ngt, text="A")
    with pytest.raises(OutOfScope):
        sa.advance_session(actor=world.tech, session=ngt, from_phase=Phase.SILENT)
    advance(ngt, world.manager)
    with pytest.raises(OutOfScope):
        sa.record_next_idea(actor=world.sales, session=ngt)
    # The department head may stand in for the facilitator.
    assert sa.record_next_idea(actor=world.head, session=ngt).text == "A"


def test_no_vote_while_ideas_wait_to_be_recorded(world, ngt):
    advance(ngt, world.manager)
    _ideas(world, ngt, [(world.manager, ["A"]), (world.tech, ["B"])])
    advance(ngt, world.manager)  # recording
    sa.record_next_idea(actor=world.manager, session=ngt)
    ngt.refresh_from_db()
    assert "1" in str(sa.advance_blocker(ngt))
    with pytest.raises(InvalidMove):
        advance(ngt, world.manager)


def test_no_ranking_before_the_ideas_are_recorded(world, ngt):
    advance(ngt, world.manager)
    idea = sa.add_idea(actor=world.tech, session=ngt, text="A")
    with pytest.raises(InvalidMove):
        sa.submit_ranking(actor=world.tech, session=ngt, idea_ids=[idea.pk])
    advance(ngt, world.manager)
    with pytest.raises(InvalidMove):
        sa.submit_ranking(actor=world.tech, session=ngt, idea_ids=[idea.pk])
    assert not Ranking.objects.exists()


def test_a_vote_needs_two_recorded_ideas(world, ngt):
    advance(ngt, world.manager)
    sa.add_idea(actor=world.tech, session=ngt, text="唯一的想法")
    advance(ngt, world.manager)
    sa.record_all_ideas(actor=world.manager, session=ngt)
    advance(ngt, world.manager)  # clarification
    with pytest.raises(InvalidMove):
        advance(ngt, world.manager)


def test_only_members_vote_once_per_round(world, ngt):
    ids = _to_first_vote(world, ngt)
    with pytest.raises(OutOfScope):
        sa.submit_ranking(actor=fresh_user(world.rep), session=ngt, idea_ids=ids)
    with pytest.raises(NotFound):
        sa.submit_ranking(actor=world.south_manager, session=ngt, idea_ids=ids)
    sa.submit_ranking(actor=world.tech, session=ngt, idea_ids=ids)
    with pytest.raises(Conflict):
        sa.submit_ranking(actor=world.tech, session=ngt, idea_ids=list(reversed(ids)))
    assert Ranking.objects.filter(round=1).count() == 1


def test_a_ranking_names_exactly_the_top_n_distinct_board_ideas(world, ngt):
    ids = _to_first_vote(world, ngt)  # 3 ideas, top 3
    for bad in (ids[:2], [ids[0], ids[0], ids[1]], [ids[0], ids[1], 999_999], ["x", 1, 2]):
        with pytest.raises(InvalidInput) as exc:
            sa.submit_ranking(actor=world.tech, session=ngt, idea_ids=bad)
        assert exc.value.field == "ranking"
    ranking = sa.submit_ranking(actor=world.tech, session=ngt, idea_ids=ids)
    assert [(e.rank, e.points) for e in ranking.entries.order_by("rank")] == [
        (1, 3),
        (2, 2),
        (3, 1),
    ]


def test_an_idea_set_aside_is_not_ranked(world, ngt):
    advance(ngt, world.manager)
    _ideas(world, ngt, [(world.manager, ["A", "A 重复"]), (world.tech, ["B"])])
    advance(ngt, world.manager)
    sa.record_all_ideas(actor=world.manager, session=ngt)
    advance(ngt, world.manager)  # clarification
    duplicate = ngt.ideas.get(text="A 重复")
    with pytest.raises(OutOfScope):
        sa.set_idea_aside(actor=world.tech, session=ngt, idea=duplicate)
    sa.set_idea_aside(actor=world.manager, session=ngt, idea=duplicate)
    sa.reword_idea(actor=world.manager, session=ngt, idea=ngt.ideas.get(text="B"), text="B 改写")
    advance(ngt, world.manager)  # first vote
    ngt.refresh_from_db()
    eligible = list(queries.eligible_ideas(ngt))
    assert [i.text for i in eligible] == ["A", "B 改写"]
    with pytest.raises(InvalidInput):  # only two ideas left: rank both, not the one set aside
        sa.submit_ranking(actor=world.tech, session=ngt, idea_ids=[duplicate.pk, eligible[0].pk])
    with pytest.raises(InvalidMove):  # set aside only while clarifying or discussing
        sa.set_idea_aside(actor=world.manager, session=ngt, idea=duplicate, aside=False)


def test_a_stale_advance_is_refused(world, ngt):
    sa.advance_session(actor=world.manager, session=ngt, from_phase=Phase.STATE)
    with pytest.raises(StaleVersion):  # a second tap on the same button
        sa.advance_session(actor=world.manager, session=ngt, from_phase=Phase.STATE)
    ngt.refresh_from_db()
    assert ngt.phase == Phase.SILENT


def test_a_full_nominal_group_session_ends_with_the_final_tally(world, ngt):
    ids = _to_first_vote(world, ngt)
    with pytest.raises(InvalidMove):  # nobody has ranked yet
        advance(ngt, world.manager)
    sa.submit_ranking(actor=world.tech, session=ngt, idea_ids=ids)
    advance(ngt, world.manager)  # discussion: the first tally is shown
    assert queries.session_tally(ngt, 1).rankings == 1
    advance(ngt, world.manager)  # final vote
    for person in (world.manager, world.tech, world.sales):
        sa.submit_ranking(actor=person, session=ngt, idea_ids=list(reversed(ids)))
    done = advance(ngt, world.manager)
    assert done.phase == Phase.DONE and done.finished_at is not None
    final = queries.session_tally(done, 2)
    assert final.rankings == 3 and final.winner.idea_id == ids[-1]
    with pytest.raises(InvalidMove):
        sa.join_session(actor=world.head, session=done)
    with pytest.raises(InvalidMove):
        advance(done, world.manager)


def test_every_change_raises_the_revision(world, ngt):
    before = ngt.revision
    advance(ngt, world.manager)
    sa.add_idea(actor=world.tech, session=ngt, text="A")
    ngt.refresh_from_db()
    assert ngt.revision == before + 2


def test_a_brainstorm_splits_into_subgroups_and_posts_ideas_at_once(world, problem):
    session = sa.start_session(actor=world.manager, problem=problem, method=Method.BRAINSTORM)
    sa.join_session(actor=world.tech, session=session)
    sa.join_session(actor=world.sales, session=session)
    advance(session, world.manager)  # sub-groups and rules
    with pytest.raises(InvalidMove):
        advance(session, world.manager)  # not split yet
    with pytest.raises(InvalidInput):
        sa.form_subgroups(actor=world.manager, session=session, count=4)  # more than members
    sa.form_subgroups(actor=world.manager, session=session, count=2)
    assert sorted(session.members.values_list("name", "subgroup")) == [
        ("manager", 1),
        ("sales", 1),
        ("tech", 2),
    ]
    late = sa.join_session(actor=world.head, session=session)
    assert late.subgroup == 2  # the smaller group
    advance(session, world.manager)  # brainstorm
    first = sa.add_idea(actor=world.tech, session=session, text="叫号屏")
    assert (first.number, first.subgroup) == (1, 2)  # on the board at once
    built = sa.add_idea(actor=world.sales, session=session, text="叫号短信", builds_on=first)
    assert built.builds_on_id == first.pk and built.subgroup == 1
    advance(session, world.manager)  # discussion
    with pytest.raises(InvalidMove):  # no criticism phase is over: no new ideas
        sa.add_idea(actor=world.tech, session=session, text="晚到的想法")
    advance(session, world.manager)  # selection
    ranking = sa.submit_ranking(actor=world.tech, session=session, idea_ids=[built.pk, first.pk])
    assert ranking.round == 1
    done = advance(session, world.manager)
    assert done.phase == Phase.DONE
    assert queries.session_tally(done, 1).winner.text == "叫号短信"


def test_a_closed_problem_takes_no_new_session(world, problem):
    Problem.objects.filter(pk=problem.pk).update(status=ProblemStatus.CLOSED)
    with pytest.raises(InvalidMove):
        sa.start_session(actor=world.manager, problem=problem, method=Method.NGT)
