"""Turns a domain error raised under a page view into a message instead of a 500."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render

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
        if not referer.startswith("/") and request.get_host() not in referer:
            referer = request.path
        return HttpResponseRedirect(referer)
