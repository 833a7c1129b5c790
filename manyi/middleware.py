"""Page middleware: the UI language, and domain errors shown as messages instead of a 500."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme

from manyi.errors import DomainError, NotFound, OutOfScope


class DomainErrorMiddleware:
    """Pages: a refused operation goes back where it came from, with the reason shown."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError) or request.path.startswith("/api/"):
            return None
        if isinstance(exception, NotFound | OutOfScope) or request.method == "GET":
            return render(
                request,
                "error.html",
                {"status": exception.status, "message": exception.message},
                status=exception.status,
            )
        messages.error(request, exception.message)
        referer = request.headers.get("Referer") or request.path
        # Only back to this site: a forged Referer must not make the refusal an open redirect
        # ("https://evil.example/?testserver" contains the host but is another site).
        if not url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            referer = request.path
        return HttpResponseRedirect(referer)


class LanguageMiddleware:
    """Chinese unless the user chose English with the switch (the language cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language, so a technician's
    phone set to English would get an English UI nobody configured; manyi is Chinese first.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in self.languages:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class CalendarMemoMiddleware:
    """Load each unit's business calendar at most once per request (see calendars.service)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from manyi.calendars.service import request_memo

        with request_memo():
            return self.get_response(request)
