"""A company's complaint settings, read where the rules need them: the policy, approval limits,
and the root-cause taxonomy (seeded from DOMAIN §3 the first time it is needed)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from manyi.complaints.models import CauseCategory, CauseSide, CompensationLimit, ComplaintPolicy
from manyi.org.models import Unit

# The causes of complaints (004: 公司方面 — 产品的问题、制度的问题; 客户方面 — 客户本身不会操作、
# 客户本身操作、安装不当), and "other" for what fits none.
STANDARD_CAUSES = [
    ("product", _("Product problem"), CauseSide.COMPANY),
    ("policy", _("Process or policy problem"), CauseSide.COMPANY),
    ("operation", _("Customer does not know how to use it"), CauseSide.CUSTOMER),
    ("installation", _("Wrong installation or use"), CauseSide.CUSTOMER),
    ("other", _("Other"), CauseSide.OTHER),
]


def policy_for_company(company_id: int) -> ComplaintPolicy:
    """The company's complaint policy; the seeds' defaults until someone changes them."""
    policy = ComplaintPolicy.objects.filter(company_id=company_id).first()
    if policy is None:
        with transaction.atomic():
            policy, _created = ComplaintPolicy.objects.get_or_create(company_id=company_id)
    return policy


def compensation_limit_for(unit: Unit) -> tuple[Decimal, Unit | None]:
    """The approval limit at ``unit``: its own, else the nearest enclosing unit's, else the
    company policy's. Returns the amount and the unit that set it (None: the policy)."""
    limits = {
        limit.unit_id: limit
        for limit in CompensationLimit.objects.filter(
            unit_id__in=unit.ancestor_ids()
        ).select_related("unit")
    }
    for unit_id in reversed(unit.ancestor_ids()):
        if unit_id in limits:
            return limits[unit_id].amount, limits[unit_id].unit
    return policy_for_company(unit.company_id).compensation_limit, None


@transaction.atomic
def seed_causes(company: Unit) -> int:
    """Give a company the standard cause taxonomy (idempotent); returns how many were added.

    Names are data, written in the site's language whatever the caller's UI language.
    """
    existing = set(CauseCategory.objects.filter(company=company).values_list("code", flat=True))
    with translation.override(settings.LANGUAGE_CODE):
        new = [
            CauseCategory(
                company=company, code=code, name=str(name), side=side, position=position * 10
            )
            for position, (code, name, side) in enumerate(STANDARD_CAUSES, start=1)
            if code not in existing
        ]
    CauseCategory.objects.bulk_create(new)
    return len(new)


def causes_for(company_id: int, *, active_only: bool = True) -> list[CauseCategory]:
    """The company's cause categories in order, seeded on first use."""

    def read() -> list[CauseCategory]:
        qs = CauseCategory.objects.filter(company_id=company_id)
        return list(qs.filter(active=True) if active_only else qs)

    causes = read()
    if not causes and not CauseCategory.objects.filter(company_id=company_id).exists():
        seed_causes(Unit.objects.get(pk=company_id))
        causes = read()
    return causes
