"""Fixtures of the survey tests: the built-in instruments and customers who agreed to surveys."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    """A moment in Shanghai time."""
    return dt.datetime(*args, tzinfo=SH)


NOW = at(2026, 11, 2, 10, 0)  # a Monday morning, outside the quiet hours


@pytest.fixture
def frozen():
    """The tests' clock stands at :data:`NOW` (nested travels move it further)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def builtins(db):
    """The built-in templates (a transactional test before may have flushed the migration's)."""
    from manyi.instruments.builtin import load_builtins

    load_builtins()


@pytest.fixture
def version(builtins):
    """The published version 1 of a built-in instrument, by code."""
    from manyi.instruments.models import InstrumentVersion

    def get(code):
        return InstrumentVersion.objects.select_related("instrument").get(
            instrument__code=code, instrument__company__isnull=True, number=1
        )

    return get


@pytest.fixture
def consenting(make_customer):
    """A customer who agreed to surveys (at an outlet, east-1 by default)."""

    def make(outlet=None, **fields):
        return make_customer(outlet=outlet, survey_consent=True, **fields)

    return make


@pytest.fixture
def campaign_data(world, version):
    """The fields of a valid campaign of the company asking the CSI survey by SMS."""

    def data(**overrides):
        from manyi import clock

        now = clock.now()
        return {
            "name": "十一月满意度调查",
            "unit": world.company.pk,
            "version": version("csi").pk,
            "channels": ["sms"],
            "starts_at": now,
            "deadline_at": now + dt.timedelta(days=14),
            "reminder_after_hours": 48,
            **overrides,
        }

    return data


CSI_ALL_FIVES = {f"q{n}": 5 for n in range(1, 17)}
