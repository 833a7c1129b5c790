"""Training and certification (002 第七章): pass rules, star grades, certificates, and the work
licence that gates field assignment (持证上岗) — now set by certification only."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from conftest import assert_problem, auth, fresh_user, send
from manyi.cases import actions as cases
from manyi.errors import Conflict, InvalidInput, NotFound, OutOfScope
from manyi.notify.models import Notification
from manyi.org.models import AuditEntry, Staff
from manyi.team.actions import training
from manyi.team.models import Certificate, Course, Enrolment
from manyi.team.queries import training as queries

SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return dt.datetime(*args, tzinfo=SH)


@pytest.fixture
def course(world):
    return training.create_course(
        actor=world.head,
        data={"code": "paint-1", "name": "涂装技术服务员上岗培训", "valid_months": 12},
    )


def certify(world, course, staff, *, theory=80, practical=90, day=None):
    with time_machine.travel(day or at(2026, 11, 20, 10)):
        session = training.schedule_session(
            actor=world.head,
            course=course,
            unit=staff.unit,
            starts_on=dt.date(2026, 11, 18),
            ends_on=dt.date(2026, 11, 20),
            participants=[staff],
        )
        enrolment = Enrolment.objects.get(session=session, staff=staff)
        return training.record_result(
            actor=world.head,
            enrolment=enrolment,
            attended=True,
            theory_score=theory,
            practical_score=practical,
        )


# -- pass rules and star grades ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("theory", "practical", "overall", "passed", "stars"),
    [
        # 30% theory, 70% practice (002: practice first); 60/60 to pass; 70/80/90/95 for ★2–5.
        (80, 90, 87.0, True, 3),  # 24 + 63
        (60, 60, 60.0, True, 1),
        (100, 95, 96.5, True, 5),  # 30 + 66.5
        (70, 70, 70.0, True, 2),  # exactly on the ★★ line
        (59, 100, 87.7, False, None),  # theory below its pass mark
        (100, 50, 65.0, False, None),  # practice below its pass mark
    ],
)
def test_pass_rules_and_star_grades(course, theory, practical, overall, passed, stars):
    assert training.grade(course, True, theory, practical) == (
        pytest.approx(overall),
        passed,
        stars,
    )


def test_absence_is_no_pass(course):
    assert training.grade(course, False, None, None) == (None, False, None)


def test_course_rules_are_validated(world):
    for data, field in [
        ({"code": "", "name": "x"}, "code"),
        ({"code": "a b", "name": "x"}, "code"),
        ({"code": "a", "name": ""}, "name"),
        ({"code": "a", "name": "x", "theory_weight": 101}, "theory_weight"),
        ({"code": "a", "name": "x", "star_minimums": [90, 80, 95, 99]}, "star_minimums"),
        ({"code": "a", "name": "x", "valid_months": 0}, "valid_months"),
    ]:
        with pytest.raises(InvalidInput) as exc:
            training.create_course(actor=world.head, data=data)
        assert exc.value.field_errors()[0][0] == field, data
    assert not Course.objects.exists()


def test_only_the_company_runs_training(world, course):
    # An outlet manager manages their team but does not certify (由培训部统一进行).
    for user in (world.manager, world.tech, world.analyst, world.outsider):
        with pytest.raises(OutOfScope):
            training.create_course(actor=user, data={"code": "x", "name": "x"})
        with pytest.raises(OutOfScope):
            training.schedule_session(
                actor=user, course=course, unit=world.east1, starts_on=dt.date(2026, 11, 1)
            )
    with pytest.raises(NotFound):
        training.update_course(actor=world.other_head, course=course, data={"name": "x"})


# -- certificates and the licence ------------------------------------------------------------------


def test_a_pass_issues_the_certificate_and_the_licence(world, course):
    tech = world.tech.staff
    assert not tech.work_licence
    enrolment = certify(world, course, tech)
    assert (enrolment.passed, enrolment.star_grade, enrolment.overall) == (True, 3, 87.0)
    certificate = Certificate.objects.get()
    assert certificate.number == "JS-2026-000001"
    assert certificate.issued_on == dt.date(2026, 11, 20)
    assert certificate.valid_until == dt.date(2027, 11, 19)  # 12 months
    tech.refresh_from_db()
    assert tech.work_licence and tech.licence_expires_on == dt.date(2027, 11, 19)
    entry = AuditEntry.objects.get(object_type="org.staff", changes__has_key="work_licence")
    assert entry.changes["work_licence"] == [False, True]
    assert entry.changes["certificate"] == [None, "JS-2026-000001"]


def test_a_fail_issues_nothing(world, course):
    enrolment = certify(world, course, world.tech.staff, theory=40, practical=90)
    assert enrolment.passed is False and enrolment.star_grade is None
    assert not Certificate.objects.exists()
    assert not Staff.objects.get(pk=world.tech.staff.pk).work_licence


def test_a_result_with_a_certificate_cannot_change(world, course):
    enrolment = certify(world, course, world.tech.staff)
    with pytest.raises(Conflict):
        training.record_result(
            actor=world.head, enrolment=enrolment, attended=True, theory_score=10,
            practical_score=10,
        )  # fmt: skip
    with pytest.raises(InvalidInput):
        session = training.schedule_session(
            actor=world.head, course=course, unit=world.east1, starts_on=dt.date(2026, 11, 1),
            participants=[world.sales.staff],
        )  # fmt: skip
        training.record_result(
            actor=world.head,
            enrolment=Enrolment.objects.get(session=session),
            attended=True,
            theory_score=101,
            practical_score=80,
        )


def test_participants_come_from_the_sessions_unit(world, course):
    with pytest.raises(InvalidInput):
        training.schedule_session(
            actor=world.head, course=course, unit=world.east1, starts_on=dt.date(2026, 11, 1),
            participants=[world.south_manager.staff],
        )  # fmt: skip


def test_licence_expiry_gates_field_assignment(world, course, make_customer):
    from manyi.workorders import actions as workorders

    tech = world.tech.staff
    certify(world, course, tech)  # valid until 2027-11-19
    with time_machine.travel(at(2027, 11, 19, 15)):
        case = workorders.take_order(
            actor=world.sales, customer=make_customer(address_detail="漕溪北路88号")
        )
        case = cases.assign(actor=world.rep, case=case, assignee=tech, version=case.version)
        assert case.assignee_id == tech.pk
        other = workorders.take_order(
            actor=world.sales, customer=make_customer(address_detail="漕溪北路88号")
        )
    with time_machine.travel(at(2027, 11, 20, 9)):
        with pytest.raises(InvalidInput) as exc:
            cases.assign(actor=world.rep, case=other, assignee=tech, version=other.version)
        assert exc.value.field_errors()[0][0] == "assignee"
    # Retrained the next week: assignable again.
    certify(world, course, tech, day=at(2027, 11, 26, 10))
    with time_machine.travel(at(2027, 11, 26, 15)):
        other.refresh_from_db()
        cases.assign(actor=world.rep, case=other, assignee=tech, version=other.version)


def test_revoking_falls_back_to_the_other_certificate_or_clears_the_licence(world, course):
    tech = world.tech.staff
    certify(world, course, tech)
    second = training.create_course(
        actor=world.head, data={"code": "wood", "name": "木器漆", "valid_months": 6}
    )
    certify(world, second, tech, day=at(2026, 11, 21, 10))  # valid until 2027-05-20
    first, other = Certificate.objects.order_by("id")
    training.revoke_certificate(actor=world.head, certificate=first, reason="违反行为规范")
    tech.refresh_from_db()
    assert tech.work_licence and tech.licence_expires_on == dt.date(2027, 5, 20)
    with pytest.raises(Conflict):
        training.revoke_certificate(actor=world.head, certificate=first, reason="again")
    with pytest.raises(InvalidInput):
        training.revoke_certificate(actor=world.head, certificate=other, reason=" ")
    training.revoke_certificate(actor=world.head, certificate=other, reason="离职")
    tech.refresh_from_db()
    assert not tech.work_licence and tech.licence_expires_on is None
    assert not tech.has_valid_licence()


def test_the_licence_cannot_be_ticked_through_the_staff_api_or_admin(client, world):
    from django.contrib import admin

    tech = world.tech.staff
    body = {"work_licence": True, "licence_expires_on": "2030-01-01", "phone": "13900000000"}
    response = send(client, "patch", f"/api/v1/staff/{tech.pk}", auth(world.head), body)
    assert response.status_code == 200 and response.json()["work_licence"] is False
    tech.refresh_from_db()
    assert not tech.work_licence and tech.phone == "13900000000"
    assert {"work_licence", "licence_expires_on"} <= set(
        admin.site._registry[Staff].readonly_fields
    )


# -- expiring licences ---------------------------------------------------------------------------


def test_expiring_licences_are_listed_and_notified_once(world, course):
    tech = world.tech.staff
    certify(world, course, tech)  # valid until 2027-11-19
    certify(world, course, world.sales.staff)
    Certificate.objects.filter(staff=world.sales.staff).update(valid_until=dt.date(2028, 1, 1))
    Staff.objects.filter(pk=world.sales.staff.pk).update(licence_expires_on=dt.date(2028, 1, 1))
    head = fresh_user(world.head)
    day = dt.date(2027, 10, 25)  # 25 days before
    listed = queries.expiring_licences(queries_scope(head), day)
    assert [c.staff.name for c in listed] == ["tech"]
    assert queries.expiring_licences(queries_scope(head), dt.date(2027, 10, 19)) == []
    assert training.notify_expiring_licences(dt.date(2027, 10, 19)) == 0  # 31 days before
    assert training.notify_expiring_licences(day) == 1
    assert training.notify_expiring_licences(day) == 0
    told = set(Notification.objects.filter(kind="licence_expiring").values_list(
        "user__username", flat=True
    ))  # fmt: skip
    # The holder, their outlet's manager and the department head — not the south manager.
    assert told == {"tech", "manager", "head"}
    # The technician sees their own; the south manager sees none of east's.
    assert [c.staff.name for c in queries.expiring_licences(queries_scope(world.tech), day)] == [
        "tech"
    ]
    assert queries.expiring_licences(queries_scope(world.south_manager), day) == []


def test_a_renewed_licence_is_not_reported(world, course):
    tech = world.tech.staff
    certify(world, course, tech)
    certify(world, course, tech, day=at(2027, 10, 1, 10))  # renewed: valid until 2028-09-30
    assert queries.expiring_licences(queries_scope(world.head), dt.date(2027, 10, 25)) == []
    assert training.notify_expiring_licences(dt.date(2027, 10, 25)) == 0


def queries_scope(user):
    from manyi.org.scopes import scope_for

    return scope_for(fresh_user(user))


# -- API ---------------------------------------------------------------------------------------


def test_certification_through_the_api(client, world):
    head = auth(world.head)
    created = send(
        client, "post", "/api/v1/courses", head,
        {"code": "api", "name": "接口课程", "theory_weight": 40, "valid_months": 24},
    )  # fmt: skip
    assert created.status_code == 201, created.content
    course_id = created.json()["id"]
    session = send(
        client, "post", f"/api/v1/courses/{course_id}/sessions", head,
        {"unit_id": world.east1.pk, "starts_on": "2026-11-18", "ends_on": "2026-11-20",
         "participant_ids": [world.tech.staff.pk, world.sales.staff.pk]},
    )  # fmt: skip
    assert session.status_code == 201, session.content
    enrolments = session.json()["participants"]
    tech_row = next(e for e in enrolments if e["staff_id"] == world.tech.staff.pk)
    result = send(
        client, "post", f"/api/v1/training-sessions/{session.json()['id']}/results", head,
        {"enrolment_id": tech_row["id"], "attended": True, "theory_score": 90,
         "practical_score": 90},
    )  # fmt: skip
    assert result.status_code == 200, result.content
    row = result.json()
    assert row["passed"] and row["star_grade"] == 4 and row["certificate"]["number"]
    bad = send(
        client, "post", f"/api/v1/training-sessions/{session.json()['id']}/results", head,
        {"enrolment_id": tech_row["id"], "attended": True, "theory_score": 90},
    )  # fmt: skip
    assert_problem(bad, 409)
    mine = send(client, "get", "/api/v1/certificates", auth(world.tech)).json()
    assert [c["holder"] for c in mine["items"]] == ["tech"]
    assert (
        send(client, "get", "/api/v1/certificates", auth(world.south_manager)).json()["items"] == []
    )
    manager = send(
        client, "post", "/api/v1/courses", auth(world.manager), {"code": "m", "name": "m"}
    )
    assert_problem(manager, 403)
    assert_problem(send(client, "get", "/api/v1/courses", auth(world.outsider)), 403)


def test_the_periodic_task_sends_the_notice(world, course):
    from manyi.team.tasks import notify_expiring_licences

    certify(world, course, world.tech.staff)  # valid until 2027-11-19
    with time_machine.travel(at(2027, 11, 1, 9)):
        assert notify_expiring_licences.enqueue().return_value == 1
        assert notify_expiring_licences.enqueue().return_value == 0
    assert Notification.objects.filter(user=world.tech, kind="licence_expiring").count() == 1
