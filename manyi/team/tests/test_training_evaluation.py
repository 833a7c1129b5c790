"""The training evaluation (003 P-055/056): 20 items 5–1, the total gives the grade."""

import datetime as dt

import pytest

from conftest import assert_problem, auth, send
from manyi.errors import InvalidInput, OutOfScope
from manyi.team.actions import training
from manyi.team.models import TrainingEvaluation
from manyi.team.queries import training as queries

ITEMS = [f"q{n}" for n in range(1, 21)]


def answers(*values):
    """20 answers: the values given, the last one repeated to the end."""
    values = list(values) + [values[-1]] * (20 - len(values))
    return dict(zip(ITEMS, values, strict=True))


@pytest.fixture
def course(world):
    return training.create_course(actor=world.head, data={"code": "svc", "name": "顾客服务技能"})


@pytest.mark.parametrize(
    ("values", "total", "band"),
    [
        ((5,), 100, "优秀"),
        ((5,) * 10 + (4,), 90, "优秀"),  # 50 + 40: on the line
        ((5,) * 9 + (4,), 89, "良好"),  # 45 + 44
        ((4,) * 15 + (3,), 75, "良好"),  # 60 + 15
        ((4,) * 14 + (3,), 74, "一般"),  # 56 + 18
        ((3,), 60, "一般"),
        ((3,) * 19 + (2,), 59, "需要改进"),
        ((1,), 20, "需要改进"),
    ],
)
def test_the_total_gives_the_grade(world, course, values, total, band):
    evaluation = training.evaluate_training(
        actor=world.head, course=course, answers=answers(*values)
    )
    assert (evaluation.total, evaluation.max_total, evaluation.band) == (total, 100, band)


def test_items_averaging_two_or_less_are_to_improve_now(world, course):
    training.evaluate_training(actor=world.head, course=course, answers=answers(2, 1, 5))
    training.evaluate_training(actor=world.manager, course=course, answers=answers(3, 3, 5))
    summary = queries.evaluation_summary(course)
    # q1: (2 + 3) / 2 = 2.5 — not low; q2: (1 + 3) / 2 = 2.0 — low.
    assert [(n, mean) for n, _text, mean in summary.low_items] == [(2, 2.0)]
    assert summary.count == 2
    # Totals: 2 + 1 + 18 × 5 = 93 and 3 + 3 + 90 = 96.
    assert summary.mean_total == pytest.approx(94.5)
    assert dict(summary.bands) == {"优秀": 2}


def test_every_item_must_be_answered_in_range(world, course):
    bad = answers(5)
    bad["q7"] = 6
    del bad["q20"]
    with pytest.raises(InvalidInput) as exc:
        training.evaluate_training(actor=world.head, course=course, answers=bad)
    assert {f for f, _m in exc.value.field_errors()} == {"q7", "q20"}
    assert not TrainingEvaluation.objects.exists()


def test_participants_and_managers_evaluate_others_do_not(world, course):
    session = training.schedule_session(
        actor=world.head, course=course, unit=world.east1, starts_on=dt.date(2026, 11, 2),
        participants=[world.tech.staff],
    )  # fmt: skip
    training.evaluate_training(actor=world.tech, course=course, session=session, answers=answers(4))
    with pytest.raises(OutOfScope):
        training.evaluate_training(actor=world.sales, course=course, answers=answers(4))
    with pytest.raises(OutOfScope):
        training.evaluate_training(
            actor=world.sales, course=course, session=session, answers=answers(4)
        )
    other = training.create_course(actor=world.head, data={"code": "o", "name": "其他"})
    with pytest.raises(InvalidInput):
        training.evaluate_training(
            actor=world.head, course=other, session=session, answers=answers(4)
        )


def test_evaluation_through_the_api(client, world, course):
    response = send(
        client, "post", f"/api/v1/courses/{course.pk}/evaluations", auth(world.manager),
        {"answers": answers(4)},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["total"] == 80 and response.json()["band"] == "良好"
    summary = send(
        client, "get", f"/api/v1/courses/{course.pk}/evaluation-summary", auth(world.manager)
    ).json()
    assert summary == {"count": 1, "mean_total": 80.0, "bands": {"良好": 1}, "improve_now": []}
    bad = send(
        client, "post", f"/api/v1/courses/{course.pk}/evaluations", auth(world.manager),
        {"answers": {"q1": 9}},
    )  # fmt: skip
    assert_problem(bad, 422)
    outsider = send(
        client, "post", f"/api/v1/courses/{course.pk}/evaluations", auth(world.other_head),
        {"answers": answers(4)},
    )  # fmt: skip
    assert_problem(outsider, 404)
