"""Work that runs on a schedule: the ticker enqueues it, the task worker runs it.

Django Tasks has no scheduler, so ``manage.py ticker`` (started by ``manyi serve``; run exactly
one per installation) enqueues each periodic task at its interval. The tasks themselves are
safe to run twice (they use conditional updates), so a ticker restart or a second ticker costs
nothing but a little work.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module


@dataclass(frozen=True)
class Periodic:
    task: str  # "module:function" of a django-tasks task
    every_seconds: int


SCHEDULE = [
    Periodic("manyi.cases.tasks:sweep_breaches", 60),
    # notify: release messages held through the quiet hours, re-enqueue any whose task was lost
    Periodic("manyi.notify.tasks:sweep_messages", 60),
    # improvement: overdue actions, reported once to their owners (hourly is plenty for dates)
    Periodic("manyi.improvement.tasks:sweep_overdue_actions", 3600),
    Periodic("manyi.surveys.tasks:send_invitations", 60),
    # team: work licences ending within 30 days, told once per certificate (hourly is plenty)
    Periodic("manyi.team.tasks:notify_expiring_licences", 3600),
    # insights: last week's reports per unit, built and sent once (hourly; a no-op when done)
    Periodic("manyi.insights.weekly:send_weekly_reports", 3600),
    # personal data: anonymise customers past MANYI_RETENTION_YEARS (daily; off when 0)
    Periodic("manyi.privacy.tasks:apply_retention", 86400),
    # reliability: idempotency keys older than a day (kept 24 h; hourly is plenty)
    Periodic("manyi.reliability.tasks:sweep_idempotency_keys", 3600),
]


def load(path: str):
    module, name = path.split(":")
    return getattr(import_module(module), name)
