"""Keyset pagination: pages that cost the same on page 1 and page 10,000.

Offset pagination reads and throws away every row before the page; at millions of rows the
last pages take seconds. A keyset page asks for rows *after* the last one seen (``id < cursor``
for newest-first lists), which an index on the list's filter and ``-id`` answers directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

DEFAULT_SIZE = 50
MAX_SIZE = 200


@dataclass
class Page:
    """One page of a newest-first list and the cursor of the next one (None at the end)."""

    items: list[Any]
    next_cursor: int | None
    size: int


def parse_cursor(raw: Any) -> int | None:
    """A cursor from a query string, or None when absent or malformed."""
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def keyset_page(qs: QuerySet, *, after: Any = None, size: Any = DEFAULT_SIZE) -> Page:
    """The page of ``qs`` (ordered by ``-id``) whose ids are below ``after``."""
    try:
        size = max(1, min(int(size), MAX_SIZE))
    except (TypeError, ValueError):
        size = DEFAULT_SIZE
    cursor = parse_cursor(after)
    if cursor is not None:
        qs = qs.filter(pk__lt=cursor)
    rows = list(qs.order_by("-pk")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return Page(items=rows, next_cursor=rows[-1].pk if more and rows else None, size=size)
