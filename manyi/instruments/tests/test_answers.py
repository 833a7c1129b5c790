"""Answers are validated against the version before anything is stored; errors name the item."""

import pytest
from django.http import QueryDict

from manyi.errors import InvalidInput, both_languages
from manyi.instruments.answers import answers_from_form, clean_answers
from manyi.instruments.definition import FORMAT, Definition, clean_content


@pytest.fixture
def definition():
    content = {
        "format": FORMAT,
        "code": "t",
        "name": "测试",
        "kind": "survey",
        "sections": [
            {
                "items": [
                    {"code": "overall", "type": "scale", "text": "总体满意度", "points": 5},
                    {
                        "code": "why",
                        "type": "text",
                        "text": "不满意的原因",
                        "show_if": {"item": "overall", "op": "<=", "value": 2},
                    },  # fmt: skip
                    {"code": "rec", "type": "nps", "text": "推荐可能性", "required": False},
                    {"code": "visit", "type": "yes_no", "text": "是否回访", "required": False},
                    {
                        "code": "pick",
                        "type": "multiple",
                        "text": "喜欢哪些",
                        "required": False,
                        "options": [
                            {"value": "a", "label": "态度", "score": 1},
                            {"value": "b", "label": "速度", "score": 1},
                        ],
                    },
                    {"code": "std", "type": "audit", "text": "30秒内问候", "required": False},
                    {
                        "code": "mins",
                        "type": "number",
                        "text": "等候分钟",
                        "min": 0,
                        "max": 600,
                        "required": False,
                        "allow_na": True,
                    },  # fmt: skip
                ]
            }
        ],
    }
    return Definition.from_content(clean_content(content))


def errors_of(exc_info):
    return {field: both_languages(message) for field, message in exc_info.value.errors}


def test_good_answers_come_back_in_canonical_shape(definition):
    cleaned = clean_answers(
        definition,
        {"overall": 2, "why": "  太慢\r\n了 ", "pick": ["b", "a"], "std": "na", "mins": 12.5},
    )
    expected = {"overall": 2, "why": "太慢\n了", "pick": ["a", "b"], "std": "na", "mins": 12.5}
    assert cleaned == expected


def test_every_bad_item_is_named(definition):
    with pytest.raises(InvalidInput) as exc_info:
        clean_answers(
            definition,
            {"rec": 11, "visit": "yes", "pick": ["a", "a"], "std": "ok", "mins": -1, "zzz": 1},
        )
    errors = errors_of(exc_info)
    assert set(errors) == {"zzz", "overall", "rec", "visit", "pick", "std", "mins"}
    assert errors["overall"]["zh"].startswith("第 1 题（总体满意度）")
    assert "Question 1" in errors["overall"]["en"]
    assert "0" in errors["rec"]["en"] and "10" in errors["rec"]["en"]
    assert "at least 0" in errors["mins"]["en"]


def test_types_are_strict(definition):
    for bad in (True, 2.5, "3", 6, 0):
        with pytest.raises(InvalidInput):
            clean_answers(definition, {"overall": bad})
    with pytest.raises(InvalidInput):
        clean_answers(definition, {"overall": 3, "mins": float("nan")})
    with pytest.raises(InvalidInput):
        clean_answers(definition, ["overall", 3])


def test_na_only_where_allowed(definition):
    with pytest.raises(InvalidInput) as exc_info:
        clean_answers(definition, {"overall": "na"})
    assert "overall" in errors_of(exc_info)
    assert clean_answers(definition, {"overall": 3, "mins": "na"}) == {"overall": 3, "mins": "na"}


def test_hidden_items_are_dropped_and_conditions_gate_required(definition):
    # overall 4 hides "why": its answer is dropped, and it is not required.
    assert clean_answers(definition, {"overall": 4, "why": "x"}) == {"overall": 4}
    # overall 1 shows "why", which is required.
    with pytest.raises(InvalidInput) as exc_info:
        clean_answers(definition, {"overall": 1})
    assert set(errors_of(exc_info)) == {"why"}


def test_partial_answers_skip_only_the_required_check(definition):
    assert clean_answers(definition, {}, partial=True) == {}
    with pytest.raises(InvalidInput):
        clean_answers(definition, {"rec": 12}, partial=True)


def test_a_form_post_is_parsed_then_validated(definition):
    data = QueryDict(mutable=True)
    data.update({"overall": "1", "why": "慢", "rec": "9", "visit": "no", "std": "met"})
    data.setlist("pick", ["a", "b"])
    data["mins"] = "3.0"
    answers = answers_from_form(definition, data)
    assert answers == {
        "overall": 1,
        "why": "慢",
        "rec": 9,
        "visit": False,
        "pick": ["a", "b"],
        "std": "met",
        "mins": 3,
    }
    assert clean_answers(definition, answers) == answers
    data["overall"] = "five"
    with pytest.raises(InvalidInput) as exc_info:
        clean_answers(definition, answers_from_form(definition, data))
    assert set(errors_of(exc_info)) == {"overall"}
