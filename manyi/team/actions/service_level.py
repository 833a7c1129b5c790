"""Five-star service level (000): an outlet or the company assesses itself against the five
levels; the stars follow from the levels' scores."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from manyi.errors import InvalidInput
from manyi.instruments.definition import Definition
from manyi.instruments.models import InstrumentKind, InstrumentVersion
from manyi.instruments.scoring import Result
from manyi.org.actions import audit
from manyi.org.models import AuditAction, Unit
from manyi.org.scopes import Perm, scope_for
from manyi.team.actions.common import pick_version, save_rows, scored, today
from manyi.team.builtin import FIVE_STAR_CODE, STAR_THRESHOLD
from manyi.team.models import ServiceLevelAssessment, ServiceLevelFactorScore


def stars_for(definition: Definition, result: Result) -> int:
    """The levels reached in a row from the first: each level (a factor, in order) counts when
    its score reaches :data:`STAR_THRESHOLD` (000: each level builds on the one below)."""
    stars = 0
    for factor in [f for f in definition.factors if not f.importance_of][:5]:
        score = result.factors.get(factor.code)
        if score is None or score < STAR_THRESHOLD - 1e-9:
            break
        stars += 1
    return stars


@transaction.atomic
def assess_service_level(
    *,
    actor,
    unit: Unit,
    answers: Mapping[str, Any],
    notes: str = "",
    version: InstrumentVersion | int | None = None,
) -> ServiceLevelAssessment:
    """Record a self-assessment of an outlet (or the company, a region) and its star level."""
    scope = scope_for(actor)
    scope.require_unit(unit, Perm.MANAGE_TEAM)
    notes = (notes or "").strip()
    if len(notes) > 2000:
        raise InvalidInput(_("At most 2000 characters."), field="notes")
    version = pick_version(scope, InstrumentKind.SELF_ASSESSMENT, FIVE_STAR_CODE, version)
    definition, cleaned, result = scored(version, answers)
    assessment = ServiceLevelAssessment(
        company_id=unit.company_id,
        unit=unit,
        version=version,
        answers=cleaned,
        stars=stars_for(definition, result),
        assessed_on=today(),
        assessed_by=actor,
        notes=notes,
    )
    assessment.apply_result(result)
    assessment.save()
    save_rows(definition, cleaned, result, assessment, factor_model=ServiceLevelFactorScore)
    audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=assessment,
        company_id=assessment.company_id,
        changes={"stars": [None, assessment.stars]},
    )
    return assessment
