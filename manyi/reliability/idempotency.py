"""Safe retries of API writes: the ``Idempotency-Key`` header.

A client that may retry a write (a phone on a bad network, a batch job) sends a key of its
choosing with the request. The first request with that key runs and its response is kept for a
day; a repeat of the same request gets that response again, with ``Idempotent-Replayed: true``,
and writes nothing. The same key with a different request is refused (422).

How nothing is written twice: the key's row is inserted at the start of one transaction that
also holds the request's own writes, and the response is stored in the same transaction. A
second request with the key blocks on the row's unique index (PostgreSQL) or on the database's
write lock (SQLite) until the first commits, then finds the stored response and replays it. A
request that ends in a 5xx or an exception rolls back with its key, so the retry runs afresh.
Keys belong to one user (or token); anonymous public endpoints share one namespace.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manyi.errors import problem

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
TTL = dt.timedelta(hours=24)
METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
# Response headers a replay repeats (the body and status are always kept).
_KEPT_HEADERS = ("Location", "Content-Disposition", "Content-Language")
# Not results of the request itself: a failed login, a throttle. The retry must run again.
_NOT_KEPT_STATUSES = frozenset({401, 429})


class IdempotencyMiddleware:
    """API writes carrying an ``Idempotency-Key`` run once; repeats get the first response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if key is None or request.method not in METHODS or not request.path.startswith("/api/"):
            return self.get_response(request)
        if not _VALID_KEY.match(key):
            return _problem(
                400,
                "invalid-idempotency-key",
                _("The Idempotency-Key header must be 1 to 255 visible ASCII characters."),
            )
        principal = _principal(request)
        if principal is None:
            return self.get_response(request)  # a bad token: the API answers 401 itself
        try:
            fingerprint = _fingerprint(request)
        except RequestDataTooBig:
            return self.get_response(request)  # refused by Django below, nothing to keep
        with transaction.atomic():
            claim = _claim(principal, key, request, fingerprint)
            if isinstance(claim, HttpResponse):
                return claim
            response = self.get_response(request)
            if response.status_code >= 500:
                # Nothing half-written: the request's writes go with the key.
                transaction.set_rollback(True)
            elif response.streaming or response.status_code in _NOT_KEPT_STATUSES:
                claim.delete()
            else:
                _keep(claim, response)
        return response


def _problem(status: int, code: str, message) -> JsonResponse:
    return JsonResponse(problem(status, code, message), status=status)


def _principal(request: HttpRequest) -> str | None:
    """Whose keys these are: the token's user, else the session's user, else "anon"."""
    from manyi.org.actions import token_digest
    from manyi.org.models import ApiToken

    authorization = request.headers.get("Authorization", "")
    scheme, _sep, raw = authorization.partition(" ")
    if scheme.lower() == "bearer" and raw.strip():
        user_id = (
            ApiToken.objects.filter(
                digest=token_digest(raw.strip()), revoked_at__isnull=True, user__is_active=True
            )
            .values_list("user_id", flat=True)
            .first()
        )
        if user_id is not None:
            return f"u{user_id}"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"u{user.pk}"
    return None if scheme.lower() == "bearer" else "anon"


def _fingerprint(request: HttpRequest) -> str:
    """A hash of what the request asks for: method, path, query and body (JSON normalised)."""
    digest = hashlib.sha256()
    digest.update(
        f"{request.method} {request.path}?{request.META.get('QUERY_STRING', '')}".encode()
    )
    content_type = request.content_type or ""
    if content_type.startswith("multipart/"):
        # The boundary changes with every send; the fields and the files' bytes do not.
        for name, values in sorted(request.POST.lists()):
            digest.update(json.dumps([name, values], ensure_ascii=False).encode())
        for name, files in sorted(request.FILES.lists()):
            for upload in files:
                digest.update(json.dumps([name, upload.name, upload.size]).encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
        return digest.hexdigest()
    body = request.body
    if content_type == "application/json":
        try:
            body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
        except ValueError:
            pass  # malformed JSON: hashed as sent, and the API refuses it
    digest.update(b"\n")
    digest.update(body)
    return digest.hexdigest()


def _claim(principal: str, key: str, request: HttpRequest, fingerprint: str):
    """The key's new row, or the response to send instead (a replay, or a refusal)."""
    from manyi.reliability.models import IdempotencyKey

    now = timezone.now()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(
                    principal=principal,
                    key=key,
                    method=request.method,
                    path=request.path[:500],
                    fingerprint=fingerprint,
                    status=0,
                    created_at=now,
                    expires_at=now + TTL,
                )
        except IntegrityError:
            pass
        # The first request with this key has committed (we waited on its row until it did).
        first = (
            IdempotencyKey.objects.select_for_update().filter(principal=principal, key=key).first()
        )
        if first is None:
            continue  # swept in between: claim it afresh
        if first.expires_at <= now:
            first.delete()
            continue
        if first.fingerprint != fingerprint:
            return _problem(
                422,
                "idempotency-key-reused",
                _(
                    "This Idempotency-Key was already used for a different request. "
                    "Send a new key with a new request."
                ),
            )
        return _replay(first)
    return _problem(
        409, "idempotency-key-busy", _("A request with this Idempotency-Key is in progress.")
    )


def _keep(claim, response: HttpResponse) -> None:
    claim.status = response.status_code
    claim.content_type = response.get("Content-Type", "")
    claim.headers = {name: response[name] for name in _KEPT_HEADERS if response.has_header(name)}
    claim.body = bytes(response.content)
    claim.save(update_fields=["status", "content_type", "headers", "body"])


def _replay(first) -> HttpResponse:
    response = HttpResponse(bytes(first.body), status=first.status, content_type=first.content_type)
    for name, value in first.headers.items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


def sweep_expired(now: dt.datetime | None = None) -> int:
    """Delete the keys whose day has passed; returns how many."""
    from manyi.reliability.models import IdempotencyKey

    deleted, _per_model = IdempotencyKey.objects.filter(
        expires_at__lte=now or timezone.now()
    ).delete()
    return deleted
