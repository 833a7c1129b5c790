"""Read side of training and certification: courses, sessions, certificates, expiring
licences, and the training evaluations of a course."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet

from manyi.errors import NotFound, OutOfScope
from manyi.instruments.queries import definition_for
from manyi.org.scopes import Perm, Scope
from manyi.pagination import Page, keyset_page
from manyi.team.actions.training import EXPIRY_NOTICE_DAYS
from manyi.team.builtin import TRAINING_LOW_ITEM
from manyi.team.models import (
    Certificate,
    Course,
    Enrolment,
    TrainingEvaluation,
    TrainingEvaluationAnswer,
    TrainingSession,
)


def runs_training(scope: Scope) -> bool:
    """Whether the user runs training and certification (company-wide MANAGE_TEAM)."""
    return scope.can(Perm.MANAGE_TEAM) and scope.is_company_wide


def can_read(scope: Scope) -> bool:
    """Managers and report readers see courses, sessions and their units' certificates."""
    return scope.can(Perm.MANAGE_TEAM) or scope.can(Perm.VIEW_REPORTS)


def courses(scope: Scope) -> list[Course]:
    """The company's courses, active first, each with its session and certificate counts."""
    if scope.company_id is None:
        return []
    return list(
        Course.objects.filter(company_id=scope.company_id)
        .annotate(
            session_count=Count("sessions", distinct=True),
            certificate_count=Count(
                "certificates",
                filter=Q(certificates__revoked_at__isnull=True),
                distinct=True,
            ),
        )
        .order_by("-is_active", "name")[:200]
    )


def get_course(scope: Scope, pk: Any) -> Course:
    """One course of the user's company, or NotFound."""
    if not can_read(scope):
        raise OutOfScope()
    try:
        return Course.objects.get(pk=pk, company_id=scope.company_id)
    except (Course.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc


def evaluable(scope: Scope, pk: Any) -> tuple[Course, list[TrainingSession]]:
    """A course the user may evaluate and the sessions to choose from: managers any of their
    subtree's sessions, a participant the sessions they took part in."""
    try:
        course = Course.objects.get(pk=pk, company_id=scope.company_id)
    except (Course.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc
    if scope.can(Perm.MANAGE_TEAM):
        return course, sessions_of(course, scope)
    own = list(
        course.sessions.filter(enrolments__staff_id=scope.staff_id)
        .select_related("unit")
        .order_by("-starts_on")
    )
    if not own:
        raise OutOfScope()
    return course, own


def sessions_of(course: Course, scope: Scope) -> list[TrainingSession]:
    """A course's sessions in the scope, latest first, with participant and pass counts."""
    return list(
        scope.filter(course.sessions.all(), unit_field="unit")
        .select_related("unit")
        .annotate(
            participants=Count("enrolments"),
            passes=Count("enrolments", filter=Q(enrolments__passed=True)),
        )
        .order_by("-starts_on", "-id")[:100]
    )


def get_session(scope: Scope, pk: Any) -> TrainingSession:
    """One session the user may see (its unit in their subtree), or NotFound."""
    if not can_read(scope):
        raise OutOfScope()
    try:
        return (
            scope.filter(TrainingSession.objects.all(), unit_field="unit")
            .select_related("course", "unit")
            .get(pk=pk)
        )
    except (TrainingSession.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc


def enrolments_of(session: TrainingSession) -> list[Enrolment]:
    """A session's participants with their results and certificates (one query)."""
    return list(
        Enrolment.objects.filter(session=session)
        .select_related("staff__unit", "certificate")
        .order_by("staff__name", "id")
    )


def visible_certificates(scope: Scope) -> QuerySet[Certificate]:
    """Certificates of the staff in the user's subtree; a person always sees their own."""
    own = Q(staff_id=scope.staff_id) if scope.staff_id else Q(pk__in=[])
    if not can_read(scope):
        return Certificate.objects.filter(own)
    managed = scope.filter(Certificate.objects.all(), unit_field="staff__unit")
    return Certificate.objects.filter(Q(pk__in=managed.values("pk")) | own)


def certificate_list(
    scope: Scope, *, state: str = "", course: int | None = None, on: dt.date, after: Any = None
) -> Page:
    """A page of certificates, newest first: ``state`` valid / expired / revoked."""
    qs = visible_certificates(scope).select_related("staff__unit", "course")
    if state == "valid":
        qs = qs.filter(revoked_at__isnull=True, valid_until__gte=on)
    elif state == "expired":
        qs = qs.filter(revoked_at__isnull=True, valid_until__lt=on)
    elif state == "revoked":
        qs = qs.filter(revoked_at__isnull=False)
    if course:
        qs = qs.filter(course_id=course)
    return keyset_page(qs.order_by("-id"), after=after)


def get_certificate(scope: Scope, pk: Any) -> Certificate:
    """One certificate the user may see, or NotFound."""
    try:
        return (
            visible_certificates(scope)
            .select_related("staff__unit", "course", "enrolment__session", "issued_by__staff")
            .get(pk=pk)
        )
    except (Certificate.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc


def expiring_licences(scope: Scope, on: dt.date, days: int = EXPIRY_NOTICE_DAYS) -> list:
    """Licences that end within ``days`` (the certificate each licence rests on), soonest
    first, for the staff in the scope (one query on the partial expiry index)."""
    until = on + dt.timedelta(days=days)
    return list(
        visible_certificates(scope)
        .filter(
            grants_licence=True,
            revoked_at__isnull=True,
            valid_until__gte=on,
            valid_until__lte=until,
            valid_until=F("staff__licence_expires_on"),
        )
        .select_related("staff__unit", "course")
        .order_by("valid_until", "staff__name")[:500]
    )


def certificates_of(staff_id: int) -> list[Certificate]:
    """One person's certificates, newest first."""
    return list(
        Certificate.objects.filter(staff_id=staff_id)
        .select_related("course")
        .order_by("-issued_on", "-id")[:50]
    )


# -- training evaluations -------------------------------------------------------------------------


@dataclass
class EvaluationSummary:
    """A course's evaluations: how many, the mean total, the grades, the items to improve."""

    count: int
    mean_total: float | None
    bands: list[tuple[str, int]]
    low_items: list[tuple[int, str, float]]  # (number, text, mean points)


def evaluation_summary(course: Course) -> EvaluationSummary:
    """Three grouped queries: totals, grades, per-item means (P-054: improve the low ones)."""
    totals = course.evaluations.aggregate(count=Count("id"), mean=Avg("total"))
    bands = list(
        course.evaluations.values_list("band").annotate(n=Count("id")).order_by("-n", "band")
    )
    low: list[tuple[int, str, float]] = []
    latest = course.evaluations.select_related("version__instrument").order_by("-id").first()
    if latest is not None:
        definition = definition_for(latest.version)
        by_id = {i.id: i for i in definition.items if i.id is not None}
        rows = (
            TrainingEvaluationAnswer.objects.filter(course=course, number__isnull=False)
            .values("item_id")
            .annotate(mean=Avg("number"))
            .filter(mean__lte=TRAINING_LOW_ITEM)
        )
        low = sorted(
            (by_id[r["item_id"]].number, by_id[r["item_id"]].text, r["mean"])
            for r in rows
            if r["item_id"] in by_id
        )
    return EvaluationSummary(
        count=totals["count"], mean_total=totals["mean"], bands=bands, low_items=low
    )


def evaluations_of(course: Course) -> list[TrainingEvaluation]:
    """A course's latest evaluations."""
    return list(
        course.evaluations.select_related("session", "evaluator__staff").order_by("-id")[:50]
    )


def get_evaluation(scope: Scope, pk: Any) -> TrainingEvaluation:
    """One evaluation: managers of the company, or the person who filled it."""
    try:
        evaluation = TrainingEvaluation.objects.select_related(
            "course", "session", "version__instrument", "evaluator__staff"
        ).get(pk=pk, company_id=scope.company_id)
    except (TrainingEvaluation.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFound() from exc
    if not can_read(scope) and evaluation.evaluator_id != scope.user_id:
        raise NotFound()
    return evaluation
