"""Training and certification (002 第七章) and the training evaluation (003 P-055/056).

Courses, sessions, participants and their exam results; a pass issues a technical star grade
certificate (技术星级证书) and — for a course that grants it — the work licence (上岗证, 持证上岗).
The licence on ``org.Staff`` (``work_licence``, ``licence_expires_on``) is kept here and only
here: :func:`sync_licence` recomputes it from the person's standing certificates in the same
transaction as the change that affects it, and audits the change on the staff record.

Training and certification are run by the company ("由培训部统一进行"): these writes need
MANAGE_TEAM with a company-wide scope (department head, administrator).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.errors import Conflict, InvalidInput, NotFound, OutOfScope
from manyi.instruments.models import InstrumentKind, InstrumentVersion
from manyi.org.actions import audit, diff
from manyi.org.models import AuditAction, Staff, Unit
from manyi.org.scopes import Perm, Scope, scope_for
from manyi.team.actions.common import pick_version, save_rows, scored, team_staff, today
from manyi.team.builtin import TRAINING_CODE
from manyi.team.models import (
    Certificate,
    CertificateCounter,
    Course,
    Enrolment,
    TrainingEvaluation,
    TrainingEvaluationAnswer,
    TrainingSession,
)

# Default star rules: an overall score of 70 / 80 / 90 / 95 for 2 / 3 / 4 / 5 stars; a pass
# is one star. 002 says the grade follows the exam ("根据考核成绩评定技术等级") but prints no
# scale: an assumption, editable per course.
DEFAULT_STAR_MINIMUMS = [70, 80, 90, 95]


def training_scope(actor) -> Scope:
    """The actor's scope, if they run training for the company; else OutOfScope."""
    scope = scope_for(actor)
    scope.require(Perm.MANAGE_TEAM)
    if not scope.is_company_wide:
        raise OutOfScope(_("Training and certification are run by the company."))
    return scope


# -- courses --------------------------------------------------------------------------------------


def _percent(data: Mapping[str, Any], key: str, default: int) -> int:
    value = data.get(key, default)
    if value is None or value == "":
        value = default
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise InvalidInput(_("Enter a whole number from 0 to 100."), field=key)
    return value


def clean_course(data: Mapping[str, Any], current: Course | None = None) -> dict[str, Any]:
    """Validate a course's fields (all present in the result)."""

    def get(key: str, default: Any) -> Any:
        return data.get(key, getattr(current, key, default) if current else default)

    code = str(get("code", "") or "").strip()
    if not code or len(code) > 20 or not all(c.isalnum() or c in "-_" for c in code):
        raise InvalidInput(_("Use 1–20 letters, digits, - or _."), field="code")
    name = str(get("name", "") or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput(_("Enter a name (at most 100 characters)."), field="name")
    merged = {
        key: get(key, default)
        for key, default in (
            ("theory_weight", 30),
            ("theory_pass", 60),
            ("practical_pass", 60),
        )
    }
    values: dict[str, Any] = {
        "code": code,
        "name": name,
        "description": str(get("description", "") or "").strip()[:5000],
        **{key: _percent(merged, key, 0) for key in merged},
        "grants_licence": bool(get("grants_licence", True)),
        "is_active": bool(get("is_active", True)),
    }
    months = get("valid_months", 24)
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 120:
        raise InvalidInput(_("Enter from 1 to 120 months."), field="valid_months")
    values["valid_months"] = months
    minimums = get("star_minimums", None) or DEFAULT_STAR_MINIMUMS
    if (
        not isinstance(minimums, list | tuple)
        or len(minimums) != 4
        or any(isinstance(m, bool) or not isinstance(m, int) or not 0 <= m <= 100 for m in minimums)
        or list(minimums) != sorted(set(minimums))
    ):
        raise InvalidInput(
            _("Give four rising scores from 0 to 100, for 2, 3, 4 and 5 stars."),
            field="star_minimums",
        )
    values["star_minimums"] = list(minimums)
    return values


@transaction.atomic
def create_course(*, actor, data: Mapping[str, Any]) -> Course:
    """Add a training programme with its pass rules."""
    scope = training_scope(actor)
    values = clean_course(data)
    if Course.objects.filter(company_id=scope.company_id, code=values["code"]).exists():
        raise InvalidInput(_("This code is already used by another course."), field="code")
    course = Course.objects.create(company_id=scope.company_id, created_at=clock.now(), **values)
    audit(actor=actor, action=AuditAction.CREATE, obj=course, company_id=course.company_id)
    return course


@transaction.atomic
def update_course(*, actor, course: Course | int, data: Mapping[str, Any]) -> Course:
    """Change a course; results already recorded keep the grades they were given."""
    scope = training_scope(actor)
    course = _course(scope, course, lock=True)
    values = clean_course(data, course)
    clash = Course.objects.filter(company_id=course.company_id, code=values["code"])
    if clash.exclude(pk=course.pk).exists():
        raise InvalidInput(_("This code is already used by another course."), field="code")
    changes = diff(course, values)
    if changes:
        for field, value in values.items():
            setattr(course, field, value)
        course.save(update_fields=list(values))
        audit(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=course,
            company_id=course.company_id,
            changes=changes,
        )
    return course


def _course(scope: Scope, course: Course | int, *, lock: bool = False) -> Course:
    pk = course.pk if isinstance(course, Course) else course
    qs = Course.objects.filter(company_id=scope.company_id)
    if lock:
        qs = qs.select_for_update()
    try:
        return qs.get(pk=pk)
    except (Course.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc


# -- sessions and participants ----------------------------------------------------------------


@transaction.atomic
def schedule_session(
    *,
    actor,
    course: Course | int,
    unit: Unit,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    place: str = "",
    trainer: str = "",
    participants: Iterable[Staff | int] = (),
) -> TrainingSession:
    """Plan a run of a course for the staff of a unit, with its first participants."""
    scope = training_scope(actor)
    course = _course(scope, course)
    if not course.is_active:
        raise InvalidInput(_("This course is no longer offered."), field="course")
    scope.require_unit(unit, Perm.MANAGE_TEAM)
    ends_on = ends_on or starts_on
    if ends_on < starts_on:
        raise InvalidInput(_("The last day is before the first."), field="ends_on")
    session = TrainingSession.objects.create(
        company_id=course.company_id,
        course=course,
        unit=unit,
        starts_on=starts_on,
        ends_on=ends_on,
        place=(place or "").strip()[:100],
        trainer=(trainer or "").strip()[:50],
        created_by=actor,
        created_at=clock.now(),
    )
    audit(actor=actor, action=AuditAction.CREATE, obj=session, company_id=session.company_id)
    if participants:
        _add(scope, actor, session, participants)
    return session


@transaction.atomic
def add_participants(
    *, actor, session: TrainingSession | int, participants: Iterable[Staff | int]
) -> list[Enrolment]:
    """Enrol staff of the session's unit (people already enrolled are left as they are)."""
    scope = training_scope(actor)
    return _add(scope, actor, _session(scope, session), participants)


def _add(scope: Scope, actor, session: TrainingSession, participants) -> list[Enrolment]:
    ids = {p.pk if isinstance(p, Staff) else p for p in participants}
    staff = list(team_staff(scope, session.unit).filter(pk__in=ids))
    if len(staff) != len(ids):
        raise InvalidInput(
            _("Choose participants among the active staff of the session's unit."),
            field="participants",
        )
    existing = set(
        Enrolment.objects.filter(session=session, staff_id__in=ids).values_list(
            "staff_id", flat=True
        )
    )
    new = [Enrolment(session=session, staff=s) for s in staff if s.pk not in existing]
    Enrolment.objects.bulk_create(new)
    if new:
        audit(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=session,
            company_id=session.company_id,
            changes={"participants": [None, ", ".join(e.staff.name for e in new)]},
        )
    return new


def _session(scope: Scope, session: TrainingSession | int) -> TrainingSession:
    pk = session.pk if isinstance(session, TrainingSession) else session
    try:
        return TrainingSession.objects.select_related("course", "unit").get(
            pk=pk, company_id=scope.company_id
        )
    except (TrainingSession.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc


# -- results, certificates, the licence ------------------------------------------------------


def grade(
    course: Course, attended: bool, theory: int | None, practical: int | None
) -> tuple[float | None, bool, int | None]:
    """(overall, passed, star grade) of an exam under the course's rules.

    Overall = theory × theory weight + practical × (100 − theory weight), in %. A pass needs
    attendance and both pass marks (002: "考核分理论考核与实操考核两部分"); the star grade is 1
    plus one for each of the course's four minimums the overall score reaches.
    """
    if not attended or theory is None or practical is None:
        return None, False, None
    overall = (theory * course.theory_weight + practical * (100 - course.theory_weight)) / 100
    passed = theory >= course.theory_pass and practical >= course.practical_pass
    if not passed:
        return overall, False, None
    minimums = course.star_minimums or DEFAULT_STAR_MINIMUMS
    return overall, True, 1 + sum(1 for m in minimums if overall >= m - 1e-9)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole months (the 31st becomes the month's last day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _score(value: Any, field: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise InvalidInput(_("Enter a whole number from 0 to 100."), field=field)
    return value


@transaction.atomic
def record_result(
    *,
    actor,
    enrolment: Enrolment | int,
    attended: bool,
    theory_score: int | None = None,
    practical_score: int | None = None,
) -> Enrolment:
    """Record a participant's attendance and exam; a pass issues the certificate (and licence).

    A result that already issued a certificate cannot change: revoke the certificate first.
    """
    scope = training_scope(actor)
    pk = enrolment.pk if isinstance(enrolment, Enrolment) else enrolment
    try:
        enrolment = (
            Enrolment.objects.select_for_update(of=("self",))
            .select_related("session__course", "staff__unit")
            .get(pk=pk, session__company_id=scope.company_id)
        )
    except (Enrolment.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc
    if Certificate.objects.filter(enrolment=enrolment).exists():
        raise Conflict(_("A certificate was issued on this result; revoke it first."))
    theory = _score(theory_score, "theory_score")
    practical = _score(practical_score, "practical_score")
    if attended and (theory is None or practical is None):
        raise InvalidInput(
            _("Enter both the theory and the practical score."),
            field="theory_score" if theory is None else "practical_score",
        )
    if not attended:
        theory = practical = None
    course = enrolment.session.course
    overall, passed, stars = grade(course, bool(attended), theory, practical)
    values = {
        "attended": bool(attended),
        "theory_score": theory,
        "practical_score": practical,
        "overall": overall,
        "passed": passed,
        "star_grade": stars,
    }
    changes = diff(enrolment, values)
    for field, value in values.items():
        setattr(enrolment, field, value)
    enrolment.recorded_at = clock.now()
    enrolment.recorded_by = actor
    enrolment.save(update_fields=[*values, "recorded_at", "recorded_by"])
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=enrolment.session,
        company_id=enrolment.session.company_id,
        changes={f"{enrolment.staff.name}.{k}": v for k, v in changes.items()},
    )
    if passed:
        _issue(actor, enrolment, stars)
    return enrolment


def _next_number(company_id: int, year: int) -> str:
    counter, _created = CertificateCounter.objects.select_for_update().get_or_create(
        company_id=company_id, year=year
    )
    counter.value += 1
    counter.save(update_fields=["value"])
    return f"JS-{year}-{counter.value:06d}"


def _issue(actor, enrolment: Enrolment, stars: int) -> Certificate:
    course = enrolment.session.course
    issued_on = today()
    certificate = Certificate.objects.create(
        company_id=course.company_id,
        staff=enrolment.staff,
        course=course,
        enrolment=enrolment,
        number=_next_number(course.company_id, issued_on.year),
        star_grade=stars,
        grants_licence=course.grants_licence,
        issued_on=issued_on,
        valid_until=add_months(issued_on, course.valid_months) - dt.timedelta(days=1),
        issued_by=actor,
    )
    audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=certificate,
        company_id=certificate.company_id,
        changes={
            "holder": [None, enrolment.staff.name],
            "star_grade": [None, stars],
            "valid_until": [None, certificate.valid_until.isoformat()],
        },
    )
    if certificate.grants_licence:
        sync_licence(actor=actor, staff=enrolment.staff, source=certificate)
    return certificate


@transaction.atomic
def revoke_certificate(*, actor, certificate: Certificate | int, reason: str) -> Certificate:
    """Withdraw a certificate (e.g. a serious breach of the conduct rules, 002 第七章); the
    licence falls back to the person's other standing certificates, if any."""
    scope = training_scope(actor)
    pk = certificate.pk if isinstance(certificate, Certificate) else certificate
    try:
        certificate = (
            Certificate.objects.select_for_update(of=("self",))
            .select_related("staff")
            .get(pk=pk, company_id=scope.company_id)
        )
    except (Certificate.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise InvalidInput(_("Give the reason (at most 200 characters)."), field="reason")
    if certificate.revoked_at is not None:
        raise Conflict(_("This certificate is already revoked."))
    certificate.revoked_at = clock.now()
    certificate.revoked_by = actor
    certificate.revoke_reason = reason
    certificate.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=certificate,
        company_id=certificate.company_id,
        changes={"revoked": [None, reason]},
    )
    sync_licence(actor=actor, staff=certificate.staff, source=certificate)
    return certificate


def sync_licence(*, actor, staff: Staff, source: Certificate | None = None) -> Staff:
    """Set the staff member's work licence from their standing certificates (inside the
    caller's transaction): held while a licence-granting certificate is not revoked, valid
    until the latest end date among them. Audited on the staff record when it changes."""
    latest = Certificate.objects.filter(
        staff_id=staff.pk, grants_licence=True, revoked_at__isnull=True
    ).aggregate(until=Max("valid_until"))["until"]
    locked = Staff.objects.select_for_update().get(pk=staff.pk)
    values = {"work_licence": latest is not None, "licence_expires_on": latest}
    changes = diff(locked, values)
    if changes:
        Staff.objects.filter(pk=locked.pk).update(**values)
        for field, value in values.items():
            setattr(staff, field, value)
        if source is not None:
            changes["certificate"] = [None, source.number]
        audit(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=locked,
            company_id=locked.company_id,
            changes=changes,
        )
    return staff


# -- the 30-day expiry notice -----------------------------------------------------------------

EXPIRY_NOTICE_DAYS = 30


def notify_expiring_licences(on: dt.date | None = None) -> int:
    """Tell each holder whose licence ends within 30 days, and their managers, once per
    certificate; returns how many certificates were notified. Safe to run twice: a
    certificate is claimed by a conditional update before anyone is told."""
    from manyi.notify.actions import notify
    from manyi.org.models import Role

    day = on or today()
    until = day + dt.timedelta(days=EXPIRY_NOTICE_DAYS)
    due = list(
        Certificate.objects.filter(
            grants_licence=True,
            revoked_at__isnull=True,
            expiry_notified_on__isnull=True,
            valid_until__gte=day,
            valid_until__lte=until,
        ).select_related("staff__user", "staff__unit", "course")
    )
    # Only the certificate the licence rests on: one renewed already is no news.
    due = [c for c in due if c.staff.licence_expires_on == c.valid_until]
    if not due:
        return 0
    managers = list(
        Staff.objects.filter(
            company_id__in={c.company_id for c in due},
            role__in=(Role.OUTLET_MANAGER, Role.DEPARTMENT_HEAD),
            user__is_active=True,
        ).select_related("user", "unit")
    )
    sent = 0
    for certificate in due:
        with transaction.atomic():
            claimed = Certificate.objects.filter(
                pk=certificate.pk, expiry_notified_on__isnull=True
            ).update(expiry_notified_on=day)
            if not claimed:
                continue
            holder = certificate.staff
            users = [holder.user] + [
                m.user
                for m in managers
                if m.company_id == certificate.company_id and m.unit.contains(holder.unit)
            ]
            notify(
                kind="licence_expiring",
                users=users,
                unit=holder.unit,
                context={
                    "name": holder.name,
                    "day": certificate.valid_until.isoformat(),
                    "number": certificate.number,
                    "course": certificate.course.name,
                },
                url=f"/team/certificates/{certificate.pk}/",
            )
            sent += 1
    return sent


# -- the training evaluation (003 P-055/056) ----------------------------------------------------


@transaction.atomic
def evaluate_training(
    *,
    actor,
    course: Course | int,
    answers: Mapping[str, Any],
    session: TrainingSession | int | None = None,
    version: InstrumentVersion | int | None = None,
) -> TrainingEvaluation:
    """Score a training programme against the 20 criteria of an excellent one; the total of
    points gives its grade. A manager of the team or a participant of the session may."""
    scope = scope_for(actor)
    course = _course(scope, course)
    session_ = None
    if session is not None:
        session_ = _session(scope, session)
        if session_.course_id != course.pk:
            raise InvalidInput(_("This session belongs to another course."), field="session")
    participant = (
        session_ is not None
        and Enrolment.objects.filter(session=session_, staff_id=scope.staff_id).exists()
    )
    if not participant:
        scope.require(Perm.MANAGE_TEAM)
    version = pick_version(scope, InstrumentKind.TRAINING_EVALUATION, TRAINING_CODE, version)
    definition, cleaned, result = scored(version, answers)
    evaluation = TrainingEvaluation(
        company_id=course.company_id,
        course=course,
        session=session_,
        evaluator=actor,
        version=version,
        answers=cleaned,
        created_at=clock.now(),
    )
    evaluation.apply_result(result)
    evaluation.save()
    save_rows(
        definition,
        cleaned,
        result,
        evaluation,
        answer_model=TrainingEvaluationAnswer,
        course=course,
    )
    audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=evaluation,
        company_id=evaluation.company_id,
        changes={"total": [None, evaluation.total], "band": [None, evaluation.band]},
    )
    return evaluation
