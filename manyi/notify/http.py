"""A small JSON-over-HTTP client for the providers (SMS gateway, WeCom robots).

The standard library's ``urllib`` rather than a new dependency: one POST with a timeout is all
the providers need. Any network error, timeout or non-2xx answer raises :class:`HttpFailure`,
which the delivery turns into a retry.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings


class HttpFailure(Exception):
    """The provider could not be reached or did not accept the request."""


def post_json(url: str, payload: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    """POST ``payload`` as JSON; returns the decoded JSON answer (None when not JSON)."""
    if not url.startswith(("http://", "https://")):
        raise HttpFailure("the address must start with http:// or https://")
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(  # noqa: S310 -- scheme checked above
        url,
        data=data,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(  # noqa: S310 -- scheme checked above
            request, timeout=settings.MANYI_NOTIFY_HTTP_TIMEOUT
        ) as response:
            body = response.read(65536)
    except urllib.error.HTTPError as exc:
        raise HttpFailure(f"HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise HttpFailure(f"unreachable: {reason}") from exc
    try:
        return json.loads(body.decode("utf-8")) if body else None
    except (UnicodeDecodeError, ValueError):
        return None
