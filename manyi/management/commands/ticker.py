"""Enqueue the periodic tasks of manyi.periodic at their intervals (one ticker per site)."""

import time

from django.core.management.base import BaseCommand

from manyi.periodic import SCHEDULE, load


class Command(BaseCommand):
    help = "Enqueue periodic tasks (SLA breach sweeps, …) for the task worker."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="enqueue everything once, exit")

    def handle(self, *args, once: bool = False, **options) -> None:
        due = dict.fromkeys((p.task for p in SCHEDULE), 0.0)
        while True:
            now = time.monotonic()
            for periodic in SCHEDULE:
                if now >= due[periodic.task]:
                    load(periodic.task).enqueue()
                    due[periodic.task] = now + periodic.every_seconds
            if once:
                return
            time.sleep(1)
