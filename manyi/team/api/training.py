"""Training and certification (002 第七章) and the training evaluation (003 P-055/056) in the
API: courses, sessions, results, certificates, expiring licences, evaluations."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Schema, Status

from manyi.errors import InvalidInput, NotFound, OutOfScope
from manyi.org.scopes import Perm, scope_for
from manyi.team.actions import training as actions
from manyi.team.actions.common import today
from manyi.team.api import router
from manyi.team.models import Enrolment
from manyi.team.queries import training as queries
from manyi.team.views.common import unit_from


class CourseOut(Schema):
    id: int
    code: str
    name: str
    description: str
    theory_weight: int
    theory_pass: int
    practical_pass: int
    star_minimums: list[int] = Field(..., description="overall score for 2, 3, 4 and 5 stars")
    grants_licence: bool
    valid_months: int
    is_active: bool


class CourseIn(Schema):
    code: str = Field(..., max_length=20)
    name: str = Field(..., max_length=100)
    description: str = Field("", max_length=5000)
    theory_weight: int = Field(30, description="% of the overall score; practice has the rest")
    theory_pass: int = 60
    practical_pass: int = 60
    star_minimums: list[int] | None = Field(None, description="default 70, 80, 90, 95")
    grants_licence: bool = True
    valid_months: int = 24


class CoursePatch(Schema):
    code: str | None = Field(None, max_length=20)
    name: str | None = Field(None, max_length=100)
    description: str | None = Field(None, max_length=5000)
    theory_weight: int | None = None
    theory_pass: int | None = None
    practical_pass: int | None = None
    star_minimums: list[int] | None = None
    grants_licence: bool | None = None
    valid_months: int | None = None
    is_active: bool | None = None


class CertificateBrief(Schema):
    id: int
    number: str
    star_grade: int
    valid_until: dt.date


class EnrolmentOut(Schema):
    id: int
    staff_id: int
    name: str = Field(..., alias="staff.name")
    attended: bool | None
    theory_score: int | None
    practical_score: int | None
    overall: float | None
    passed: bool | None
    star_grade: int | None
    certificate: CertificateBrief | None = None


class SessionIn(Schema):
    unit_id: int = Field(..., ge=1, lt=2**63)
    starts_on: dt.date
    ends_on: dt.date | None = None
    place: str = Field("", max_length=100)
    trainer: str = Field("", max_length=50)
    participant_ids: list[int] = Field(default_factory=list, max_length=500)


class SessionOut(Schema):
    id: int
    course_id: int
    unit_id: int
    starts_on: dt.date
    ends_on: dt.date
    place: str
    trainer: str
    participants: list[EnrolmentOut]


class ParticipantsIn(Schema):
    staff_ids: list[int] = Field(..., min_length=1, max_length=500)


class ResultIn(Schema):
    enrolment_id: int = Field(..., ge=1, lt=2**63)
    attended: bool
    theory_score: int | None = Field(None, ge=0, le=100)
    practical_score: int | None = Field(None, ge=0, le=100)


class CertificateOut(Schema):
    id: int
    number: str
    staff_id: int
    holder: str = Field(..., alias="staff.name")
    course_id: int
    course: str = Field(..., alias="course.name")
    star_grade: int
    grants_licence: bool
    issued_on: dt.date
    valid_until: dt.date
    revoked_at: dt.datetime | None
    revoke_reason: str


class CertificatePage(Schema):
    items: list[CertificateOut]
    next_cursor: int | None


class CertificateQuery(Schema):
    state: str = Field("", pattern="^(|valid|expired|revoked)$")
    course_id: int | None = Field(None, ge=1, lt=2**63)
    cursor: int | None = Field(None, ge=1, lt=2**63)


class RevokeIn(Schema):
    reason: str = Field(..., max_length=200)


class EvaluationIn(Schema):
    answers: dict[str, Any] = Field(..., description="{item code: 1–5}")
    session_id: int | None = Field(None, ge=1, lt=2**63)
    version_id: int | None = None


class EvaluationOut(Schema):
    id: int
    course_id: int
    session_id: int | None
    total: float | None
    max_total: float | None
    index: float | None
    band: str = Field(..., description="the grade the total reaches (003 P-056)")
    created_at: dt.datetime


class SummaryOut(Schema):
    count: int
    mean_total: float | None
    bands: dict[str, int]
    improve_now: list[str] = Field(..., description="items averaging 2 or less (003 P-054)")


def _read_scope(request: HttpRequest):
    scope = scope_for(request.user)
    if not queries.can_read(scope):
        raise OutOfScope()
    return scope


def _session_out(session) -> dict[str, Any]:
    return {
        "id": session.pk,
        "course_id": session.course_id,
        "unit_id": session.unit_id,
        "starts_on": session.starts_on,
        "ends_on": session.ends_on,
        "place": session.place,
        "trainer": session.trainer,
        "participants": [_enrolment_out(e) for e in queries.enrolments_of(session)],
    }


def _enrolment_out(enrolment: Enrolment) -> Enrolment:
    enrolment.certificate = getattr(enrolment, "certificate", None)
    return enrolment


def _renamed(exc: InvalidInput, names: dict[str, str]) -> InvalidInput:
    return InvalidInput(exc.message, errors=[(names.get(f, f), m) for f, m in exc.field_errors()])


@router.get("/courses", response=list[CourseOut], summary="Training courses")
def list_courses(request: HttpRequest):
    return queries.courses(_read_scope(request))


@router.post("/courses", response={201: CourseOut}, summary="Add a course")
def create_course(request: HttpRequest, body: CourseIn):
    return Status(201, actions.create_course(actor=request.user, data=body.dict()))


@router.get("/courses/{course_id}", response=CourseOut)
def get_course(request: HttpRequest, course_id: int):
    return queries.get_course(_read_scope(request), course_id)


@router.patch("/courses/{course_id}", response=CourseOut)
def update_course(request: HttpRequest, course_id: int, body: CoursePatch):
    data = body.dict(exclude_unset=True)
    return actions.update_course(actor=request.user, course=course_id, data=data)


@router.post(
    "/courses/{course_id}/sessions", response={201: SessionOut}, summary="Schedule a session"
)
def schedule_session(request: HttpRequest, course_id: int, body: SessionIn):
    scope = actions.training_scope(request.user)
    unit = unit_from(scope, body.unit_id)
    if unit is None:
        raise InvalidInput(NotFound.default_message, field="unit_id")
    try:
        session = actions.schedule_session(
            actor=request.user,
            course=course_id,
            unit=unit,
            starts_on=body.starts_on,
            ends_on=body.ends_on,
            place=body.place,
            trainer=body.trainer,
            participants=body.participant_ids,
        )
    except InvalidInput as exc:
        raise _renamed(exc, {"participants": "participant_ids"}) from None
    return Status(201, _session_out(queries.get_session(scope, session.pk)))


@router.get("/training-sessions/{session_id}", response=SessionOut)
def get_session(request: HttpRequest, session_id: int):
    return _session_out(queries.get_session(_read_scope(request), session_id))


@router.post("/training-sessions/{session_id}/participants", response=SessionOut)
def add_participants(request: HttpRequest, session_id: int, body: ParticipantsIn):
    try:
        actions.add_participants(
            actor=request.user, session=session_id, participants=body.staff_ids
        )
    except InvalidInput as exc:
        raise _renamed(exc, {"participants": "staff_ids"}) from None
    return _session_out(queries.get_session(scope_for(request.user), session_id))


@router.post(
    "/training-sessions/{session_id}/results",
    response=EnrolmentOut,
    summary="Record a participant's exam",
)
def record_result(request: HttpRequest, session_id: int, body: ResultIn):
    """Attendance, theory and practical scores (0–100). A pass issues the star grade
    certificate and, for a licence course, the work licence."""
    scope = actions.training_scope(request.user)
    session = queries.get_session(scope, session_id)
    enrolment = Enrolment.objects.filter(pk=body.enrolment_id, session=session).first()
    if enrolment is None:
        raise InvalidInput(NotFound.default_message, field="enrolment_id")
    actions.record_result(
        actor=request.user,
        enrolment=enrolment,
        attended=body.attended,
        theory_score=body.theory_score,
        practical_score=body.practical_score,
    )
    return _enrolment_out(
        Enrolment.objects.select_related("staff", "certificate").get(pk=enrolment.pk)
    )


@router.get("/certificates", response=CertificatePage, summary="Star grade certificates")
def list_certificates(request: HttpRequest, params: Query[CertificateQuery]):
    """Certificates of the staff in your subtree (yours always), newest first."""
    page = queries.certificate_list(
        scope_for(request.user),
        state=params.state,
        course=params.course_id,
        on=today(),
        after=params.cursor,
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/certificates/{certificate_id}", response=CertificateOut)
def get_certificate(request: HttpRequest, certificate_id: int):
    return queries.get_certificate(scope_for(request.user), certificate_id)


@router.post("/certificates/{certificate_id}/revoke", response=CertificateOut)
def revoke_certificate(request: HttpRequest, certificate_id: int, body: RevokeIn):
    actions.revoke_certificate(actor=request.user, certificate=certificate_id, reason=body.reason)
    return queries.get_certificate(scope_for(request.user), certificate_id)


@router.get(
    "/licences/expiring", response=list[CertificateOut], summary="Licences ending in 30 days"
)
def expiring_licences(request: HttpRequest):
    return queries.expiring_licences(scope_for(request.user), today())


@router.post(
    "/courses/{course_id}/evaluations",
    response={201: EvaluationOut},
    summary="Evaluate a training programme (003 P-055/056)",
)
def evaluate(request: HttpRequest, course_id: int, body: EvaluationIn):
    evaluation = actions.evaluate_training(
        actor=request.user,
        course=course_id,
        session=body.session_id,
        answers=body.answers,
        version=body.version_id,
    )
    return Status(201, evaluation)


@router.get("/courses/{course_id}/evaluation-summary", response=SummaryOut)
def evaluation_summary(request: HttpRequest, course_id: int):
    course = queries.get_course(_read_scope(request), course_id)
    summary = queries.evaluation_summary(course)
    return {
        "count": summary.count,
        "mean_total": summary.mean_total,
        "bands": dict(summary.bands),
        "improve_now": [text for _n, text, _m in summary.low_items],
    }


@router.get("/training-evaluations/{evaluation_id}", response=EvaluationOut)
def get_evaluation(request: HttpRequest, evaluation_id: int):
    scope = scope_for(request.user)
    if scope.staff_id is None and not scope.can(Perm.MANAGE_TEAM):
        raise NotFound()
    return queries.get_evaluation(scope, evaluation_id)
