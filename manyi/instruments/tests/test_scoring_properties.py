"""Properties of scoring that must hold for any answers (hypothesis)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from manyi.instruments.builtin import templates
from manyi.instruments.definition import Definition, clean_content
from manyi.instruments.scoring import score

CSI = Definition.from_content(clean_content(templates()[0]))
SCALES = [item.code for item in CSI.items if item.type == "scale"]

answers = st.dictionaries(st.sampled_from(SCALES), st.integers(1, 5))


@settings(max_examples=200, deadline=None)
@given(answers)
def test_every_score_lies_between_0_and_100(answers):
    result = score(CSI, answers)
    assert all(0 <= s <= 100 for s in result.items.values())
    assert all(0 <= s <= 100 for s in result.factors.values())
    assert result.index is None or 0 <= result.index <= 100
    assert (result.index is None) == (not answers)


@settings(max_examples=100, deadline=None)
@given(answers, st.floats(0.1, 50))
def test_scaling_every_factor_weight_leaves_the_index_alone(answers, k):
    from dataclasses import replace

    scaled = replace(
        CSI, factors=tuple(replace(f, weight=f.weight * k) for f in CSI.factors), _by_code={}
    )
    a, b = score(CSI, answers).index, score(scaled, answers).index
    assert (a is None and b is None) or abs(a - b) < 1e-9


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(SCALES), st.integers(1, 5), min_size=1))
def test_all_fives_is_100_and_all_ones_is_0(answers):
    assert score(CSI, dict.fromkeys(answers, 5)).index == 100
    assert score(CSI, dict.fromkeys(answers, 1)).index == 0
