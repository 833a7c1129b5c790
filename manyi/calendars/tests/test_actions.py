"""Calendar actions: seeding from the libraries, days, years, working hours — the change, the
audit row, each rejection."""

import datetime as dt

import pytest
from django.core.management import call_command

from conftest import fresh_user
from manyi.calendars import actions, library
from manyi.calendars.library import LibraryDay, LibrarySchedule
from manyi.calendars.models import CalendarYear, DayKind, DayOverride, DaySource, WorkingHours
from manyi.errors import InvalidInput, OutOfScope
from manyi.org.models import AuditAction, AuditEntry

D = dt.date


def days_of(company, year):
    return {
        d.date: d
        for d in DayOverride.objects.filter(company=company, date__year=year).order_by("date")
    }


# -- seeding ------------------------------------------------------------------------------------


def test_seeding_2026_loads_the_official_schedule(world):
    [row] = actions.seed_from_library(world.company, [2026])
    assert row.fully_known and row.seeded_with.startswith("chinese-calendar")
    days = days_of(world.company, 2026)
    assert (days[D(2026, 2, 17)].kind, days[D(2026, 2, 17)].name) == (DayKind.HOLIDAY, "春节")
    # Both make-up Saturdays of the Spring Festival, and National Day's make-up Sunday 09-20.
    for makeup in (D(2026, 2, 14), D(2026, 2, 28), D(2026, 9, 20), D(2026, 10, 10)):
        assert days[makeup].kind == DayKind.WORKDAY
    assert days[D(2026, 2, 14)].name == "春节"
    assert {d.source for d in days.values()} == {DaySource.LIBRARY}
    entry = AuditEntry.objects.get(object_type="calendars.calendaryear", object_id=str(row.pk))
    assert entry.action == AuditAction.CREATE and entry.actor is None


def test_seeding_2027_gives_statutory_days_only_and_not_fully_known(world):
    [row] = actions.seed_from_library(world.company, [2027])
    assert not row.fully_known and row.seeded_with.startswith("holidays")
    days = days_of(world.company, 2027)
    assert days[D(2027, 1, 1)].kind == DayKind.HOLIDAY
    assert days[D(2027, 2, 8)].name == "春节"
    assert not [d for d in days.values() if d.kind == DayKind.WORKDAY]


def test_reseeding_keeps_days_entered_by_hand_and_is_idempotent(world):
    actions.seed_from_library(world.company, [2026])
    actions.set_day(
        actor=world.head, company=world.company, date=D(2026, 2, 17), kind="workday", name="值班"
    )
    before = len(days_of(world.company, 2026))
    actions.seed_from_library(world.company, [2026])
    days = days_of(world.company, 2026)
    assert len(days) == before
    assert (days[D(2026, 2, 17)].kind, days[D(2026, 2, 17)].source) == ("workday", "manual")


def test_ensure_seeded_seeds_once(world, django_assert_num_queries):
    row = actions.ensure_seeded(world.company, 2026)
    assert row.fully_known
    with django_assert_num_queries(1):
        assert actions.ensure_seeded(world.company, 2026).pk == row.pk
    assert CalendarYear.objects.filter(company=world.company, year=2026).count() == 1


def test_a_statutory_only_year_is_upgraded_when_the_library_learns_it(world, monkeypatch):
    actions.ensure_seeded(world.company, 2027)
    published = LibrarySchedule(
        2027,
        (
            LibraryDay(D(2027, 2, 6), DayKind.HOLIDAY, "春节"),
            LibraryDay(D(2027, 2, 20), DayKind.WORKDAY, "春节"),
        ),
        True,
        "chinese-calendar 9.9",
    )
    monkeypatch.setattr(library, "chinese_calendar_knows", lambda year: True)
    monkeypatch.setattr(library, "schedule_for", lambda year: published)
    row = actions.ensure_seeded(world.company, 2027)
    assert row.fully_known and row.seeded_with == "chinese-calendar 9.9"
    assert set(days_of(world.company, 2027)) == {D(2027, 2, 6), D(2027, 2, 20)}


def test_seeding_by_an_actor_needs_the_right(world):
    with pytest.raises(OutOfScope):
        actions.seed_from_library(world.company, [2026], actor=fresh_user(world.manager))
    with pytest.raises(OutOfScope):
        actions.seed_from_library(world.company, [2026], actor=fresh_user(world.other_head))
    assert not CalendarYear.objects.exists()


def test_seed_calendar_command(world, capsys):
    call_command("seed_calendar", "--years", "2026", "2027", "--company", "T")
    out = capsys.readouterr().out
    assert "T 2026: fully known" in out and "T 2027: NOT fully known" in out
    assert CalendarYear.objects.filter(company=world.company).count() == 2
    assert not CalendarYear.objects.filter(company=world.other_company).exists()
    call_command("seed_calendar", "--years", "2026")
    assert CalendarYear.objects.filter(company=world.other_company, year=2026).exists()


def test_seed_calendar_command_refuses_bad_input(world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("seed_calendar", "--years", "1800")
    with pytest.raises(CommandError):
        call_command("seed_calendar", "--company", "NOPE")


# -- days ---------------------------------------------------------------------------------------


def test_set_day_creates_then_changes_and_audits(world):
    day = actions.set_day(
        actor=world.head, company=world.company, date=D(2027, 1, 30), kind="workday", name="春节"
    )
    assert (day.kind, day.source) == ("workday", "manual")
    actions.set_day(
        actor=world.head, company=world.company, date=D(2027, 1, 30), kind="holiday", name="年会"
    )
    day.refresh_from_db()
    assert (day.kind, day.name) == ("holiday", "年会")
    entries = AuditEntry.objects.filter(object_type="calendars.dayoverride", object_id=str(day.pk))
    assert [e.action for e in entries.order_by("id")] == [AuditAction.CREATE, AuditAction.UPDATE]
    assert entries.order_by("id").last().changes["kind"] == ["workday", "holiday"]


def test_set_day_overrides_a_library_day(world):
    actions.ensure_seeded(world.company, 2026)
    day = actions.set_day(
        actor=world.head, company=world.company, date=D(2026, 2, 16), kind="workday"
    )
    assert day.source == DaySource.MANUAL and DayOverride.objects.filter(pk=day.pk).exists()


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"kind": "party"}, "kind"),
        ({"name": "长" * 51}, "name"),
        ({"date": D(1999, 1, 1)}, "date"),
    ],
)
def test_set_day_rejects_bad_input(world, kwargs, field):
    values = {"date": D(2027, 1, 30), "kind": "workday", "name": "", **kwargs}
    with pytest.raises(InvalidInput) as caught:
        actions.set_day(actor=world.head, company=world.company, **values)
    assert caught.value.field == field
    assert not DayOverride.objects.filter(source="manual").exists()


@pytest.mark.parametrize("persona", ["manager", "rep", "analyst", "auditor", "outsider"])
def test_only_admins_and_heads_change_days(world, persona):
    with pytest.raises(OutOfScope):
        actions.set_day(
            actor=fresh_user(world.users[persona]),
            company=world.company,
            date=D(2027, 1, 30),
            kind="workday",
        )
    assert not DayOverride.objects.exists()


def test_the_administrator_role_may_change_days(world):
    actions.set_day(
        actor=fresh_user(world.admin_role),
        company=world.company,
        date=D(2027, 1, 30),
        kind="workday",
    )
    assert DayOverride.objects.filter(date=D(2027, 1, 30)).exists()


def test_another_companys_head_cannot_touch_our_calendar(world):
    with pytest.raises(OutOfScope):
        actions.set_day(
            actor=fresh_user(world.other_head),
            company=world.company,
            date=D(2027, 1, 30),
            kind="workday",
        )


def test_remove_day_audits_and_deletes(world):
    day = actions.set_day(
        actor=world.head, company=world.company, date=D(2027, 1, 30), kind="workday"
    )
    with pytest.raises(OutOfScope):
        actions.remove_day(actor=fresh_user(world.manager), day=day)
    actions.remove_day(actor=world.head, day=day)
    assert not DayOverride.objects.filter(pk=day.pk).exists()
    assert AuditEntry.objects.filter(
        object_type="calendars.dayoverride", object_id=str(day.pk), action=AuditAction.DELETE
    ).exists()


def test_set_year_known(world):
    row = actions.set_year_known(
        actor=world.head, company=world.company, year=2027, fully_known=True
    )
    assert row.fully_known
    assert AuditEntry.objects.filter(
        object_type="calendars.calendaryear", object_id=str(row.pk), action=AuditAction.UPDATE
    ).exists()
    with pytest.raises(OutOfScope):
        actions.set_year_known(
            actor=fresh_user(world.analyst), company=world.company, year=2027, fully_known=False
        )
    with pytest.raises(InvalidInput):
        actions.set_year_known(actor=world.head, company=world.company, year=3000, fully_known=True)


# -- working hours ------------------------------------------------------------------------------

OFFICE = [[["08:00", "12:00"], ["13:00", "17:00"]]] * 5 + [[], []]


def test_set_working_hours_for_the_company_and_an_outlet(world):
    hours = actions.set_working_hours(actor=world.head, unit=world.company, week=OFFICE)
    assert hours.outlet is None and hours.week == OFFICE
    shop = actions.set_working_hours(
        actor=world.head, unit=world.east1, week=[[["9:00", "21:00"]]] * 7
    )
    assert shop.outlet == world.east1 and shop.week[0] == [["09:00", "21:00"]]
    actions.set_working_hours(actor=world.head, unit=world.east1, week=[[["10:00", "22:00"]]] * 7)
    assert WorkingHours.objects.filter(company=world.company).count() == 2
    entries = AuditEntry.objects.filter(
        object_type="calendars.workinghours", object_id=str(shop.pk)
    )
    assert entries.count() == 2
    assert "10:00-22:00" in entries.order_by("id").last().changes["week"][1]


@pytest.mark.parametrize(
    "day",
    [
        [["12:00", "08:30"]],  # ends before it starts
        [["08:30", "12:00"], ["11:00", "17:00"]],  # overlaps
        [["13:30", "17:30"], ["08:30", "12:00"]],  # out of order
        [["08:30", "25:00"]],  # not within the day
        [["8.30", "12"]],  # not a time
    ],
)
def test_bad_working_hours_are_refused_on_their_day(world, day):
    week = [day] + OFFICE[1:]
    with pytest.raises(InvalidInput) as caught:
        actions.set_working_hours(actor=world.head, unit=world.company, week=week)
    assert [f for f, _m in caught.value.errors] == ["day_0"]
    assert not WorkingHours.objects.exists()


def test_a_week_without_working_time_is_refused(world):
    with pytest.raises(InvalidInput):
        actions.set_working_hours(actor=world.head, unit=world.company, week=[[]] * 7)
    with pytest.raises(InvalidInput):
        actions.set_working_hours(actor=world.head, unit=world.company, week=[[]] * 6)


def test_working_hours_belong_to_the_company_or_an_outlet_in_scope(world):
    with pytest.raises(InvalidInput):
        actions.set_working_hours(actor=world.head, unit=world.east, week=OFFICE)
    with pytest.raises(OutOfScope):
        actions.set_working_hours(actor=fresh_user(world.manager), unit=world.east1, week=OFFICE)
    with pytest.raises(OutOfScope):
        actions.set_working_hours(actor=world.head, unit=world.other_outlet, week=OFFICE)
    assert not WorkingHours.objects.exists()


def test_clear_working_hours_returns_an_outlet_to_the_company_hours(world):
    actions.set_working_hours(actor=world.head, unit=world.east1, week=OFFICE)
    with pytest.raises(InvalidInput):
        actions.clear_working_hours(actor=world.head, outlet=world.company)
    actions.clear_working_hours(actor=world.head, outlet=world.east1)
    assert not WorkingHours.objects.filter(outlet=world.east1).exists()
    assert AuditEntry.objects.filter(
        object_type="calendars.workinghours", action=AuditAction.DELETE
    ).exists()
