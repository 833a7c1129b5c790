"""The HTTP API: django-ninja under /api/v1/, OpenAPI docs at /api/docs.

Authentication is a personal bearer token (``Authorization: Bearer manyi_…``) or the browser
session (with its CSRF token). Every error is a JSON problem document with the message in
Chinese and English and, for validation errors, the field in error. Writes may be retried
safely with an ``Idempotency-Key`` header (see :data:`DESCRIPTION`).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, django_auth

from manyi.errors import DomainError, problem, problem_for
from manyi.org.actions import user_for_token


class TokenAuth(HttpBearer):
    """A personal API token, sent as a bearer token."""

    def authenticate(self, request: HttpRequest, token: str):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


DESCRIPTION = """\
Authenticate with a personal token (`Authorization: Bearer manyi_…`) or the browser session.
Errors are JSON problem documents (`type`, `title`, `status`, `code`, `detail` in Chinese and
English, `errors` per field).

**Retries.** Send an `Idempotency-Key` header (1–255 visible ASCII characters, e.g. a UUID) with
any POST, PUT, PATCH or DELETE. The first request with a key runs; repeating it (same method, path
and body) within 24 hours returns the first response again, with `Idempotent-Replayed: true`,
and writes nothing. The same key with a different request is refused with 422
(`idempotency-key-reused`). Keys belong to one user. Server errors (5xx) are not kept: the retry
runs afresh, and a request that failed wrote nothing.
"""

api = NinjaAPI(
    title="manyi API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=[TokenAuth(), django_auth],
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _problem_response(request: HttpRequest, body: dict, status: int) -> HttpResponse:
    return api.create_response(request, body, status=status)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _problem_response(request, problem_for(exc), exc.status)


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = []
    for err in exc.errors:
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body", "query", "path")]
        field = ".".join(loc[1:] if loc and loc[0] in ("payload", "data") else loc) or None
        errors.append((field, err.get("msg", "invalid")))
    return _problem_response(
        request, problem(422, "invalid-input", _("Some fields are not valid."), errors), 422
    )


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    body = problem(401, "unauthenticated", _("Log in or send a valid API token."))
    return _problem_response(request, body, 401)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    body = problem(403, "forbidden", _("You do not have permission to do this."))
    return _problem_response(request, body, 403)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _problem_response(
        request, problem(404, "not-found", _("The record was not found.")), 404
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    body = problem(exc.status_code, "error", str(exc))
    return _problem_response(request, body, exc.status_code)


def _register_routers() -> None:
    from manyi.calendars.api import router as calendars_router
    from manyi.cases.api import router as cases_router
    from manyi.complaints.api import router as complaints_router
    from manyi.complaints.api_analytics import router as complaint_analytics_router
    from manyi.customers.api import router as customers_router
    from manyi.improvement.api import router as improvement_router
    from manyi.insights.api_analysis import router as insights_analysis_router
    from manyi.insights.api_cockpit import router as insights_cockpit_router
    from manyi.instruments.api import router as instruments_router
    from manyi.notify.api import router as notify_router
    from manyi.org.api import router as org_router
    from manyi.privacy.api import router as privacy_router
    from manyi.quality.api import router as quality_router
    from manyi.surveys.api import router as surveys_router
    from manyi.surveys.api_results import router as survey_results_router
    from manyi.team.api import router as team_router
    from manyi.workorders.api import router as workorders_router

    api.add_router("/v1/", org_router)
    api.add_router("/v1/", customers_router)
    api.add_router("/v1/", calendars_router)
    api.add_router("/v1/", cases_router)
    api.add_router("/v1/", workorders_router)
    api.add_router("/v1/", complaints_router)
    api.add_router("/v1/", complaint_analytics_router)
    api.add_router("/v1/", instruments_router)
    api.add_router("/v1/", surveys_router)
    api.add_router("/v1/", survey_results_router)
    api.add_router("/v1/", quality_router)
    api.add_router("/v1/", team_router)
    api.add_router("/v1/", improvement_router)
    api.add_router("/v1/", privacy_router)
    api.add_router("/v1/", notify_router)
    api.add_router("/v1/insights/", insights_cockpit_router)
    api.add_router("/v1/insights/", insights_analysis_router)


_register_routers()
