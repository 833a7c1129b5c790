"""The time the domain runs on.

Actions ask ``clock.now()`` rather than ``timezone.now()`` so that a simulation — the demo
company's history, a year of service replayed through the real actions — can run them at
past moments with :func:`travel`. Outside a simulation it is exactly ``timezone.now()``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone

_override: ContextVar[dt.datetime | None] = ContextVar("manyi_clock", default=None)


def now() -> dt.datetime:
    """The current time (aware), or the simulated one inside :func:`travel`."""
    return _override.get() or timezone.now()


@contextmanager
def travel(moment: dt.datetime) -> Iterator[None]:
    """Run the block as if it were ``moment`` (aware datetime)."""
    if timezone.is_naive(moment):
        raise ValueError("clock.travel needs an aware datetime")
    token = _override.set(moment)
    try:
        yield
    finally:
        _override.reset(token)
