"""The survey follow-up (回访跟进): the closed loop's case, a third workflow on the case engine.

An unhappy answer (a detractor, a low index, "not satisfied") opens one for the outlet manager:
call the customer back within the company's deadline (``SurveyPolicy.follow_up_days`` business
days), then record what was agreed, or hand it on as a complaint. Declared as data: the engine
needed no change for it (only the close hook and the system actor, which any app may use).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from manyi.cases.workflow import Move, Priority, Sla, SlaKind, Stage, Workflow, register
from manyi.org.models import Role

KIND = "survey_followup"
MANAGERS = frozenset({Role.ADMIN, Role.DEPARTMENT_HEAD, Role.OUTLET_MANAGER})
WORKERS = MANAGERS | {Role.SERVICE_REP}
DEFAULT_DAYS = 1


def _call_back_sla(case: Any) -> Sla:
    from manyi.surveys.models import SurveyPolicy

    days = (
        SurveyPolicy.objects.filter(company_id=case.company_id)
        .values_list("follow_up_days", flat=True)
        .first()
    )
    return Sla(SlaKind.BUSINESS_DAYS, Decimal(days or DEFAULT_DAYS))


def _outcome(payload: Mapping[str, Any]) -> str:
    # The case page's generic move form sends its note as "reason"; the API may say "outcome".
    return str(payload.get("outcome") or payload.get("reason") or "").strip()


def needs_outcome(case: Any, payload: Mapping[str, Any]):
    if not _outcome(payload):
        return ("outcome", _("Write down what was agreed with the customer."))
    return None


def _keep_outcome(case: Any, actor: Any, payload: Mapping[str, Any]) -> None:
    from manyi.surveys.models import FollowUp

    FollowUp.objects.filter(case=case).update(outcome=_outcome(payload)[:2000])


WORKFLOW = register(
    Workflow(
        kind=KIND,
        label=_("Survey follow-up"),
        number_prefix="GJ",
        manager_roles=MANAGERS,
        stages=(
            # Call the unhappy customer back (000 主动问询; 004: follow up within three days).
            Stage(
                "call_back",
                _("Call back"),
                sla={Priority.NORMAL: Sla(SlaKind.BUSINESS_DAYS, Decimal(DEFAULT_DAYS))},
                sla_rule=_call_back_sla,
                pausable=True,
            ),
            Stage("done", _("Done"), closed=True),
        ),
        moves=(
            Move(
                "resolve",
                _("Customer called back: record the outcome"),
                ("call_back",),
                "done",
                WORKERS,
                requires=(needs_outcome,),
                after=_keep_outcome,
            ),
        ),
    )
)
