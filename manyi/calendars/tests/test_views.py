"""Calendar pages: happy path, bad input, wrong role, outsider, another company."""

import datetime as dt

import pytest

from conftest import PASSWORD
from manyi.calendars import actions
from manyi.calendars.models import CalendarYear, DayOverride, WorkingHours

D = dt.date
PAGES = [
    "/calendar/",
    "/calendar/2026/",
    "/calendar/2026/import/",
    "/calendar/2026/schedule.xlsx",
    "/calendar/days/2026-02-14/",
    "/calendar/hours/",
    "/calendar/deadline/",
]


def login(client, username):
    assert client.login(username=username, password=PASSWORD)
    return client


def text(response) -> str:
    return response.content.decode()


def test_the_year_page_shows_the_festival_and_the_makeup_days(client, world, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC), tick=False)
    login(client, "head")
    assert client.get("/calendar/")["Location"] == "/calendar/2026/"
    response = client.get("/calendar/2026/")
    assert response.status_code == 200
    page = text(response)
    assert "春节" in page and 'class="day makeup"' in page and 'class="day holiday"' in page
    assert 'class="card warning"' not in page
    view = response.context["view"]
    # 2026 has 104 weekend days. Weekday holidays: 元旦 01-01, 01-02; 春节 02-16 to 02-20 and
    # 02-23; 清明 04-06; 劳动节 05-01, 05-04, 05-05; 端午 06-19; 中秋 09-25; 国庆 10-01, 10-02,
    # 10-05 to 10-07: 19. Make-up days: 01-04, 02-14, 02-28, 05-09, 09-20, 10-10: 6.
    # 365 − 104 − 19 + 6 = 248 workdays.
    assert (view.workdays, view.holidays_on_workdays, view.makeup_workdays) == (248, 19, 6)


def test_a_year_without_its_official_schedule_warns(client, world):
    login(client, "head")
    page = text(client.get("/calendar/2027/"))
    assert 'class="card warning"' in page and "春节" in page


def test_the_year_page_refuses_years_out_of_range(client, world):
    login(client, "head")
    assert client.get("/calendar/1999/").status_code == 404
    assert client.get("/calendar/days/2026-02-30/").status_code == 404


@pytest.mark.parametrize("persona", ["manager", "rep", "tech", "inspector", "auditor", "analyst"])
@pytest.mark.parametrize("url", PAGES)
def test_other_roles_get_403(client, world, persona, url):
    login(client, persona)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", PAGES)
def test_an_outsider_gets_403_and_anonymous_the_login(client, world, url):
    assert client.get(url)["Location"].startswith("/login/")
    login(client, "outsider")
    assert client.get(url).status_code == 403


def test_the_menu_offers_the_calendar_to_heads_only(client, world):
    login(client, "head")
    assert 'href="/calendar/"' in text(client.get("/"))
    client.logout()
    login(client, "manager")
    assert 'href="/calendar/"' not in text(client.get("/"))


# -- days ---------------------------------------------------------------------------------------


def test_an_admin_declares_a_2027_makeup_workday(client, world):
    login(client, "admin_role")
    page = client.get("/calendar/days/2027-01-30/")
    assert page.status_code == 200 and page.context["segments"] == []  # a Saturday
    response = client.post("/calendar/days/2027-01-30/", {"kind": "workday", "name": "春节"})
    assert response.status_code == 302 and response["Location"] == "/calendar/2027/"
    day = DayOverride.objects.get(company=world.company, date=D(2027, 1, 30))
    assert (day.kind, day.name, day.source) == ("workday", "春节", "manual")
    assert len(client.get("/calendar/days/2027-01-30/").context["segments"]) == 2


def test_bad_day_input_is_shown_on_the_form(client, world):
    login(client, "head")
    response = client.post("/calendar/days/2027-01-30/", {"kind": "party", "name": ""})
    assert response.status_code == 200 and "kind" in response.context["form"].errors
    assert not DayOverride.objects.filter(date=D(2027, 1, 30)).exists()


def test_go_to_a_date(client, world):
    login(client, "head")
    assert client.get("/calendar/days/?date=2027-05-01")["Location"] == "/calendar/days/2027-05-01/"
    assert client.get("/calendar/days/?date=nonsense")["Location"] == "/calendar/"


def test_removing_a_day(client, world):
    login(client, "head")
    actions.set_day(actor=world.head, company=world.company, date=D(2027, 1, 30), kind="workday")
    assert client.get("/calendar/days/2027-01-30/delete/").status_code == 405
    response = client.post("/calendar/days/2027-01-30/delete/")
    assert response.status_code == 302
    assert not DayOverride.objects.filter(date=D(2027, 1, 30)).exists()
    assert client.post("/calendar/days/2027-01-30/delete/").status_code == 404


def test_a_manager_cannot_post_a_day(client, world):
    login(client, "manager")
    response = client.post("/calendar/days/2027-01-30/", {"kind": "workday"})
    assert response.status_code == 403
    assert not DayOverride.objects.exists()


def test_another_company_edits_only_its_own_calendar(client, world):
    login(client, "other_head")
    client.post("/calendar/days/2027-01-30/", {"kind": "workday", "name": "别家"})
    day = DayOverride.objects.get(date=D(2027, 1, 30))
    assert day.company == world.other_company
    # Our outlets' hours are not theirs to see or change.
    assert client.get(f"/calendar/hours/{world.east1.pk}/").status_code == 404
    assert client.get(f"/calendar/hours/{world.company.pk}/").status_code == 404


# -- year actions -------------------------------------------------------------------------------


def test_reload_and_mark_known(client, world):
    login(client, "head")
    client.get("/calendar/2027/")
    assert client.post("/calendar/2027/known/", {"fully_known": "1"}).status_code == 302
    assert CalendarYear.objects.get(company=world.company, year=2027).fully_known
    assert 'class="card warning"' not in text(client.get("/calendar/2027/"))
    client.post("/calendar/2027/known/", {"fully_known": "0"})
    assert not CalendarYear.objects.get(company=world.company, year=2027).fully_known
    DayOverride.objects.filter(company=world.company).delete()
    assert client.post("/calendar/2027/reseed/").status_code == 302
    assert DayOverride.objects.filter(company=world.company, date=D(2027, 2, 8)).exists()


def test_year_actions_refuse_other_roles(client, world):
    login(client, "rep")
    assert client.post("/calendar/2027/known/", {"fully_known": "1"}).status_code == 403
    assert client.post("/calendar/2027/reseed/").status_code == 403
    assert not CalendarYear.objects.exists()


# -- working hours ------------------------------------------------------------------------------


def test_set_an_outlets_hours_then_reset(client, world):
    login(client, "head")
    page = text(client.get("/calendar/hours/"))
    assert world.east1.name in page and "08:30–12:00" in page
    url = f"/calendar/hours/{world.east1.pk}/"
    form = client.get(url).context["form"]
    assert form.initial["day_0"] == "08:30-12:00, 13:30-17:30" and form.initial["day_6"] == ""
    data = {f"day_{i}": "9:00 – 21:00" for i in range(7)}
    response = client.post(url, data)
    assert response.status_code == 302
    hours = WorkingHours.objects.get(outlet=world.east1)
    assert hours.week == [[["09:00", "21:00"]]] * 7
    assert "09:00–21:00" in text(client.get("/calendar/hours/"))
    assert client.post(f"{url}reset/").status_code == 302
    assert not WorkingHours.objects.filter(outlet=world.east1).exists()


def test_company_hours_with_chinese_punctuation(client, world):
    login(client, "head")
    data = {f"day_{i}": "08：00至11：30，13：00至17：00" for i in range(5)}
    data.update(day_5="", day_6="休")
    assert client.post(f"/calendar/hours/{world.company.pk}/", data).status_code == 302
    hours = WorkingHours.objects.get(company=world.company, outlet=None)
    assert hours.week[0] == [["08:00", "11:30"], ["13:00", "17:00"]] and hours.week[6] == []


@pytest.mark.parametrize(
    "monday", ["12:00-08:30", "08:30-12:00, 11:00-13:00", "8-12", "08:30-12:00-13:00"]
)
def test_bad_hours_are_shown_next_to_their_day(client, world, monday):
    login(client, "head")
    data = {f"day_{i}": "08:30-12:00" for i in range(7)}
    data["day_0"] = monday
    response = client.post(f"/calendar/hours/{world.company.pk}/", data)
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["day_0"]
    assert not WorkingHours.objects.exists()


def test_a_region_has_no_hours_page(client, world):
    login(client, "head")
    assert client.get(f"/calendar/hours/{world.east.pk}/").status_code == 404


# -- deadline check -----------------------------------------------------------------------------


def test_the_deadline_check_computes_and_warns(client, world):
    login(client, "head")
    assert client.get("/calendar/deadline/").status_code == 200
    query = {"start": "2026-02-13T17:00", "unit": world.company.pk, "rule": "business_days"}
    response = client.get("/calendar/deadline/", {**query, "amount": "1"})
    result = response.context["result"]
    assert result["deadline"] == dt.datetime(2026, 2, 14, 17, 30, tzinfo=result["deadline"].tzinfo)
    assert result["warnings"] == []
    response = client.get(
        "/calendar/deadline/", {**query, "start": "2026-12-31T17:00", "amount": "1"}
    )
    assert response.context["result"]["warnings"]
    assert 'role="alert"' in text(response)


def test_the_deadline_check_rejects_fractional_days(client, world):
    login(client, "head")
    query = {"start": "2026-03-04T10:00", "unit": world.company.pk, "rule": "calendar_days"}
    response = client.get("/calendar/deadline/", {**query, "amount": "1.5"})
    assert response.context["result"] is None and "amount" in response.context["form"].errors


def test_the_year_page_has_a_query_budget(client, world, django_assert_max_num_queries):
    login(client, "head")
    client.get("/calendar/2026/")  # seeds the year
    for day in ("2026-03-02", "2026-03-03", "2026-03-04"):
        client.post(f"/calendar/days/{day}/", {"kind": "holiday", "name": "年会"})
    with django_assert_max_num_queries(12):
        assert client.get("/calendar/2026/").status_code == 200
