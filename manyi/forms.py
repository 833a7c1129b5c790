"""Shared form helpers: show an action's refusal next to the fields it names."""

from django import forms

from manyi.errors import DomainError


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Attach the errors of ``error`` to ``form`` (to the named fields, or the whole form)."""
    errors = error.field_errors() or [(None, error.message)]
    for field, message in errors:
        form.add_error(field if field in form.fields else None, str(message))
