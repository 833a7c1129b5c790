"""manage.py rebuild_insights_rollups [--company ID]: the cockpit's rollups from the raw rows."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from manyi.insights.rollups import rebuild


class Command(BaseCommand):
    help = "Recompute the cockpit's rollup tables from the raw rows (all companies or one)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--company", type=int, default=None, help="the company unit's id")

    def handle(self, *args, company: int | None = None, **options) -> None:
        started = time.perf_counter()
        written = rebuild(company)
        self.stdout.write(
            f"{written['day']} day rows, {written['month']} month rows "
            f"in {time.perf_counter() - started:.1f} s"
        )
