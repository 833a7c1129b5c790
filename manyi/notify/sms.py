"""SMS providers: the one boundary between manyi and whoever delivers text messages.

``MANYI_SMS_BACKEND`` chooses one:

* ``console`` (default): writes each message to the log (logger ``manyi.sms``) — development;
* ``file``: appends one JSON line per message to ``MANYI_SMS_FILE`` — a shared inbox for demos;
* ``locmem``: keeps messages in ``outbox`` — tests.

A provider's HTTP adapter (URL and key) plugs in here as another backend.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from django.conf import settings

from manyi import clock

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
    else:  # settings refuse other values; kept for a clear message if they ever change
        raise SmsError(f"unknown SMS backend {backend!r}")
