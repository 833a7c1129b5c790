"""The Borda count of a nominal-group vote: points, ties broken by first places then the
earliest idea, each break stated; and the same count from real rankings in the database."""

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from manyi.improvement import queries
from manyi.improvement import session_actions as sa
from manyi.improvement.tally import Score, borda_points, order_scores
from manyi.improvement.tests.conftest import advance


def test_borda_points_run_from_n_down_to_one():
    assert [borda_points(3, r) for r in (1, 2, 3)] == [3, 2, 1]
    assert borda_points(1, 1) == 1
    with pytest.raises(ValueError):
        borda_points(3, 4)


def test_ideas_are_ordered_by_points():
    tally = order_scores(
        [Score(1, 1, "a", 4, 1, 2), Score(2, 2, "b", 9, 3, 3), Score(3, 3, "c", 0, 0, 0)]
    )
    assert [r.number for r in tally.rows] == [2, 1, 3]
    assert [r.place for r in tally.rows] == [1, 2, 3]
    assert tally.winner.number == 2
    assert not tally.winner_by_tie_break
    assert tally.ties == []
    assert [r.share for r in tally.rows] == [100, 44, 0]


def test_a_tie_on_points_goes_to_more_first_places_and_is_stated():
    tally = order_scores([Score(1, 1, "a", 6, 1, 3), Score(2, 2, "b", 6, 2, 2)])
    assert [r.number for r in tally.rows] == [2, 1]
    second = tally.rows[1]
    assert second.tied_with == 2 and second.broken_by == "firsts"
    assert tally.winner_by_tie_break
    with translation.override("en"):
        assert str(second.note) == (
            "Tied with idea 2 on 6 points; idea 2 goes first with more first places (2 against 1)."
        )
    assert len(tally.ties) == 1


def test_a_full_tie_goes_to_the_earlier_idea_and_is_stated():
    tally = order_scores([Score(9, 5, "late", 4, 1, 2), Score(7, 3, "early", 4, 1, 2)])
    assert [r.number for r in tally.rows] == [3, 5]
    assert tally.rows[1].broken_by == "earliest"
    with translation.override("en"):
        assert "the earlier idea, 3, goes first" in str(tally.rows[1].note)
    with translation.override("zh-hans"):
        assert str(tally.rows[1].note) != ""


def test_ideas_nobody_ranked_are_not_called_tied():
    tally = order_scores([Score(1, 1, "a", 0), Score(2, 2, "b", 0)])
    assert tally.ties == [] and tally.winner is None


@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 5)), min_size=1, max_size=12))
def test_order_is_points_then_firsts_then_number(pairs):
    scores = [Score(i + 1, i + 1, str(i), p, f, 0) for i, (p, f) in enumerate(pairs)]
    rows = order_scores(scores).rows
    keys = [(-r.points, -r.firsts, r.number) for r in rows]
    assert keys == sorted(keys)
    assert sorted(r.number for r in rows) == list(range(1, len(pairs) + 1))
    for above, below in zip(rows, rows[1:], strict=False):
        tied = above.points == below.points and below.points > 0
        assert (below.tied_with == above.number) == tied
        if tied:
            expected = "firsts" if above.firsts != below.firsts else "earliest"
            assert below.broken_by == expected


def _to_vote(world, session, ideas_by_person):
    advance(session, world.manager)  # silent
    for person, texts in ideas_by_person:
        for text in texts:
            sa.add_idea(actor=person, session=session, text=text)
    advance(session, world.manager)  # recording
    sa.record_all_ideas(actor=world.manager, session=session)
    advance(session, world.manager)  # clarification
    advance(session, world.manager)  # first vote
    return {i.text: i.pk for i in queries.board_ideas(session)}


def test_tally_from_rankings_with_a_tie_broken_by_first_places(world, ngt):
    ids = _to_vote(world, ngt, [(world.manager, ["A", "B"]), (world.tech, ["C"])])
    # top 3 of 3 ideas: 3, 2, 1 points.
    sa.submit_ranking(actor=world.manager, session=ngt, idea_ids=[ids["A"], ids["B"], ids["C"]])
    sa.submit_ranking(actor=world.tech, session=ngt, idea_ids=[ids["B"], ids["C"], ids["A"]])
    sa.submit_ranking(actor=world.sales, session=ngt, idea_ids=[ids["C"], ids["A"], ids["B"]])
    # A: 3+1+2 = 6, B: 2+3+1 = 6, C: 1+2+3 = 6 — all tied, one first place each:
    # the earliest idea goes first (A #1, C #2 (recorded second), B #3).
    tally = queries.session_tally(ngt, 1)
    assert [(r.text, r.points, r.firsts) for r in tally.rows] == [
        ("A", 6, 1),
        ("C", 6, 1),
        ("B", 6, 1),
    ]
    assert [r.broken_by for r in tally.rows] == ["", "earliest", "earliest"]
    assert tally.rankings == 3 and len(tally.ties) == 2


def test_tally_counts_points_and_first_places_in_sql(world, ngt, django_assert_num_queries):
    ids = _to_vote(world, ngt, [(world.manager, ["A", "B"]), (world.tech, ["C", "D"])])
    sa.submit_ranking(actor=world.manager, session=ngt, idea_ids=[ids["A"], ids["B"], ids["C"]])
    sa.submit_ranking(actor=world.tech, session=ngt, idea_ids=[ids["B"], ids["A"], ids["D"]])
    with django_assert_num_queries(3):
        tally = queries.session_tally(ngt, 1)
    # A: 3+2 = 5 with 1 first; B: 2+3 = 5 with 1 first → earlier (A) first; C 1, D 1.
    assert [(r.text, r.points, r.firsts, r.voters) for r in tally.rows] == [
        ("A", 5, 1, 2),
        ("B", 5, 1, 2),
        ("C", 1, 0, 1),
        ("D", 1, 0, 1),
    ]
    # Round 2 is counted apart from round 1.
    assert queries.session_tally(ngt, 2).rankings == 0
