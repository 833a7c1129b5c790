"""The ticker enqueues the periodic tasks; the breach sweep runs through the task backend."""

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine
from django.core.management import call_command

from manyi.periodic import SCHEDULE, load


def test_every_periodic_task_can_be_loaded():
    for periodic in SCHEDULE:
        assert callable(load(periodic.task).enqueue)


def test_ticker_once_runs_the_breach_sweep(world, make_customer):
    from manyi.cases.models import EventKind
    from manyi.workorders.actions import take_order

    sh = ZoneInfo("Asia/Shanghai")
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=sh), tick=False):
        case = take_order(actor=world.sales, customer=make_customer(), site_address="徐汇区1号")
    with time_machine.travel(dt.datetime(2026, 3, 3, 9, 0, tzinfo=sh), tick=False):
        call_command("ticker", once=True)  # tasks run inline in tests
    assert case.events.filter(kind=EventKind.BREACH).count() == 1
