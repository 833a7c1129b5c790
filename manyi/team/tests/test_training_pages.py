"""Training pages: a course, a session, results recorded row by row (htmx), certificates,
expiring licences, the evaluation form; refusals for the wrong role and outsiders."""

import datetime as dt

import pytest
import time_machine

from manyi.team.actions import training
from manyi.team.models import Certificate, Course, Enrolment, TrainingEvaluation

ITEMS = [f"q{n}" for n in range(1, 21)]


@pytest.fixture
def course(world):
    return training.create_course(actor=world.head, data={"code": "paint", "name": "涂装上岗"})


def test_a_course_a_session_and_results_through_the_pages(client, world):
    client.force_login(world.head)
    assert client.get("/team/training/").status_code == 200
    form = client.get("/team/courses/new/")
    assert form.status_code == 200
    created = client.post(
        "/team/courses/new/",
        {
            "code": "paint", "name": "涂装上岗", "theory_weight": 30, "theory_pass": 60,
            "practical_pass": 60, "star_2": 70, "star_3": 80, "star_4": 90, "star_5": 95,
            "valid_months": 24, "grants_licence": "on", "is_active": "on",
        },
    )  # fmt: skip
    assert created.status_code == 302, created.content
    course = Course.objects.get(code="paint")
    people = client.get(
        f"/team/courses/{course.pk}/sessions/new/?unit={world.east1.pk}", HTTP_HX_REQUEST="true"
    )
    assert b"session-participants" in people.content and b"tech" in people.content
    scheduled = client.post(
        f"/team/courses/{course.pk}/sessions/new/",
        {"unit": world.east1.pk, "starts_on": "2026-11-20", "participants": [world.tech.staff.pk]},
    )
    assert scheduled.status_code == 302, scheduled.content
    enrolment = Enrolment.objects.get()
    url = f"/team/sessions/{enrolment.session_id}/results/{enrolment.pk}/"
    prefix = f"e{enrolment.pk}"
    missing = client.post(
        url, {f"{prefix}-attended": "1", f"{prefix}-theory_score": "80"}, HTTP_HX_REQUEST="true"
    )
    assert missing.status_code == 422 and b"field-error" in missing.content
    done = client.post(
        url,
        {f"{prefix}-attended": "1", f"{prefix}-theory_score": "80",
         f"{prefix}-practical_score": "90"},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    assert done.status_code == 200 and b"JS-" in done.content
    certificate = Certificate.objects.get()
    page = client.get(f"/team/certificates/{certificate.pk}/")
    assert page.status_code == 200 and certificate.number in page.content.decode()
    revoked = client.post(f"/team/certificates/{certificate.pk}/", {"reason": "测试撤销"})
    assert revoked.status_code == 302
    certificate.refresh_from_db()
    assert certificate.revoked_at is not None


def test_lists_and_the_evaluation_form(client, world, course, django_assert_max_num_queries):
    with time_machine.travel(dt.datetime(2026, 11, 20, 2, tzinfo=dt.UTC)):
        session = training.schedule_session(
            actor=world.head, course=course, unit=world.east1, starts_on=dt.date(2026, 11, 20),
            participants=[world.tech.staff, world.sales.staff],
        )  # fmt: skip
        for enrolment in Enrolment.objects.filter(session=session):
            training.record_result(
                actor=world.head, enrolment=enrolment, attended=True, theory_score=85,
                practical_score=85,
            )  # fmt: skip
    client.force_login(world.manager)
    with django_assert_max_num_queries(12):
        assert client.get("/team/certificates/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(f"/team/sessions/{session.pk}/").status_code == 200
    assert client.get("/team/licences/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(f"/team/courses/{course.pk}/").status_code == 200
    # A participant evaluates the training they took.
    client.force_login(world.tech)
    form = client.get(f"/team/courses/{course.pk}/evaluate/")
    assert form.status_code == 200 and b'name="q20"' in form.content
    posted = client.post(
        f"/team/courses/{course.pk}/evaluate/",
        {"session": session.pk, **dict.fromkeys(ITEMS, "4")},
    )
    assert posted.status_code == 302
    evaluation = TrainingEvaluation.objects.get()
    assert (evaluation.total, evaluation.band, evaluation.session_id) == (80, "良好", session.pk)
    page = client.get(f"/team/evaluations/{evaluation.pk}/")
    assert page.status_code == 200 and "良好" in page.content.decode()
    bad = client.post(f"/team/courses/{course.pk}/evaluate/", {"session": session.pk, "q1": "4"})
    assert bad.status_code == 400
    # The technician sees their own certificate only, and no course pages.
    mine = client.get("/team/certificates/").content.decode()
    assert "tech" in mine and "sales" not in mine
    assert client.get(f"/team/courses/{course.pk}/").status_code == 403


def test_wrong_roles_and_outsiders_are_refused(client, world, course):
    session = training.schedule_session(
        actor=world.head, course=course, unit=world.east1, starts_on=dt.date(2026, 11, 20)
    )
    client.force_login(world.manager)  # manages a team, but does not run training
    assert client.get("/team/courses/new/").status_code == 403
    assert client.get(f"/team/courses/{course.pk}/sessions/new/").status_code == 403
    client.force_login(world.south_manager)
    assert client.get(f"/team/sessions/{session.pk}/").status_code == 404
    client.force_login(world.sales)
    assert client.get("/team/training/").status_code == 403
    assert client.get(f"/team/courses/{course.pk}/evaluate/").status_code == 403
    client.force_login(world.other_head)
    assert client.get(f"/team/courses/{course.pk}/").status_code == 404
    client.force_login(world.outsider)
    assert client.get("/team/training/").status_code == 403
    assert client.get("/team/").status_code == 200
