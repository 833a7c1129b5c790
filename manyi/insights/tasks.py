"""Background tasks of the cockpit: recompute the rollup slices the writing actions touched."""

from __future__ import annotations

import datetime as dt

from django_tasks import task


@task()
def recompute_slices(slices: list[list]) -> int:
    """Recompute each [outlet id, ISO day] slice from the raw rows (idempotent, retry-safe)."""
    from manyi.insights.rollups import recompute_many

    return recompute_many((int(o), dt.date.fromisoformat(d)) for o, d in slices)
