"""Deadlines of case stages on the business calendar (manyi.calendars)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from manyi.cases.workflow import Sla, SlaKind


def deadline_for(unit, sla: Sla, start: dt.datetime) -> dt.datetime:
    """When a stage with ``sla`` entered at ``start`` is due, on ``unit``'s calendar."""
    from manyi.calendars.service import calendar_for

    calendar = calendar_for(unit)
    amount = Decimal(sla.amount)
    if sla.kind == SlaKind.BUSINESS_HOURS:
        return calendar.add_business_hours(start, amount)
    if sla.kind == SlaKind.NEXT_BUSINESS_DAY:
        return calendar.next_business_day(start)
    if sla.kind == SlaKind.BUSINESS_DAYS:
        return calendar.add_business_days(start, max(1, int(amount)))
    if sla.kind == SlaKind.CALENDAR_DAYS:
        return calendar.add_calendar_days(start, int(amount))
    raise ValueError(f"unknown SLA kind {sla.kind!r}")


def resumed_deadline(
    unit, sla: Sla, due_at: dt.datetime, paused_at: dt.datetime, now: dt.datetime
) -> dt.datetime:
    """The deadline after a pause: the time that was left when the clock stopped, from now.

    Business SLAs keep the business time that was left; calendar-day SLAs the wall time. The
    deadline never moves earlier than it was.
    """
    from manyi.calendars.service import calendar_for

    if due_at <= paused_at:
        return due_at  # already missed when paused: a pause does not forgive it
    if sla.kind == SlaKind.CALENDAR_DAYS:
        return max(due_at, now + (due_at - paused_at))
    calendar = calendar_for(unit)
    left = calendar.business_time_between(paused_at, due_at)
    return max(due_at, calendar.add_business_hours(now, left))


def calendar_warnings(unit, start: dt.datetime, due_at: dt.datetime | None) -> list:
    """Warnings when a deadline was computed through a year the calendar does not fully know."""
    if due_at is None:
        return []
    from manyi.calendars.service import calendar_for

    return calendar_for(unit).warnings_for(due_at, start=start)
