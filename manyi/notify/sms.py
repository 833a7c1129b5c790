"""SMS providers: the one boundary between manyi and whoever delivers text messages.

``MANYI_SMS_BACKEND`` chooses one:

* ``console`` (default): writes each message to the log (logger ``manyi.sms``) — development;
* ``file``: appends one JSON line per message to ``MANYI_SMS_FILE`` — a shared inbox for demos;
* ``locmem``: keeps messages in ``outbox`` — tests;
* ``http``: POSTs ``{"to": …, "body": …}`` as JSON to ``MANYI_SMS_URL`` with
  ``Authorization: Bearer MANYI_SMS_KEY`` — the adapter for a provider or an SMS relay. Any
  2xx answer is accepted; a non-2xx answer, a timeout (``MANYI_NOTIFY_HTTP_TIMEOUT``) or an
  unreachable host is a failure, retried with backoff by the delivery.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from django.conf import settings

from manyi import clock
from manyi.notify.http import HttpFailure, post_json

logger = logging.getLogger("manyi.sms")

# The locmem backend's sent messages, as (to, body) pairs; tests clear it.
outbox: list[tuple[str, str]] = []


class SmsError(Exception):
    """The provider did not accept the message."""


def deliver(to: str, body: str) -> None:
    """Hand one message to the configured provider; raises SmsError when it refuses."""
    backend = settings.MANYI_SMS_BACKEND
    if backend == "locmem":
        outbox.append((to, body))
    elif backend == "file":
        line = json.dumps(
            {"at": clock.now().isoformat(), "to": to, "body": body}, ensure_ascii=False
        )
        path = Path(settings.MANYI_SMS_FILE)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")
    elif backend == "console":
        logger.info("SMS to %s: %s", to, body)
    elif backend == "http":
        headers = {"Authorization": f"Bearer {settings.MANYI_SMS_KEY}"}
        try:
            post_json(settings.MANYI_SMS_URL, {"to": to, "body": body}, headers)
        except HttpFailure as exc:
            raise SmsError(str(exc)) from exc
    else:  # settings refuse other values; kept for a clear message if they ever change
        raise SmsError(f"unknown SMS backend {backend!r}")
