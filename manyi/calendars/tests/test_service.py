"""Deadlines on the business calendar, computed by hand against the official 2026 schedule.

The 2026 schedule as chinese-calendar 1.11 carries it (国务院办公厅 2025 notice), checked in the
library before writing these tests:
- 春节: off Sun 2026-02-15 to Mon 02-23 (nine days); make-up workdays Sat 02-14 and Sat 02-28.
- 元旦: off Thu 01-01 to Sat 01-03 (Fri 01-02 swapped); make-up workday Sun 01-04.
2027 is not published yet: chinese-calendar does not know it, and holidays.China gives its
statutory days only, among them 元旦 Fri 2027-01-01 and 春节 Fri 02-05 (除夕) to Wed 02-10
(including two weekdays in lieu, 补假).

Default hours: Monday–Friday 08:30–12:00 and 13:30–17:30.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from manyi.calendars import actions
from manyi.calendars.service import (
    BusinessCalendar,
    NoWorkingTime,
    Sla,
    SlaUnit,
    calendar_for,
)
from manyi.errors import both_languages

SH = ZoneInfo("Asia/Shanghai")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


@pytest.fixture
def cal(world):
    return calendar_for(world.company, years=[2026, 2027])


# -- next business day --------------------------------------------------------------------------


def test_next_business_day_from_friday_before_spring_festival_is_the_makeup_saturday(cal):
    # Taken Fri 2026-02-13 17:00. The next workday is Sat 02-14, a make-up workday (调休上班)
    # for the Spring Festival, worked with a normal weekday's hours: due at its close, 17:30.
    assert cal.next_business_day(at(2026, 2, 13, 17, 0)) == at(2026, 2, 14, 17, 30)


def test_next_business_day_from_the_makeup_saturday_skips_the_whole_festival(cal):
    # Taken Sat 2026-02-14 (a workday) 16:00: Sun 15 to Mon 23 are off; Tue 02-24 is the first
    # workday after the Spring Festival.
    assert cal.next_business_day(at(2026, 2, 14, 16, 0)) == at(2026, 2, 24, 17, 30)


def test_next_business_day_from_an_ordinary_friday_is_monday(cal):
    assert cal.next_business_day(at(2026, 3, 6, 9, 0)) == at(2026, 3, 9, 17, 30)


def test_business_days_count_workdays_after_the_start_date(cal):
    # Wed 2026-09-30: Thu 10-01 to Wed 10-07 are National Day holidays, Sat 10-10 is a make-up
    # workday: the 1st business day after is Thu 10-08, the 2nd Fri 10-09, the 3rd Sat 10-10.
    start = at(2026, 9, 30, 10, 0)
    assert cal.add_business_days(start, 1) == at(2026, 10, 8, 17, 30)
    assert cal.add_business_days(start, 3) == at(2026, 10, 10, 17, 30)


def test_zero_business_days_is_the_same_workday_or_the_next(cal):
    assert cal.add_business_days(at(2026, 3, 4, 10, 0), 0) == at(2026, 3, 4, 17, 30)
    # After the close the same day is over: the next workday's close.
    assert cal.add_business_days(at(2026, 3, 4, 18, 0), 0) == at(2026, 3, 5, 17, 30)


# -- business hours -----------------------------------------------------------------------------


def test_two_business_hours_from_1130_skip_the_lunch_break(cal):
    # Wed 2026-03-04 11:30: 30 minutes to 12:00, lunch 12:00-13:30 does not count, the other
    # 90 minutes run 13:30-15:00.
    assert cal.add_business_hours(at(2026, 3, 4, 11, 30), 2) == at(2026, 3, 4, 15, 0)
    # One business hour from 11:30 ends at 14:00.
    assert cal.add_business_hours(at(2026, 3, 4, 11, 30), 1) == at(2026, 3, 4, 14, 0)


def test_business_hours_started_on_a_makeup_saturday_count_that_saturday(cal):
    # Sat 2026-02-28 is a make-up workday: 11:30 + 2 h = 12:00 (0.5 h) then 13:30-15:00.
    assert cal.add_business_hours(at(2026, 2, 28, 11, 30), 2) == at(2026, 2, 28, 15, 0)


def test_business_hours_across_a_weekend(cal):
    # Fri 2026-03-06 16:30: 1 h to 17:30; Sat and Sun off; Mon 03-09 08:30 + 3 h = 11:30.
    assert cal.add_business_hours(at(2026, 3, 6, 16, 30), 4) == at(2026, 3, 9, 11, 30)


def test_business_hours_across_the_spring_festival(cal):
    # Fri 2026-02-13 17:00: 0.5 h to 17:30; Sat 02-14 (make-up) 08:30-12:00 and 13:30-17:30 is
    # 7.5 h; then Sun 15 to Mon 23 are off; Tue 02-24 08:30 + 2 h = 10:30. Total 10 h.
    assert cal.add_business_hours(at(2026, 2, 13, 17, 0), 10) == at(2026, 2, 24, 10, 30)


def test_start_outside_working_time_begins_at_the_next_segment(cal):
    assert cal.add_business_hours(at(2026, 3, 7, 10, 0), 1) == at(2026, 3, 9, 9, 30)  # Saturday
    assert cal.add_business_hours(at(2026, 3, 4, 12, 30), 1) == at(2026, 3, 4, 14, 30)  # lunch
    assert cal.add_business_hours(at(2026, 3, 4, 6, 0), 1) == at(2026, 3, 4, 9, 30)  # early


def test_hours_that_end_exactly_at_the_close_end_that_day(cal):
    assert cal.add_business_hours(at(2026, 3, 4, 15, 30), 2) == at(2026, 3, 4, 17, 30)


def test_hours_may_be_decimal_float_or_timedelta(cal):
    start = at(2026, 3, 4, 8, 30)
    expected = at(2026, 3, 4, 10, 0)
    assert cal.add_business_hours(start, Decimal("1.5")) == expected
    assert cal.add_business_hours(start, 1.5) == expected
    assert cal.add_business_hours(start, dt.timedelta(minutes=90)) == expected


def test_zero_hours_never_move_the_deadline_and_negative_or_naive_are_refused(cal):
    start = at(2026, 3, 7, 10, 0)  # a Saturday
    assert cal.add_business_hours(start, 0) == start
    with pytest.raises(ValueError):
        cal.add_business_hours(start, -1)
    with pytest.raises(ValueError):
        cal.add_business_hours(dt.datetime(2026, 3, 4, 10, 0), 1)  # noqa: DTZ001 - the point


def test_a_utc_start_is_read_in_china_time(cal):
    # 03:30 UTC is 11:30 in Shanghai.
    start = dt.datetime(2026, 3, 4, 3, 30, tzinfo=dt.UTC)
    assert cal.add_business_hours(start, 1) == at(2026, 3, 4, 14, 0)


# -- calendar days, time between ----------------------------------------------------------------


def test_calendar_days_end_at_the_end_of_the_day_holidays_or_not(cal):
    # Fri 2026-02-13 + 7 calendar days = Fri 02-20 (inside the festival), end of day.
    assert cal.add_calendar_days(at(2026, 2, 13, 10, 0), 7) == at(2026, 2, 20, 23, 59, 59)
    assert cal.add_calendar_days(at(2026, 2, 13, 10, 0), 0) == at(2026, 2, 13, 23, 59, 59)


def test_business_time_between_counts_working_time_only(cal):
    a, b = at(2026, 3, 6, 16, 30), at(2026, 3, 9, 11, 30)
    assert cal.business_time_between(a, b) == dt.timedelta(hours=4)
    assert cal.business_time_between(b, a) == -dt.timedelta(hours=4)
    # The lunch break does not count: 11:30 to 14:00 is one business hour.
    assert cal.business_time_between(at(2026, 3, 4, 11, 30), at(2026, 3, 4, 14)) == dt.timedelta(
        hours=1
    )
    # The whole Spring Festival week has none.
    assert cal.business_time_between(at(2026, 2, 15), at(2026, 2, 24)) == dt.timedelta()


def test_working_segments_and_workdays(cal):
    assert cal.working_segments(dt.date(2026, 3, 4)) == [
        (at(2026, 3, 4, 8, 30), at(2026, 3, 4, 12, 0)),
        (at(2026, 3, 4, 13, 30), at(2026, 3, 4, 17, 30)),
    ]
    assert cal.working_segments(dt.date(2026, 2, 17)) == []  # 春节
    assert cal.is_workday(dt.date(2026, 1, 4))  # a Sunday, make-up workday for 元旦
    assert not cal.is_workday(dt.date(2026, 1, 2))  # a Friday, swapped off
    assert not cal.is_workday(dt.date(2026, 3, 7))  # an ordinary Saturday


def test_sla_rules_express_every_kind_of_limit(cal):
    start = at(2026, 3, 4, 11, 30)
    assert Sla(SlaUnit.BUSINESS_HOURS, 2).deadline(cal, start) == at(2026, 3, 4, 15, 0)
    assert Sla(SlaUnit.BUSINESS_DAYS, 1).deadline(cal, start) == at(2026, 3, 5, 17, 30)
    assert Sla(SlaUnit.CALENDAR_DAYS, 3).deadline(cal, start) == at(2026, 3, 7, 23, 59, 59)
    with translation.override("en"):
        assert str(Sla(SlaUnit.BUSINESS_HOURS, Decimal("2.50")).describe()) == (
            "within 2.5 business hours"
        )


# -- per-outlet hours ---------------------------------------------------------------------------


def test_an_outlet_with_its_own_hours_computes_on_them(world):
    # The Xuhui shop opens every day 09:00-21:00; the company keeps the default office hours.
    actions.set_working_hours(actor=world.head, unit=world.east1, week=[[["09:00", "21:00"]]] * 7)
    saturday = at(2026, 3, 7, 10, 0)
    outlet = calendar_for(world.east1, years=[2026])
    assert outlet.own_hours
    assert outlet.add_business_hours(saturday, 2) == at(2026, 3, 7, 12, 0)
    # Its holidays are still the company's: 2026-02-17 (春节) is off.
    assert not outlet.is_workday(dt.date(2026, 2, 17))
    # Another outlet works the company's hours: Monday 08:30 + 2 h.
    other = calendar_for(world.east2, years=[2026])
    assert not other.own_hours
    assert other.add_business_hours(saturday, 2) == at(2026, 3, 9, 10, 30)


def test_company_hours_apply_to_outlets_without_their_own(world):
    actions.set_working_hours(
        actor=world.head, unit=world.company, week=[[["09:00", "18:00"]]] * 5 + [[], []]
    )
    assert calendar_for(world.east2, years=[2026]).add_business_hours(
        at(2026, 3, 4, 17, 0), 2
    ) == at(2026, 3, 5, 10, 0)


# -- a year the calendar does not fully know ------------------------------------------------------


def test_2027_uses_the_statutory_days_and_warns(cal):
    assert cal.is_fully_known(2026)
    assert not cal.is_fully_known(2027)
    # Thu 2027-02-04 17:00: Fri 02-05 (除夕) to Wed 02-10 are statutory days off (with the
    # weekend and two days in lieu); the next workday known is Thu 02-11.
    start = at(2027, 2, 4, 17, 0)
    due = cal.next_business_day(start)
    assert due == at(2027, 2, 11, 17, 30)
    [warning] = cal.warnings_for(due, start=start)
    text = both_languages(warning)
    assert "2027" in text["zh"] and "2027" in text["en"]
    assert "statutory" in text["en"]


def test_a_deadline_crossing_into_2027_warns(cal):
    # Thu 2026-12-31 17:00: Fri 2027-01-01 is 元旦; the next workday is Mon 01-04.
    start = at(2026, 12, 31, 17, 0)
    due = cal.next_business_day(start)
    assert due == at(2027, 1, 4, 17, 30)
    assert cal.warnings_for(due, start=start)
    # Inside 2026 there is nothing to warn about.
    inside = cal.next_business_day(at(2026, 3, 4, 10, 0))
    assert cal.warnings_for(inside, start=at(2026, 3, 4, 10, 0)) == []


def test_an_admins_makeup_workday_in_2027_changes_the_deadline(world):
    start = at(2027, 1, 29, 17, 0)  # a Friday
    assert calendar_for(world.company, years=[2027]).next_business_day(start) == at(
        2027, 2, 1, 17, 30
    )
    # The State Council publishes 2027: Sat 01-30 is a make-up workday. The admin enters it.
    actions.set_day(
        actor=world.head, company=world.company, date=dt.date(2027, 1, 30), kind="workday",
        name="春节",
    )  # fmt: skip
    cal = calendar_for(world.company, years=[2027])
    assert cal.next_business_day(start) == at(2027, 1, 30, 17, 30)
    assert cal.warnings_for(cal.next_business_day(start)), "still not marked fully known"
    actions.set_year_known(actor=world.head, company=world.company, year=2027, fully_known=True)
    cal = calendar_for(world.company, years=[2027])
    assert cal.warnings_for(cal.next_business_day(start)) == []


def test_a_year_not_loaded_is_loaded_when_a_computation_reaches_it(world):
    cal = calendar_for(world.company, years=[2026])
    assert 2027 not in cal.known
    assert cal.next_business_day(at(2026, 12, 31, 17, 0)) == at(2027, 1, 4, 17, 30)
    assert cal.known[2027] is False


def test_default_years_follow_today(world, time_machine):
    time_machine.move_to(at(2026, 6, 1, 9, 0), tick=False)
    cal = calendar_for(world.company)
    assert set(cal.known) == {2025, 2026, 2027}


def test_a_week_without_working_time_stops_instead_of_looping():
    empty = BusinessCalendar(company_id=0, week=((),) * 7)
    with pytest.raises(NoWorkingTime):
        empty.add_business_hours(at(2026, 3, 4, 10, 0), 1)
    with pytest.raises(NoWorkingTime):
        empty.next_business_day(at(2026, 3, 4, 10, 0))


# -- speed --------------------------------------------------------------------------------------


def test_loading_a_calendar_takes_three_queries_once_seeded(world, django_assert_num_queries):
    calendar_for(world.east1, years=[2026, 2027])  # seeds both years
    with django_assert_num_queries(3):
        calendar_for(world.east1, years=[2026, 2027])


def test_a_hundred_deadlines_need_no_query(world, django_assert_num_queries):
    cal = calendar_for(world.east1, years=[2026, 2027])
    starts = [at(2026, 1, 1, 8) + dt.timedelta(hours=89 * i) for i in range(100)]
    with django_assert_num_queries(0):
        deadlines = [cal.add_business_hours(s, 8) for s in starts]
        deadlines += [cal.next_business_day(s) for s in starts]
        deadlines += [cal.add_calendar_days(s, 7) for s in starts]
        warnings = [cal.warnings_for(d, start=s) for s, d in zip(starts, deadlines, strict=False)]
    assert all(d >= s for s, d in zip(starts * 3, deadlines, strict=True))
    assert any(warnings) and not all(warnings)
