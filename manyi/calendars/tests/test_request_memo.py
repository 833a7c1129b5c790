"""Within one request a unit's calendar is loaded once; an edit in that request is seen."""

import datetime as dt

import pytest

from manyi.calendars import actions
from manyi.calendars.service import calendar_for, request_memo

pytestmark = pytest.mark.django_db


def test_calendar_is_loaded_once_per_request_and_not_across(
    world, django_assert_num_queries, django_assert_max_num_queries
):
    calendar_for(world.east1)  # seeds the years once
    with request_memo():
        with django_assert_max_num_queries(4):
            first = calendar_for(world.east1)
        with django_assert_num_queries(0):
            assert calendar_for(world.east1) is first
    with django_assert_max_num_queries(4):
        assert calendar_for(world.east1) is not first  # a new request loads again


def test_an_edit_in_the_request_is_seen_by_later_reads(world):
    day = dt.date(2026, 11, 27)  # a Friday
    with request_memo():
        assert calendar_for(world.east1).is_workday(day)
        actions.set_day(
            actor=world.head, company=world.company, date=day, kind="holiday", name="店庆"
        )
        assert not calendar_for(world.east1).is_workday(day)
