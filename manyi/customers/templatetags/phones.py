"""``{{ phone|masked }}``: the one masking function (``customers.models.mask_phone``) in
templates, for roles without ``Perm.VIEW_PHONE`` (PIPL)."""

from django import template

from manyi.customers.models import mask_phone

register = template.Library()


@register.filter
def masked(phone: str | None) -> str:
    """138****5678 (an empty value stays empty)."""
    return mask_phone(phone) if phone else ""
