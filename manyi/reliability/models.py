"""Idempotency keys: the first response to a retried API request, kept for a day."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from manyi import clock


class IdempotencyKey(models.Model):
    """One client request sent with an ``Idempotency-Key`` header, and the response it got.

    The row is written in the same transaction as the request's own writes (see
    ``manyi.idempotency``): either both are committed or neither, so a replay never misses a
    write and a failed request leaves the key free for the retry.
    """

    # "u<user id>" for a logged-in user or a token, "anon" for the public endpoints.
    principal = models.CharField(_("principal"), max_length=40)
    key = models.CharField(_("key"), max_length=255)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=500)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    status = models.PositiveSmallIntegerField(_("status"))
    content_type = models.CharField(_("content type"), max_length=200, blank=True, default="")
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    body = models.BinaryField(_("body"), blank=True, default=b"")
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            # One first result per client and key; a concurrent retry waits on this index.
            models.UniqueConstraint(fields=["principal", "key"], name="idempotency_key_unique"),
        ]
        indexes = [
            # The hourly sweep of expired keys.
            models.Index(fields=["expires_at"], name="idempotency_expires_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.principal} {self.key}"
