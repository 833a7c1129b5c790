"""Helpers shared by the team actions: the instrument version to use, scoring answers, writing
the response rows, the staff a manager may pick."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manyi import clock
from manyi.errors import InvalidInput
from manyi.instruments.answers import clean_answers
from manyi.instruments.definition import Definition
from manyi.instruments.models import InstrumentVersion, VersionStatus
from manyi.instruments.queries import definition_for
from manyi.instruments.scoring import Result, answer_rows, factor_rows, score
from manyi.org.models import Role, Staff, Unit
from manyi.org.scopes import Scope

# Roles that are not part of a service team (they check it, or read its figures).
NOT_TEAM_ROLES = (Role.AUDITOR, Role.ANALYST, Role.SHOPPER)


def today() -> dt.date:
    """The local date on the domain's clock."""
    return timezone.localdate(clock.now())


def published_versions(company_id: int | None, kind: str) -> QuerySet[InstrumentVersion]:
    """Published versions of instruments of ``kind`` a company may use: its own and the built-in
    ones (own first, then by name and newest version)."""
    owner = Q(instrument__company__isnull=True)
    if company_id is not None:
        owner |= Q(instrument__company_id=company_id)
    return (
        InstrumentVersion.objects.filter(owner, status=VersionStatus.PUBLISHED)
        .filter(instrument__kind=kind)
        .select_related("instrument")
        .order_by("instrument__company_id", "instrument__name", "-number")
    )


def pick_version(
    scope: Scope, kind: str, builtin_code: str, version: InstrumentVersion | int | None
) -> InstrumentVersion:
    """The version a new round or response uses: the one chosen (published, of ``kind``, the
    company's or built in), else the newest published version of the built-in template."""
    versions = published_versions(scope.company_id, kind)
    if version is None:
        chosen = versions.filter(
            instrument__company__isnull=True, instrument__code=builtin_code
        ).first()
    else:
        pk = version.pk if isinstance(version, InstrumentVersion) else version
        try:
            chosen = versions.filter(pk=int(pk)).first()
        except (TypeError, ValueError):
            chosen = None
    if chosen is None:
        raise InvalidInput(
            _("Choose a published questionnaire of the right kind."), field="version"
        )
    return chosen


def scored(
    version: InstrumentVersion, answers: Mapping[str, Any]
) -> tuple[Definition, dict[str, Any], Result]:
    """Validate ``answers`` against the version (InvalidInput naming each bad item) and score
    them."""
    definition = definition_for(version)
    cleaned = clean_answers(definition, answers)
    return definition, cleaned, score(definition, cleaned)


def save_rows(
    definition: Definition,
    cleaned: Mapping[str, Any],
    result: Result,
    response,
    *,
    answer_model=None,
    factor_model=None,
    **extra: Any,
) -> None:
    """Write the per-item and per-factor rows of one response (``extra`` copied on each)."""
    if answer_model is not None:
        answer_model.objects.bulk_create(
            answer_model(response=response, **row, **extra)
            for row in answer_rows(definition, cleaned, result)
        )
    if factor_model is not None:
        factor_model.objects.bulk_create(
            factor_model(response=response, factor_id=factor_id, score=value, **extra)
            for factor_id, value in factor_rows(definition, result)
        )


def team_staff(scope: Scope, unit: Unit | None = None) -> QuerySet[Staff]:
    """Active staff in the scope who may belong to a service team (optionally of one unit's
    subtree), by unit and name."""
    qs = scope.filter(
        Staff.objects.filter(user__is_active=True).exclude(role__in=NOT_TEAM_ROLES),
        unit_field="unit",
    ).select_related("unit")
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    return qs.order_by("unit__path", "name")
