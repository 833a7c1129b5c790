"""The complaint iceberg (DOMAIN §4): what the complaints received stand for, and the company's
estimate coefficients behind it.

The arithmetic, for the ``C`` complaints received in a period (merged duplicates counted once):

- **unhappy customers** ``U = C × unhappy_per_complaint`` — one complaint stands for 25 unhappy
  customers (000: "一个投诉不满的顾客背后有25个不满的顾客, 24人不满但并不投诉");
- **silent unhappy customers** ``C × (unhappy_per_complaint − 1)`` — the complainer is the one
  of them who spoke (000: 24 of 25 never complain);
- **people they tell** ``U × unhappy_tells`` — 004: "一件不满抱怨,代表27件不满, 而且每件不满的
  顾客会…告诉另外的18人 (即486人知悉)", i.e. unhappy customers × people each tells;
- **complainers kept** ``F × kept_when_solved_fast + S × kept_when_solved`` — ``F`` complaints
  solved within ``fast_days`` calendar days of intake (000: 90–95% stay when solved quickly; the
  lower bound), ``S`` solved later (000: 60% stay), and none kept from the unsolved;
- **complainers lost** ``C − kept``; winning each back as a new customer costs
  ``new_customer_cost_factor`` times keeping one (000: 5×);
- **people the kept complainers tell** ``kept × satisfied_tells`` (003: 8).

"Solved quickly" has no number in the seeds: ``fast_days`` is the company's assumption (3 by
default). A complaint counts as solved when its ``resolved_at`` is set; quickly when
``resolved_at − case.opened_at ≤ fast_days × 24 h``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from manyi.complaints.models import ComplaintPolicy
from manyi.errors import InvalidInput, OutOfScope, interpolate
from manyi.org.actions import audit, diff
from manyi.org.models import AuditAction, Role, Unit
from manyi.org.scopes import Scope, scope_for


@dataclass(frozen=True)
class Coefficient:
    """One editable estimate coefficient: its policy field, limits and where its default is from."""

    field: str
    label: Promise
    # The seed that states the default, and what the other seeds say (DOMAIN §4).
    source: Promise
    minimum: Decimal
    maximum: Decimal
    places: int
    # Whole numbers only (days).
    integer: bool = False

    @property
    def default(self) -> Decimal | int:
        return ComplaintPolicy._meta.get_field(self.field).default


COEFFICIENTS: tuple[Coefficient, ...] = (
    Coefficient(
        "unhappy_per_complaint",
        _("Unhappy customers per complaint"),
        _("000: a complaint stands for 25 unhappy customers, 24 silent (003: 20; 004: 27)."),
        Decimal(1),
        Decimal("9999.99"),
        2,
    ),
    Coefficient(
        "unhappy_tells",
        _("People an unhappy customer tells"),
        _("004: each unhappy customer tells 18 others (000: 10–20; 003: 22)."),
        Decimal(0),
        Decimal("9999.99"),
        2,
    ),
    Coefficient(
        "satisfied_tells",
        _("People a satisfied customer tells"),
        _("003: a satisfied customer tells 8 people (000: 1–5)."),
        Decimal(0),
        Decimal("9999.99"),
        2,
    ),
    Coefficient(
        "kept_when_solved",
        _("Share of complainers kept when solved"),
        _("000: 60% of complainers whose problem is solved stay (003: 54%)."),
        Decimal(0),
        Decimal(1),
        3,
    ),
    Coefficient(
        "kept_when_solved_fast",
        _("Share kept when solved quickly"),
        _("000: 90–95% stay when it is solved quickly; the lower bound (003: 82%)."),
        Decimal(0),
        Decimal(1),
        3,
    ),
    Coefficient(
        "fast_days",
        _("Solved quickly within (calendar days)"),
        _("No seed gives a number for “quickly”: our assumption, 3 days."),
        Decimal(1),
        Decimal(365),
        0,
        integer=True,
    ),
    Coefficient(
        "new_customer_cost_factor",
        _("Cost of a new customer (× keeping one)"),
        _("000: keeping a customer costs a fifth of winning a new one (004: 5–6×; 001, 003: 56×)."),
        Decimal(1),
        Decimal("999.99"),
        2,
    ),
)
COEFFICIENT_FIELDS = tuple(c.field for c in COEFFICIENTS)


def policy_for(company: Unit | int) -> ComplaintPolicy:
    """The company's complaint policy, created with the seeds' defaults when it has none."""
    from manyi.complaints.policy import policy_for_company

    return policy_for_company(company if isinstance(company, int) else company.pk)


def can_edit_coefficients(scope: Scope, company: Unit) -> bool:
    """Administrators and department heads of the company (company-wide) edit the estimates."""
    if scope.everything:
        return True
    return (
        scope.role in (Role.ADMIN, Role.DEPARTMENT_HEAD)
        and scope.is_company_wide
        and scope.company_id == company.pk
    )


def _parse(coefficient: Coefficient, raw: Any) -> Decimal | int:
    """The value of one coefficient from a form or JSON value, or InvalidInput naming it."""
    text = str(raw).strip() if raw is not None else ""
    error = InvalidInput(
        interpolate(
            _("Enter a number from %(min)s to %(max)s."),
            {"min": _plain(coefficient.minimum), "max": _plain(coefficient.maximum)},
        ),
        field=coefficient.field,
    )
    if isinstance(raw, bool) or not text:
        raise error
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise error from exc
    if not value.is_finite() or not coefficient.minimum <= value <= coefficient.maximum:
        raise error
    if coefficient.integer:
        if value != value.to_integral_value():
            raise InvalidInput(_("Enter a whole number of days."), field=coefficient.field)
        return int(value)
    step = Decimal(1).scaleb(-coefficient.places)
    if value != value.quantize(step):
        raise InvalidInput(
            interpolate(
                _("Use at most %(places)s decimal places."), {"places": coefficient.places}
            ),
            field=coefficient.field,
        )
    return value.quantize(step)


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def clean_coefficients(policy: ComplaintPolicy, values: Mapping[str, Any]) -> dict[str, Any]:
    """The coefficients of ``values`` checked and converted (Decimal, or int for days), or
    :class:`InvalidInput` naming every bad field. Only coefficient names are accepted; the
    values not given are taken from ``policy`` for the checks between fields."""
    unknown = sorted(set(values) - set(COEFFICIENT_FIELDS))
    if unknown:
        message = _("Unknown coefficient.")
        raise InvalidInput(message, errors=[(name, message) for name in unknown])
    parsed: dict[str, Any] = {}
    errors: list[tuple[str | None, Any]] = []
    for coefficient in COEFFICIENTS:
        if coefficient.field not in values:
            continue
        try:
            parsed[coefficient.field] = _parse(coefficient, values[coefficient.field])
        except InvalidInput as exc:
            errors.extend(exc.field_errors())
    if not errors:
        fast = parsed.get("kept_when_solved_fast", policy.kept_when_solved_fast)
        slow = parsed.get("kept_when_solved", policy.kept_when_solved)
        if fast < slow:
            errors.append(
                (
                    "kept_when_solved_fast",
                    _("Solving quickly keeps at least as many complainers as solving slowly."),
                )
            )
    if errors:
        raise InvalidInput(_("Some coefficients are not valid."), errors=errors)
    return parsed


@transaction.atomic
def update_coefficients(*, actor, company: Unit, values: Mapping[str, Any]) -> ComplaintPolicy:
    """Change the company's estimate coefficients (only those named in ``values``).

    Every value is checked first; one bad value refuses the whole change (each bad field is
    named), so nothing is half-written. The change is written to the audit log.
    """
    scope = scope_for(actor)
    if not can_edit_coefficients(scope, company):
        raise OutOfScope()
    policy = ComplaintPolicy.objects.select_for_update().get(pk=policy_for(company).pk)
    parsed = clean_coefficients(policy, values)
    changes = diff(policy, parsed)
    if changes:
        for field, value in parsed.items():
            setattr(policy, field, value)
        policy.save(update_fields=list(changes))
        audit(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=policy,
            company_id=company.pk,
            changes=changes,
        )
    return policy


# -- the iceberg ----------------------------------------------------------------------------------

WHOLE = Decimal(1)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Iceberg:
    """The estimates for a number of complaints, exact to the cent (round for display)."""

    complaints: int
    solved_fast: int
    solved_slow: int
    unsolved: int
    unhappy: Decimal
    silent: Decimal
    told: Decimal
    kept: Decimal
    lost: Decimal
    kept_tell: Decimal
    new_customer_cost_factor: Decimal
    fast_days: int

    def rounded(self, name: str) -> int:
        """A figure rounded to whole people (half up), for the page."""
        return int(Decimal(getattr(self, name)).quantize(WHOLE, rounding=ROUND_HALF_UP))


def iceberg(
    policy: ComplaintPolicy, *, complaints: int, solved_fast: int, solved_slow: int
) -> Iceberg:
    """The iceberg of ``complaints`` received, of which ``solved_fast`` were solved within
    ``fast_days`` and ``solved_slow`` later (the rest unsolved), on ``policy``'s coefficients."""
    if not 0 <= solved_fast + solved_slow <= complaints or min(solved_fast, solved_slow) < 0:
        raise ValueError("solved complaints must be between 0 and the complaints received")
    c = Decimal(complaints)
    unhappy = c * policy.unhappy_per_complaint
    kept = solved_fast * policy.kept_when_solved_fast + solved_slow * policy.kept_when_solved
    return Iceberg(
        complaints=complaints,
        solved_fast=solved_fast,
        solved_slow=solved_slow,
        unsolved=complaints - solved_fast - solved_slow,
        unhappy=unhappy.quantize(CENT),
        silent=(c * (policy.unhappy_per_complaint - 1)).quantize(CENT),
        told=(unhappy * policy.unhappy_tells).quantize(CENT),
        kept=Decimal(kept).quantize(CENT),
        lost=(c - kept).quantize(CENT),
        kept_tell=(kept * policy.satisfied_tells).quantize(CENT),
        new_customer_cost_factor=policy.new_customer_cost_factor,
        fast_days=policy.fast_days,
    )
