"""Every write to the customer archive: customers, purchases, tags."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manyi.customers.models import (
    AgeBand,
    Customer,
    Education,
    IncomeBand,
    Purchase,
    RelationshipLevel,
    SocialClass,
    Tag,
)
from manyi.customers.search import index_tokens
from manyi.errors import InvalidInput, NotFound, StaleVersion, interpolate
from manyi.insights import rollups
from manyi.org.actions import audit, diff
from manyi.org.models import AuditAction, Unit, UnitKind
from manyi.org.scopes import Perm, scope_for

# Mainland-China mobile numbers: 11 digits, 1 then 3–9 (all current carriers' prefixes).
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_PHONE_NOISE = re.compile(r"[\s\-()（）]")

CHOICE_FIELDS = {
    "age_band": AgeBand,
    "income_band": IncomeBand,
    "education": Education,
    "social_class": SocialClass,
}
TEXT_LIMITS = {
    "name": 50,
    "province": 20,
    "city": 30,
    "district": 30,
    "address_detail": 200,
    "notes": 2000,
}


def normalize_phone(raw: str) -> str:
    """A mainland mobile number as 11 digits, or :class:`InvalidInput`.

    Accepts what people type: spaces, dashes, brackets, a +86 / 86 / 0086 country code.
    """
    phone = _PHONE_NOISE.sub("", str(raw or ""))
    for prefix in ("+86", "0086", "86"):
        if phone.startswith(prefix) and len(phone) == len(prefix) + 11:
            phone = phone[len(prefix) :]
            break
    if not MOBILE_RE.match(phone):
        raise InvalidInput(
            _("Enter a valid mainland-China mobile number (11 digits starting with 1)."),
            field="phone",
        )
    return phone


@dataclass
class CustomerData:
    """Validated customer fields, as an action receives them."""

    name: str
    phone: str
    home_outlet: Unit
    province: str = ""
    city: str = ""
    district: str = ""
    address_detail: str = ""
    age_band: str = ""
    income_band: str = ""
    education: str = ""
    social_class: str = ""
    relationship_level: str = RelationshipLevel.BASIC
    contact_consent: bool = False
    survey_consent: bool = False
    notes: str = ""
    tags: list[str] = field(default_factory=list)


def clean_customer_fields(values: dict[str, Any]) -> dict[str, Any]:
    """Check and normalise raw customer fields; every problem is reported at once."""
    errors: list[tuple[str, Any]] = []
    cleaned: dict[str, Any] = {}
    for name, limit in TEXT_LIMITS.items():
        if name in values:
            text = str(values[name] or "").strip()
            if len(text) > limit:
                errors.append(
                    (
                        name,
                        interpolate(
                            _("Too long (at most %(limit)d characters)."), {"limit": limit}
                        ),
                    )
                )
            cleaned[name] = text
    if "name" in cleaned and not cleaned["name"]:
        errors.append(("name", _("Enter the customer's name.")))
    if "phone" in values:
        try:
            cleaned["phone"] = normalize_phone(values["phone"])
        except InvalidInput as exc:
            errors.append(("phone", exc.message))
    for name, choices in CHOICE_FIELDS.items():
        if name in values:
            value = values[name] or ""
            if value and value not in choices.values:
                errors.append((name, _("Not one of the available choices.")))
            cleaned[name] = value
    if "relationship_level" in values:
        level = values["relationship_level"] or RelationshipLevel.BASIC
        if level not in RelationshipLevel.values:
            errors.append(("relationship_level", _("Not one of the available choices.")))
        cleaned["relationship_level"] = level
    for name in ("contact_consent", "survey_consent"):
        if name in values:
            cleaned[name] = bool(values[name])
    if "tags" in values:
        tags = [str(t).strip() for t in (values["tags"] or []) if str(t).strip()]
        if any(len(t) > 30 for t in tags) or len(tags) > 20:
            errors.append(("tags", _("At most 20 tags of at most 30 characters each.")))
        cleaned["tags"] = list(dict.fromkeys(tags))
    if errors:
        raise InvalidInput(errors=errors)
    return cleaned


def _check_outlet(scope, outlet: Unit | None, perm: Perm) -> Unit:
    if outlet is None or outlet.kind != UnitKind.OUTLET:
        raise InvalidInput(_("Choose the customer's home outlet."), field="home_outlet")
    if not outlet.is_active:
        raise InvalidInput(_("This outlet is no longer active."), field="home_outlet")
    scope.require_unit(outlet, perm)
    return outlet


def _set_tags(customer: Customer, names: list[str]) -> None:
    existing = {
        t.name: t for t in Tag.objects.filter(company_id=customer.company_id, name__in=names)
    }
    missing = [Tag(company_id=customer.company_id, name=n) for n in names if n not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {
            t.name: t for t in Tag.objects.filter(company_id=customer.company_id, name__in=names)
        }
    customer.tags.set([existing[n] for n in names])


def _consent_times(customer: Customer, cleaned: dict[str, Any], now: dt.datetime) -> None:
    # PIPL: record when consent was given; withdrawing it clears the date.
    for name in ("contact_consent", "survey_consent"):
        if name in cleaned and cleaned[name] != getattr(customer, name):
            setattr(customer, f"{name}_at", now if cleaned[name] else None)


def refresh_search_text(customer: Customer) -> None:
    """Recompute the customer's search tokens (see search.py)."""
    customer.search_text = index_tokens(customer.name, customer.phone, customer.full_address)


@transaction.atomic
def create_customer(*, actor, data: dict[str, Any]) -> Customer:
    """Add a customer to the archive of an outlet in the actor's scope."""
    scope = scope_for(actor)
    scope.require(Perm.EDIT_CUSTOMERS)
    outlet = _check_outlet(scope, data.get("home_outlet"), Perm.EDIT_CUSTOMERS)
    required = {"name": data.get("name", ""), "phone": data.get("phone", "")}
    cleaned = clean_customer_fields({**data, **required})
    tags = cleaned.pop("tags", [])
    if Customer.objects.filter(company_id=outlet.company_id, phone=cleaned["phone"]).exists():
        raise InvalidInput(_("A customer with this mobile number already exists."), field="phone")
    now = timezone.now()
    customer = Customer(
        company_id=outlet.company_id, home_outlet=outlet, created_at=now, updated_at=now, **cleaned
    )
    customer.contact_consent_at = now if customer.contact_consent else None
    customer.survey_consent_at = now if customer.survey_consent else None
    refresh_search_text(customer)
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError as exc:  # a concurrent create with the same phone
        raise InvalidInput(
            _("A customer with this mobile number already exists."), field="phone"
        ) from exc
    if tags:
        _set_tags(customer, tags)
    audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=customer,
        company_id=customer.company_id,
        changes={"phone": [None, customer.masked_phone], "home_outlet": [None, outlet.name]},
    )
    return customer


@transaction.atomic
def update_customer(
    *, actor, customer: Customer, data: dict[str, Any], version: int | None = None
) -> Customer:
    """Change a customer's details; ``version`` guards against overwriting someone's edit."""
    scope = scope_for(actor)
    try:
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
    except Customer.DoesNotExist as exc:
        raise NotFound() from exc
    scope.require_unit(customer.home_outlet, Perm.EDIT_CUSTOMERS)
    if version is not None and version != customer.version:
        raise StaleVersion()
    cleaned = clean_customer_fields(data)
    tags = cleaned.pop("tags", None)
    if "home_outlet" in data and data["home_outlet"] is not None:
        outlet = _check_outlet(scope, data["home_outlet"], Perm.EDIT_CUSTOMERS)
        if outlet.company_id != customer.company_id:
            raise InvalidInput(_("The outlet belongs to another company."), field="home_outlet")
        cleaned["home_outlet"] = outlet
    if "phone" in cleaned and cleaned["phone"] != customer.phone:
        clash = Customer.objects.filter(company_id=customer.company_id, phone=cleaned["phone"])
        if clash.exclude(pk=customer.pk).exists():
            raise InvalidInput(
                _("A customer with this mobile number already exists."), field="phone"
            )
    changes = diff(customer, cleaned)
    if "phone" in changes:
        changes["phone"] = [customer.masked_phone, Customer(phone=cleaned["phone"]).masked_phone]
    old_tags = sorted(customer.tags.values_list("name", flat=True))
    if tags is not None and sorted(tags) != old_tags:
        changes["tags"] = [old_tags, sorted(tags)]
    if not changes:
        return customer
    now = timezone.now()
    _consent_times(customer, cleaned, now)
    for name, value in cleaned.items():
        setattr(customer, name, value)
    customer.version += 1
    customer.updated_at = now
    refresh_search_text(customer)
    customer.save()
    if tags is not None:
        _set_tags(customer, tags)
    audit(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=customer,
        company_id=customer.company_id,
        changes=changes,
    )
    return customer


@transaction.atomic
def delete_customer(*, actor, customer: Customer) -> None:
    """Remove a customer and their purchases from the archive (erasure on request, PIPL)."""
    scope = scope_for(actor)
    # Erasure is a manager's decision, not a front-line one.
    scope.require_unit(customer.home_outlet, Perm.ERASE_CUSTOMERS)
    audit(
        actor=actor,
        action=AuditAction.DELETE,
        obj=customer,
        company_id=customer.company_id,
        changes={"phone": [customer.masked_phone, None]},
    )
    # Their purchases leave the cockpit's counts (a no-op if the deletion is refused below).
    rollups.touch_many(customer.purchases.values_list("outlet_id", "purchased_on"))
    try:
        with transaction.atomic():
            customer.delete()
    except ProtectedError as exc:
        # Cases and survey answers keep the customer: their data is erased, not the row.
        raise InvalidInput(
            _(
                "This customer has cases or survey answers and cannot be deleted; "
                "erase their personal data instead."
            )
        ) from exc


def clean_purchase_fields(values: dict[str, Any]) -> dict[str, Any]:
    """Check and normalise raw purchase fields."""
    errors: list[tuple[str, Any]] = []
    cleaned: dict[str, Any] = {}
    product = str(values.get("product") or "").strip()
    if not product or len(product) > 100:
        errors.append(("product", _("Enter the product (at most 100 characters).")))
    cleaned["product"] = product
    batch = str(values.get("batch_no") or "").strip()
    if len(batch) > 50:
        errors.append(
            ("batch_no", interpolate(_("Too long (at most %(limit)d characters)."), {"limit": 50}))
        )
    cleaned["batch_no"] = batch
    try:
        quantity = Decimal(
            str(values.get("quantity", 1) if values.get("quantity") is not None else 1)
        )
        if not quantity.is_finite() or quantity <= 0 or quantity >= Decimal("100000000"):
            raise InvalidOperation
        cleaned["quantity"] = quantity.quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        errors.append(("quantity", _("Enter a positive quantity.")))
    day = values.get("purchased_on")
    if isinstance(day, dt.datetime):
        day = day.date()
    if isinstance(day, str):
        try:
            day = dt.date.fromisoformat(day.strip())
        except ValueError:
            day = None
    if not isinstance(day, dt.date):
        errors.append(("purchased_on", _("Enter the purchase date as YYYY-MM-DD.")))
    elif day > timezone.localdate() or day.year < 1990:
        errors.append(("purchased_on", _("The purchase date cannot be in the future.")))
    cleaned["purchased_on"] = day
    if errors:
        raise InvalidInput(errors=errors)
    return cleaned


@transaction.atomic
def add_purchase(*, actor, customer: Customer, data: dict[str, Any]) -> Purchase:
    """Record something the customer bought (product, batch, quantity, date, outlet)."""
    scope = scope_for(actor)
    scope.require_unit(customer.home_outlet, Perm.EDIT_CUSTOMERS)
    outlet = data.get("outlet") or customer.home_outlet
    if outlet.kind != UnitKind.OUTLET or outlet.company_id != customer.company_id:
        raise InvalidInput(_("Choose an outlet of this company."), field="outlet")
    cleaned = clean_purchase_fields(data)
    purchase = Purchase.objects.create(customer=customer, outlet=outlet, **cleaned)
    rollups.touch(outlet.pk, purchase.purchased_on)  # the cockpit's complaint-rate denominator
    audit(
        actor=actor,
        action=AuditAction.CREATE,
        obj=purchase,
        company_id=customer.company_id,
        changes={"customer": [None, customer.name], "product": [None, purchase.product]},
    )
    return purchase


@transaction.atomic
def delete_purchase(*, actor, purchase: Purchase) -> None:
    """Remove a purchase entered by mistake."""
    scope = scope_for(actor)
    scope.require_unit(purchase.customer.home_outlet, Perm.EDIT_CUSTOMERS)
    audit(
        actor=actor,
        action=AuditAction.DELETE,
        obj=purchase,
        company_id=purchase.customer.company_id,
        changes={"customer": [purchase.customer.name, None]},
    )
    rollups.touch(purchase.outlet_id, purchase.purchased_on)
    purchase.delete()
