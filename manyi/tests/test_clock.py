"""The domain clock: real time by default, a chosen moment inside a simulation."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from manyi import clock


def test_now_is_real_time_outside_a_simulation():
    assert abs((clock.now() - timezone.now()).total_seconds()) < 5


def test_travel_sets_and_restores():
    moment = dt.datetime(2026, 2, 13, 16, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with clock.travel(moment):
        assert clock.now() == moment
    assert clock.now() != moment


def test_travel_refuses_naive_times():
    naive = dt.datetime(2026, 1, 1)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="aware"), clock.travel(naive):
        pass
