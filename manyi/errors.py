"""Domain errors and their rendering as problem documents.

Actions raise these; one middleware (pages) and one ninja handler (API) turn them into a message
or a JSON problem document (RFC 9457) that carries the message in Chinese and in English.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _


def _interpolate(message: Any, values: dict[str, Any]) -> str:
    return str(message) % values


# ``_("… %(n)d …") % values`` translates at once, in the active language; this waits until the
# message is rendered, so both_languages() gets it in Chinese and in English.
interpolate = lazy(_interpolate, str)


def both_languages(message: Any) -> dict[str, str]:
    """Render a (lazy) message in Chinese and in English."""
    with translation.override("zh-hans"):
        zh = str(message)
    with translation.override("en"):
        en = str(message)
    return {"zh": zh, "en": en}


class DomainError(Exception):
    """A rule of the business refused the operation; nothing was written."""

    status = 400
    code = "invalid"
    default_message = _("The request could not be completed.")

    def __init__(self, message: Any = None, *, field: str | None = None) -> None:
        self.message = message if message is not None else self.default_message
        self.field = field
        super().__init__(str(self.message))

    def field_errors(self) -> list[tuple[str | None, Any]]:
        return [(self.field, self.message)] if self.field else []


class InvalidInput(DomainError):
    """One or more fields hold values the business does not accept."""

    status = 422
    code = "invalid-input"
    default_message = _("Some fields are not valid.")

    def __init__(
        self,
        message: Any = None,
        *,
        field: str | None = None,
        errors: Iterable[tuple[str | None, Any]] = (),
    ) -> None:
        super().__init__(message, field=field)
        self.errors = list(errors)
        if field and not self.errors:
            self.errors = [(field, self.message)]

    def field_errors(self) -> list[tuple[str | None, Any]]:
        return self.errors


class OutOfScope(DomainError):
    """The actor may not see or change this record."""

    status = 403
    code = "out-of-scope"
    default_message = _("You do not have permission to do this.")


class NotFound(DomainError):
    """The record does not exist or is outside the actor's scope."""

    status = 404
    code = "not-found"
    default_message = _("The record was not found.")


class StaleVersion(DomainError):
    """Someone else changed the record since it was read."""

    status = 409
    code = "stale-version"
    default_message = _(
        "Someone else changed this record after you opened it. Reload it and try again."
    )


class InvalidMove(DomainError):
    """The workflow does not allow this move from the case's current stage."""

    status = 409
    code = "invalid-move"
    default_message = _("This step is not possible at the case's current stage.")


class Conflict(DomainError):
    """The operation conflicts with existing data."""

    status = 409
    code = "conflict"
    default_message = _("The operation conflicts with existing data.")


def problem(
    status: int,
    code: str,
    message: Any,
    errors: Iterable[tuple[str | None, Any]] = (),
) -> dict[str, Any]:
    """A problem document with messages in both languages."""
    text = both_languages(message)
    return {
        "type": f"https://manyi.invalid/problems/{code}",
        "title": text["en"],
        "status": status,
        "code": code,
        "detail": text,
        "errors": [{"field": field, "message": both_languages(msg)} for field, msg in errors],
    }


def problem_for(error: DomainError) -> dict[str, Any]:
    """The problem document of a domain error."""
    return problem(error.status, error.code, error.message, error.field_errors())
