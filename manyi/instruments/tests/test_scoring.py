"""Scoring on hand-computed examples: every figure below is worked out in the comment above it."""

import pytest

from manyi.instruments.definition import FORMAT, Definition, clean_content
from manyi.instruments.scoring import (
    DETRACTOR,
    PASSIVE,
    PROMOTER,
    answer_rows,
    band_for,
    csat,
    factor_rows,
    is_top2,
    item_score,
    nps,
    nps_category,
    rank,
    score,
)


def build(sections, factors=(), **extra) -> Definition:
    content = {
        "format": FORMAT,
        "code": "t",
        "name": "测试",
        "kind": "survey",
        "factors": list(factors),
        "sections": [{"title": "", "items": items} for items in sections],
        **extra,
    }
    return Definition.from_content(clean_content(content))


def scale(code, factor=None, weight=1, points=5, **kw):
    return {"code": code, "type": "scale", "text": code, "points": points, "factor": factor,
            "weight": weight, **kw}  # fmt: skip


def item(definition, code):
    return definition.item(code)


# -- one item at a time -----------------------------------------------------------------------


def test_scale_nps_yes_no_and_audit_normalise_to_0_100():
    d = build(
        [
            [
                scale("s5"),
                scale("s10", points=10),
                scale("csas", points=6, start=0),
                {"code": "n", "type": "nps", "text": "n"},
                {"code": "yn", "type": "yes_no", "text": "yn"},
                {"code": "wait", "type": "yes_no", "text": "wait", "reverse": True},
                {"code": "a", "type": "audit", "text": "a"},
            ]
        ]
    )
    # 5 points: (v-1)/(5-1)*100 → 1:0, 2:25, 4:75, 5:100
    assert [item_score(item(d, "s5"), v) for v in (1, 2, 4, 5)] == [0, 25, 75, 100]
    # 10 points: (7-1)/9*100 = 66.666…
    assert item_score(item(d, "s10"), 7) == pytest.approx(66.6667, abs=1e-4)
    # CSAS 5…0 (six points from 0): 4/5*100 = 80
    assert item_score(item(d, "csas"), 4) == 80
    # NPS: v*10
    assert item_score(item(d, "n"), 7) == 70
    assert item_score(item(d, "yn"), True) == 100 and item_score(item(d, "yn"), False) == 0
    # Reverse: "did you have to wait?" — yes is bad.
    assert item_score(item(d, "wait"), True) == 0
    assert [item_score(item(d, "a"), v) for v in ("met", "partly", "not_met")] == [100, 50, 0]
    assert item_score(item(d, "a"), "na") is None


def test_choices_score_by_option_and_numbers_only_when_declared():
    d = build(
        [
            [
                {
                    "code": "one",
                    "type": "single",
                    "text": "one",
                    "options": [
                        {"value": "a", "label": "A", "score": 5},
                        {"value": "b", "label": "B", "score": 3},
                        {"value": "c", "label": "C", "score": 1},
                        {"value": "x", "label": "其他", "score": None},
                    ],
                },
                {
                    "code": "many",
                    "type": "multiple",
                    "text": "many",
                    "options": [
                        {"value": "p", "label": "P", "score": 2},
                        {"value": "q", "label": "Q", "score": 2},
                        {"value": "r", "label": "R", "score": -1},
                    ],
                },
                {
                    "code": "wait",
                    "type": "number",
                    "text": "w",
                    "scored": True,
                    "min": 0,
                    "max": 60,
                    "reverse": True,
                },  # fmt: skip
                {"code": "age", "type": "number", "text": "age"},
                {"code": "note", "type": "text", "text": "note"},
            ]
        ]
    )
    # Single: (score - 1) / (5 - 1) * 100 → b: 50; an option without a score: unscored.
    assert item_score(item(d, "one"), "b") == 50
    assert item_score(item(d, "one"), "x") is None
    # Multiple: range -1 … 4; p+r = 1 → (1 - -1)/(4 - -1)*100 = 40
    assert item_score(item(d, "many"), ["p", "r"]) == 40
    assert item_score(item(d, "many"), ["p", "q"]) == 100
    # Number 0…60 reversed: 15 minutes → 100 - 25 = 75; beyond the range is clipped.
    assert item_score(item(d, "wait"), 15) == 75
    assert item_score(item(d, "wait"), 90) == 0
    # Undeclared numbers and free text are not scored.
    assert item_score(item(d, "age"), 40) is None
    assert item_score(item(d, "note"), "很好") is None


# -- factors and the index ----------------------------------------------------------------------


CSI_LIKE = [
    {"code": "F1", "name": "服务启动", "weight": 15},
    {"code": "F2", "name": "服务质量", "weight": 35},
    {"code": "F3", "name": "交车", "weight": 50},
]


def csi_like():
    return build(
        [
            [scale("a1", "F1"), scale("a2", "F1", weight=3)],
            [scale("b1", "F2"), scale("b2", "F2")],
            [scale("c1", "F3")],
        ],
        factors=CSI_LIKE,
    )


def test_factor_scores_are_weighted_means_and_the_index_weights_factors():
    d = csi_like()
    r = score(d, {"a1": 5, "a2": 3, "b1": 4, "b2": 2, "c1": 1})
    # F1: items 100 (w1) and 50 (w3) → (100 + 150) / 4 = 62.5
    # F2: 75 and 25 → 50;  F3: 0
    assert r.factors == {"F1": 62.5, "F2": 50.0, "F3": 0.0}
    # Index: (62.5*15 + 50*35 + 0*50) / 100 = (937.5 + 1750) / 100 = 26.875
    assert r.index == pytest.approx(26.875)
    # Raw points 5+3+4+2+1 = 15 of 25.
    assert (r.total, r.max_total) == (15, 25)


def test_missing_answers_are_skipped_and_the_rest_reweighted():
    d = csi_like()
    r = score(d, {"a1": 5, "b1": 4, "b2": 2})
    # F1 from a1 alone: 100; F2: 50; F3 has nothing → no score, and the index re-weights
    # over F1 and F2: (100*15 + 50*35) / 50 = (1500 + 1750) / 50 = 65
    assert r.factors == {"F1": 100.0, "F2": 50.0}
    assert r.index == pytest.approx(65.0)
    assert r.missing == {"a2", "c1"}
    assert (r.total, r.max_total) == (11, 15)


def test_the_zero_rule_counts_missing_answers_as_the_lowest_score():
    d = build(
        [[scale("a1", "F1"), scale("a2", "F1", weight=3)], [scale("c1", "F3")]],
        factors=[{"code": "F1", "name": "一", "weight": 1}, {"code": "F3", "name": "三"}],
        missing_rule="zero",
    )
    r = score(d, {"a1": 5})
    # F1: (100*1 + 0*3) / 4 = 25; F3: 0 → index (25 + 0) / 2 = 12.5; points 5 + 1 + 1 of 15.
    assert r.factors == {"F1": 25.0, "F3": 0.0}
    assert r.index == 12.5
    assert (r.total, r.max_total) == (7, 15)


def test_not_applicable_answers_count_nowhere():
    d = build(
        [
            [
                {"code": "s1", "type": "audit", "text": "s1", "weight": 3},
                {"code": "s2", "type": "audit", "text": "s2", "weight": 1},
                {"code": "s3", "type": "audit", "text": "s3", "weight": 2},
            ]
        ],
        missing_rule="zero",
    )
    r = score(d, {"s1": "partly", "s2": "met", "s3": "na"})
    # No factors: weighted mean of items. (50*3 + 100*1) / 4 = 62.5; s3 left out even under
    # the zero rule (not applicable is not missing). Points 0.5 + 1 of 2.
    assert r.index == 62.5
    assert r.not_applicable == {"s3"}
    assert (r.total, r.max_total) == (1.5, 2)


def test_hidden_items_are_skipped_whatever_was_sent():
    d = build(
        [
            [
                scale("overall", "F1"),
                scale("why", "F1", show_if={"item": "overall", "op": "<=", "value": 2}),
                {
                    "code": "fix",
                    "type": "yes_no",
                    "text": "fix",
                    "factor": "F1",
                    "show_if": {"item": "why", "op": "answered"},
                },
            ]
        ],
        factors=[{"code": "F1", "name": "一"}],
    )
    # overall = 4 hides "why", and so "fix" (its source is hidden): only 75 counts.
    r = score(d, {"overall": 4, "why": 1, "fix": False})
    assert r.hidden == {"why", "fix"}
    assert r.index == 75
    # overall = 2 shows "why"; "why" answered shows "fix": (25 + 0 + 0) / 3
    r = score(d, {"overall": 2, "why": 1, "fix": False})
    assert r.hidden == set()
    assert r.index == pytest.approx(25 / 3)


def test_importance_factors_do_not_count_in_the_index():
    d = build(
        [[scale("p1", "perf"), scale("i1", "imp")]],
        factors=[
            {"code": "perf", "name": "表现", "weight": 1},
            {"code": "imp", "name": "重要性", "weight": 1, "importance_of": "perf"},
        ],
    )
    r = score(d, {"p1": 2, "i1": 5})
    assert r.factors == {"perf": 25.0, "imp": 100.0}
    assert r.index == 25.0
    assert (r.total, r.max_total) == (2, 5)


def test_an_empty_response_has_no_index():
    r = score(csi_like(), {})
    assert r.index is None and r.total is None and r.factors == {}


# -- strengths, weaknesses, grades ------------------------------------------------------------


def test_strengths_and_weaknesses_are_the_best_and_worst():
    d = csi_like()
    r = score(d, {"a1": 5, "a2": 3, "b1": 4, "b2": 2, "c1": 1})
    # Items: a1 100, b1 75, a2 50, b2 25, c1 0 → two each (half of five, rounded down).
    assert r.strengths == ["a1", "b1"]
    assert r.weaknesses == ["c1", "b2"]
    assert r.strong_factors == ["F1"] and r.weak_factors == ["F3"]
    assert rank({"x": 1}) == ([], [])
    assert rank({"a": 3, "b": 3, "c": 1, "d": 0}, n=1) == (["a"], ["d"])


LABELS = ["从不", "勉强", "一般", "相当好", "极好"]


def test_training_evaluation_grade_reads_the_total():
    # 003 P-055/056: 20 items scored 5…1, the total gives the grade.
    bands = [{"min": 80, "label": "优"}, {"min": 60, "label": "良"}, {"min": 0, "label": "差"}]
    d = build(
        [[scale(f"t{i}", point_labels=LABELS) for i in range(20)]],
        bands=bands,
        band_basis="total",
    )
    answers = {f"t{i}": 4 for i in range(20)}
    r = score(d, answers)
    # 20 × 4 = 80 of 100 → 优; index (4-1)/4*100 = 75.
    assert (r.total, r.max_total, r.band) == (80, 100, "优")
    assert r.index == 75
    answers["t0"] = 3
    assert score(d, answers).band == "良"
    assert band_for(None, [(0, "差")]) is None
    assert band_for(-1, [(0, "差")]) is None


# -- NPS and CSAT -----------------------------------------------------------------------------


def test_nps_categories_and_score():
    assert [nps_category(v) for v in (0, 6, 7, 8, 9, 10)] == [
        DETRACTOR,
        DETRACTOR,
        PASSIVE,
        PASSIVE,
        PROMOTER,
        PROMOTER,
    ]
    assert nps_category(None) is None
    # 5 promoters, 3 passives, 2 detractors: (5 - 2) / 10 = 30
    assert nps(5, 3, 2) == 30
    assert nps(0, 0, 0) is None


def test_csat_top_two_box():
    assert [is_top2(v) for v in (1, 2, 3, 4, 5)] == [False, False, False, True, True]
    assert is_top2(9, points=10) and not is_top2(8, points=10)
    assert is_top2(None) is False
    # 7 of 8 in the top two boxes: 87.5 %
    assert csat(7, 8) == 87.5
    assert csat(0, 0) is None


# -- rows for the response tables ---------------------------------------------------------------


def test_rows_carry_the_ids_of_the_frozen_version():
    content = clean_content(
        {
            "format": FORMAT,
            "code": "t",
            "name": "t",
            "kind": "survey",
            "factors": [{"code": "F1", "name": "一"}],
            "sections": [
                {
                    "items": [
                        scale("q1", "F1"),
                        {"code": "q2", "type": "text", "text": "意见", "required": False},
                        {
                            "code": "q3",
                            "type": "multiple",
                            "text": "q3",
                            "options": [
                                {"value": "a", "label": "A", "score": 1},
                                {"value": "b", "label": "B", "score": 1},
                            ],
                        },
                    ]
                }
            ],
        }
    )
    content["ids"] = {"items": {"q1": 11, "q2": 12, "q3": 13}, "factors": {"F1": 21}}
    d = Definition.from_content(content, version_id=5)
    answers = {"q1": 4, "q2": "很好", "q3": ["a", "b"]}
    r = score(d, answers)
    assert factor_rows(d, r) == [(21, 75.0)]
    rows = answer_rows(d, answers, r)
    fields = ("item_id", "number", "choice", "text", "score")
    assert [tuple(row[f] for f in fields) for row in rows] == [
        (11, 4.0, "", "", 75.0),
        (12, None, "", "很好", None),
        (13, None, "a,b", "", 100.0),
    ]  # fmt: skip
