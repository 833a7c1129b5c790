"""Scoreboards (003 P-077..079) on a hand-built data set: every figure worked out below.

The period is October–November 2026 (Asia/Shanghai). Rows are written directly where the
figures need exact past moments (cases, their timelines, survey responses, praise, audits);
recognitions go through their action.
"""

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
import time_machine

from conftest import assert_problem, auth, fresh_user, send
from manyi.cases.models import Case, CaseEvent, EventKind
from manyi.complaints.models import Complaint
from manyi.customers.models import Customer
from manyi.errors import Conflict, InvalidInput, NotFound, OutOfScope
from manyi.instruments.models import Instrument
from manyi.org.scopes import scope_for
from manyi.quality.models import Audit, AuditTemplate
from manyi.surveys.models import Praise, SurveyResponse
from manyi.team.actions.recognition import recognise
from manyi.team.models import Recognition
from manyi.team.queries import scoreboard as boards

SH = ZoneInfo("Asia/Shanghai")
PERIOD = boards.Period(dt.date(2026, 10, 1), dt.date(2026, 12, 1))
_NUMBERS = itertools.count(1)


def at(month, day, hour=9):
    return dt.datetime(2026, month, day, hour, tzinfo=SH)


class Data:
    def __init__(self, world, make_customer):
        self.world = world
        self.a = make_customer(name="甲", outlet=world.east1)
        self.b = make_customer(name="乙", outlet=world.east1)
        self.c = make_customer(name="丙", outlet=world.east2)
        Customer.objects.filter(pk=self.a.pk).update(created_at=at(10, 1))  # new in the period
        Customer.objects.filter(pk=self.b.pk).update(created_at=at(1, 1))
        Customer.objects.filter(pk=self.c.pk).update(created_at=at(1, 1))

    def case(self, staff, opened, closed=None, stage="done", customer=None, moves=(), unit=None):
        case = Case.objects.create(
            kind="workorder",
            number=f"SB-2026-{next(_NUMBERS):06d}",
            company_id=self.world.company.pk,
            unit=unit or self.world.east1,
            customer=customer or self.a,
            assignee=staff,
            stage=stage if closed else "service",
            title="测试",
            opened_at=opened,
            stage_entered_at=opened,
            closed_at=closed,
        )
        CaseEvent.objects.create(case=case, kind=EventKind.OPENED, at=opened)
        for moment in moves:
            CaseEvent.objects.create(case=case, kind=EventKind.MOVE, at=moment)
        return case


def response(world, version, staff, month, index, nps="", top2=None, unit=None):
    return SurveyResponse.objects.create(
        version=version,
        company_id=world.company.pk,
        unit=unit or world.east1,
        technician=staff,
        source="case",
        channel="sms",
        submitted_at=dt.datetime.combine(month, dt.time(10), tzinfo=SH),
        month=month,
        day=month,
        index=index,
        nps_category=nps,
        csat_top2=top2,
    )


@pytest.fixture
def data(world, make_customer):
    d = Data(world, make_customer)
    tech, sales = world.tech.staff, world.sales.staff
    # tech's cases: C1, C2 and C4 closed in the period (3 handled); C3 cancelled; C5 before.
    c1 = d.case(
        tech, at(10, 5), at(10, 20, 11), moves=[at(10, 5, 11), at(10, 6, 11), at(10, 20, 11)]
    )
    c2 = d.case(tech, at(11, 2), at(11, 10, 10), moves=[at(11, 2, 10), at(11, 10, 10)])
    d.case(tech, at(11, 3), at(11, 4), stage="cancelled", customer=d.b, moves=[at(11, 4)])
    d.case(tech, at(9, 20), at(10, 1, 10), moves=[at(9, 21, 10), at(10, 1, 10)])
    d.case(tech, at(8, 1), at(9, 30), moves=[at(9, 30)])
    # sales: one handled, a 96-hour passage.
    d.case(sales, at(11, 1), at(11, 5), customer=d.b, moves=[at(11, 5)])
    # east2: one handled case without an assignee.
    d.case(None, at(10, 2), at(10, 9), customer=d.c, unit=world.east2)
    # A missed deadline on C2 in November.
    CaseEvent.objects.create(case=c2, kind=EventKind.BREACH, at=at(11, 6))
    # Complaints: one about tech in November, a merged duplicate (left out), one at east2.
    first = _complaint(d, tech, world.east1, dt.date(2026, 11, 1))
    _complaint(d, tech, world.east1, dt.date(2026, 11, 1), merged_into=first)
    _complaint(d, None, world.east2, dt.date(2026, 10, 1))
    _complaint(d, tech, world.east1, dt.date(2026, 9, 1))  # before the period
    # Surveys about tech's cases: indexes 80, 60, 100, 40 → 70; NPS 2 promoters of 3 answered;
    # CSAT 2 satisfied of 3 answered; one in September left out.
    csat = Instrument.objects.get(company__isnull=True, code="csat").versions.get()
    response(world, csat, tech, dt.date(2026, 10, 1), 80, "promoter", True)
    response(world, csat, tech, dt.date(2026, 10, 1), 60, "passive", False)
    response(world, csat, tech, dt.date(2026, 11, 1), 100, "promoter", True)
    response(world, csat, tech, dt.date(2026, 11, 1), 40)
    response(world, csat, tech, dt.date(2026, 9, 1), 0, "detractor", False)
    # Praise: two in October, one in September.
    for month in (dt.date(2026, 10, 1), dt.date(2026, 10, 1), dt.date(2026, 9, 1)):
        Praise.objects.create(
            company_id=world.company.pk, unit=world.east1, technician=tech, month=month
        )
    # Audits: east1 90 and 70 (and a draft), east2 50.
    template = AuditTemplate.objects.create(company_id=world.company.pk, name="审核表")
    for outlet, index, status in (
        (world.east1, 90, "submitted"),
        (world.east1, 70, "submitted"),
        (world.east1, 10, "draft"),
        (world.east2, 50, "submitted"),
    ):
        Audit.objects.create(
            version=csat, company_id=world.company.pk, outlet=outlet, template=template,
            auditor=world.auditor.staff, status=status, index=index,
            month=dt.date(2026, 10, 1), day=dt.date(2026, 10, 15),
        )  # fmt: skip
    # Recognition through the action: the manager praises tech and sales on 2026-11-12.
    with time_machine.travel(at(11, 12, 18)):
        recognise(actor=world.manager, staff=tech, note="主动回访客户")
        recognise(actor=world.manager, staff=sales)
    d.c1 = c1
    return d


def _complaint(d, about, outlet, month, merged_into=None):
    case = Case.objects.create(
        kind="complaint",
        number=f"SBC-2026-{next(_NUMBERS):06d}",
        company_id=d.world.company.pk,
        unit=outlet,
        customer=d.a,
        stage="first_contact",
        title="投诉",
        opened_at=dt.datetime.combine(month, dt.time(9), tzinfo=SH),
    )
    return Complaint.objects.create(
        case=case,
        company_id=d.world.company.pk,
        received_month=month,
        channel="phone",
        contact_name="甲",
        contact_phone="13900000000",
        about_staff=about,
        merged_into=merged_into,
    )


def test_a_persons_figures(world, data):
    row = boards.person_row(world.tech.staff, PERIOD)
    assert row.cases_handled == 3
    assert (row.customers, row.new_customers) == (2, 1)  # 甲 (new) and 乙
    assert (row.praise, row.recognitions, row.complaints) == (2, 1, 1)
    assert row.surveys == 4 and row.survey_index == pytest.approx(70.0)
    assert row.nps == pytest.approx(200 / 3) and row.csat == pytest.approx(200 / 3)
    assert row.audit_score is None  # audits are of outlets
    # Passages: 2, 24, 336 (C1); 1, 192 (C2); 24 (C3); 240 (C4, from its September move)
    # → sorted 1, 2, 24, 24, 192, 240, 336: median 24 hours; one missed deadline in seven.
    assert (row.passages, row.median_hours) == (7, pytest.approx(24.0))
    assert row.breaches == 1 and row.on_time == pytest.approx(600 / 7)


def test_a_teams_figures(world, data):
    east1 = boards.team_row(world.east1, PERIOD)
    assert east1.cases_handled == 4  # C1, C2, C4 and the sales case
    assert (east1.customers, east1.new_customers) == (2, 1)  # 甲 and 乙 belong to east1
    assert (east1.praise, east1.recognitions, east1.complaints) == (2, 2, 1)
    assert east1.audit_score == pytest.approx(80.0)
    # tech's seven passages and the sales case's 96 hours: median of eight = (24 + 96) / 2.
    assert (east1.passages, east1.median_hours) == (8, pytest.approx(60.0))
    east2 = boards.team_row(world.east2, PERIOD)
    assert (east2.cases_handled, east2.complaints, east2.audit_score) == (1, 1, 50.0)
    assert (east2.customers, east2.new_customers) == (1, 0)
    south = boards.team_row(world.south1, PERIOD)
    assert (south.cases_handled, south.survey_index, south.median_hours) == (0, None, None)


def test_month_by_month(world, data):
    series = boards.monthly(boards.PERSON, world.tech.staff.pk, PERIOD)
    assert series["cases_handled"] == [2, 1]  # C1, C4 in October; C2 in November
    assert series["praise"] == [2, 0]
    assert series["recognitions"] == [0, 1]
    assert series["complaints"] == [0, 1]
    assert series["survey_index"] == [pytest.approx(70.0), pytest.approx(70.0)]


def test_boards_are_ranked_and_scoped(world, data, django_assert_max_num_queries):
    manager = scope_for(fresh_user(world.manager))
    with django_assert_max_num_queries(12):
        people = boards.person_board(manager, PERIOD)
    assert [(r.rank, r.name, r.cases_handled) for r in people] == [
        (1, "tech", 3),
        (2, "sales", 1),
        (3, "manager", 0),
    ]
    by_complaints = boards.person_board(manager, PERIOD, sort="complaints")
    assert [r.name for r in by_complaints][-1] == "tech"  # fewer complaints rank higher
    head = scope_for(fresh_user(world.head))
    with django_assert_max_num_queries(12):
        teams = boards.team_board(head, PERIOD, sort="audit_score")
    assert [(r.name, r.audit_score) for r in teams] == [
        ("上海徐汇店", 80.0),
        ("杭州西湖店", 50.0),
        ("广州天河店", None),
    ]
    assert [r.name for r in boards.team_board(manager, PERIOD)] == ["上海徐汇店"]
    # A technician sees their own line only, and no team board.
    tech = scope_for(fresh_user(world.tech))
    assert [r.name for r in boards.person_board(tech, PERIOD)] == ["tech"]
    assert boards.team_board(tech, PERIOD) == []
    with pytest.raises(NotFound):
        boards.get_person(tech, world.sales.staff.pk)
    with pytest.raises(NotFound):
        boards.get_person(scope_for(fresh_user(world.south_manager)), world.tech.staff.pk)


def test_recognition_rules(world):
    recognise(actor=world.manager, staff=world.tech.staff)
    with pytest.raises(Conflict):
        recognise(actor=world.manager, staff=world.tech.staff)
    with pytest.raises(InvalidInput):
        recognise(actor=world.manager, staff=world.manager.staff)
    with pytest.raises(OutOfScope):
        recognise(actor=world.tech, staff=world.sales.staff)
    with pytest.raises(NotFound):
        recognise(actor=world.south_manager, staff=world.tech.staff)
    with pytest.raises(InvalidInput):
        recognise(actor=world.head, staff=world.tech.staff, note="x" * 201)


def test_scoreboard_pages_and_api(client, world, data):
    query = "?from=2026-10&to=2026-11"
    client.force_login(world.manager)
    page = client.get(f"/team/scoreboard/{query}")
    assert page.status_code == 200
    assert [r.name for r in page.context["people"]] == ["tech", "sales", "manager"]
    person = client.get(f"/team/scoreboard/people/{world.tech.staff.pk}/{query}")
    assert person.status_code == 200 and b"scoreboard-trend" in person.content
    team = client.get(f"/team/scoreboard/teams/{world.east1.pk}/{query}")
    assert team.status_code == 200
    bad = client.get("/team/scoreboard/?from=2026-13&to=x")
    assert bad.status_code == 200 and bad.context["period"] is not None
    given = client.post(
        f"/team/scoreboard/people/{world.sales.staff.pk}/recognise/",
        {"note": "耐心解答"},
        HTTP_HX_REQUEST="true",
    )
    assert given.status_code == 200
    assert Recognition.objects.get(staff=world.sales.staff, note="耐心解答")
    again = client.post(
        f"/team/scoreboard/people/{world.sales.staff.pk}/recognise/", HTTP_HX_REQUEST="true"
    )
    assert again.status_code == 409
    client.force_login(world.tech)
    own = client.get(f"/team/scoreboard/{query}")
    assert [r.name for r in own.context["people"]] == ["tech"] and not own.context["teams"]
    assert client.get(f"/team/scoreboard/people/{world.sales.staff.pk}/").status_code == 404
    assert client.get(f"/team/scoreboard/teams/{world.east1.pk}/").status_code == 404
    assert (
        client.post(f"/team/scoreboard/people/{world.sales.staff.pk}/recognise/").status_code == 403
    )
    api = send(
        client, "get", "/api/v1/scoreboards/people?from_month=2026-10&to_month=2026-11",
        auth(world.manager),
    )  # fmt: skip
    assert api.status_code == 200, api.content
    assert api.json()["rows"][0]["name"] == "tech"
    assert api.json()["rows"][0]["median_hours"] == pytest.approx(24.0)
    teams = send(
        client, "get", "/api/v1/scoreboards/teams?from_month=2026-10&to_month=2026-11",
        auth(world.head),
    ).json()  # fmt: skip
    assert [r["name"] for r in teams["rows"]][:1] == ["上海徐汇店"]
    recognised = send(
        client, "post", "/api/v1/recognitions", auth(world.head),
        {"staff_id": world.tech.staff.pk, "note": "好"},
    )  # fmt: skip
    assert recognised.status_code == 201
    assert_problem(
        send(client, "post", "/api/v1/recognitions", auth(world.tech),
             {"staff_id": world.sales.staff.pk}),
        403,
    )  # fmt: skip
    outsider = send(client, "get", "/api/v1/scoreboards/people", auth(world.outsider))
    assert outsider.status_code == 200 and outsider.json()["rows"] == []
