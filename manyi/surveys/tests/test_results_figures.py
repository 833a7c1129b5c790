"""Survey results on a fixed data set: NPS, CSAT, CSI and factor figures to the decimal, the
response rate, distributions, strengths and weaknesses, themes, scoping and the filters.

The data (``fixed``), all submitted in November 2026 through the real actions:

- NPS at walk-in QR codes: east-1 answers 10, 9, 8, 6, 3; south-1 answers 10, 10, 7;
- CSAT at east-2's QR code: 5, 4, 3, 2;
- the CSI survey sent to three east-1 customers by a campaign; two answer: all fives ("休息区很
  舒适"), and all fives but q16 = 1 ("交车时间太长").
"""

from __future__ import annotations

import datetime as dt

import pytest

from manyi.errors import InvalidInput, OutOfScope
from manyi.org.scopes import scope_for
from manyi.surveys import actions, answering, results, settings_actions
from manyi.surveys.models import Invitation

from .conftest import CSI_ALL_FIVES, NOW, at

NOV = dt.date(2026, 11, 1)


def submit_walk_ins(world, outlet, version, answers_list):
    point = settings_actions.save_walk_in_point(actor=world.head, unit=outlet, version=version.pk)
    return [answering.submit_walk_in(token=point.token, answers=a)[0] for a in answers_list]


@pytest.fixture
def fixed(frozen, world, version, consenting, campaign_data):
    """The data set of the module docstring; returns the three versions by code."""
    nps_v, csat_v, csi_v = version("nps"), version("csat"), version("csi")
    submit_walk_ins(
        world,
        world.east1,
        nps_v,
        [
            {"recommend": 10, "reason": "师傅专业，态度好"},
            {"recommend": 9},
            {"recommend": 8},
            {"recommend": 6, "reason": "等待时间太长"},
            {"recommend": 3, "reason": "等待时间太长，价格太贵"},
        ],
    )
    submit_walk_ins(
        world,
        world.south1,
        nps_v,
        [{"recommend": 10}, {"recommend": 10, "reason": "师傅专业"}, {"recommend": 7}],
    )
    submit_walk_ins(
        world,
        world.east2,
        csat_v,
        [{"overall": 5}, {"overall": 4}, {"overall": 3, "improve": "价格太贵"}, {"overall": 2}],
    )
    customers = [consenting(name=name) for name in ("李雷", "韩梅梅", "王芳")]
    campaign = actions.create_campaign(
        actor=world.head, data=campaign_data(target={"outlets": [world.east1.pk]})
    )
    actions.launch_campaign(actor=world.head, campaign=campaign)
    assert actions.send_due_invitations() == 3
    tokens = {i.customer_id: i.token for i in Invitation.objects.filter(campaign=campaign)}
    answering.submit_invitation(
        token=tokens[customers[0].pk], answers={**CSI_ALL_FIVES, "comment": "休息区很舒适"}
    )
    answering.submit_invitation(
        token=tokens[customers[1].pk],
        answers={**CSI_ALL_FIVES, "q16": 1, "comment": "交车时间太长"},
    )
    return {"nps": nps_v, "csat": csat_v, "csi": csi_v, "campaign": campaign}


def figures(user, company, **params):
    scope = scope_for(user)
    filters = results.parse_filters(scope, company, params)
    return results.report(scope, company, filters)


def test_nps_counts_promoters_passives_and_detractors(fixed, world):
    report = figures(world.head, world.company, instrument=fixed["nps"].instrument_id)
    t = report.totals
    assert (t.responses, t.promoters, t.passives, t.detractors) == (8, 4, 2, 2)
    # (4 − 2) / 8 = 25 %.
    assert t.nps == pytest.approx(25.0)
    assert t.share(t.promoters) == pytest.approx(50.0)
    # Index of a lone 0–10 item is the value × 10: (100+90+80+60+30+100+100+70) / 8.
    assert t.index == pytest.approx(78.75)
    assert t.csat is None and t.csat_answered == 0
    # Walk-ins have no invitation: no response rate.
    assert t.sent == 0 and t.response_rate is None
    outlets = {row["name"]: row for row in report.tables["by_outlet"].rows}
    assert outlets["上海徐汇店"]["nps"] == pytest.approx(0.0)
    assert outlets["广州天河店"]["nps"] == pytest.approx(200 / 3)
    regions = {row["name"]: row["responses"] for row in report.tables["by_region"].rows}
    assert regions == {"华东片区": 5, "华南片区": 3}


def test_csat_is_the_share_of_fours_and_fives(fixed, world):
    report = figures(world.head, world.company, instrument=fixed["csat"].instrument_id)
    assert report.totals.responses == 4
    assert (report.totals.csat_top2, report.totals.csat_answered) == (2, 4)
    assert report.totals.csat == pytest.approx(50.0)
    (overall,) = [i for i in report.items if i.code == "overall"]
    counts = {d["value"]: d["count"] for d in overall.distribution()}
    assert counts == {"1": 0, "2": 1, "3": 1, "4": 1, "5": 1}
    assert overall.distribution()[4]["label"] == "5 非常满意"


def test_csi_index_factors_response_rate_and_weaknesses(fixed, world):
    report = figures(world.head, world.company, instrument=fixed["csi"].instrument_id)
    t = report.totals
    assert (t.sent, t.answered, t.responses) == (3, 2, 2)
    assert t.response_rate == pytest.approx(200 / 3)
    # 100 and 0.65 × 100 + 0.35 × (100 + 100 + 0) / 3 = 88.33.
    assert t.index == pytest.approx((100 + 0.65 * 100 + 0.35 * 200 / 3) / 2)
    factors = {f.code: f.mean for f in report.factors}
    assert factors["quality"] == pytest.approx((100 + 200 / 3) / 2)
    assert factors["initiation"] == factors["pickup"] == pytest.approx(100.0)
    assert report.weak_factors[0].code == "quality"
    assert report.weaknesses[0].code == "q16"
    assert report.weaknesses[0].mean == pytest.approx(50.0)
    assert {d["value"]: d["count"] for d in report.weaknesses[0].distribution() if d["count"]} == {
        "1": 1,
        "5": 1,
    }
    (campaign_row,) = report.tables["by_campaign"].rows
    assert campaign_row["name"] == fixed["campaign"].name
    assert campaign_row["response_rate"] == pytest.approx(200 / 3)
    (month,) = [r for r in report.tables["trend"].rows if r["month"] == NOV]
    assert month["sent"] == 3 and month["responses"] == 2


def test_themes_count_answers_by_keyword(fixed, world):
    report = figures(world.head, world.company, instrument=fixed["nps"].instrument_id)
    (reason,) = report.text_items
    themes = dict(reason.themes())
    assert themes["等待时间"] == 2
    assert themes["师傅"] == themes["专业"] == 2
    assert themes["价格"] == 1
    # The theme's answers: both east-1 comments with the word, newest first.
    scope = scope_for(world.head)
    filters = results.parse_filters(
        scope, world.company, {"instrument": fixed["nps"].instrument_id}
    )
    page = results.comment_page(scope, world.company, filters, item="reason", word="等待时间")
    assert [a.text for a in page.items] == ["等待时间太长，价格太贵", "等待时间太长"]
    assert page.next_cursor is None


def test_a_south_manager_never_sees_east_figures(fixed, world):
    report = figures(world.south_manager, world.company, instrument=fixed["nps"].instrument_id)
    assert report.totals.responses == 3
    assert report.totals.nps == pytest.approx(200 / 3)
    assert [r["name"] for r in report.tables["by_outlet"].rows] == ["广州天河店"]
    themes = dict(report.text_items[0].themes())
    assert "等待时间" not in themes
    # East's instruments (CSAT at east-2, the CSI campaign) are not even offered.
    choices = results.instrument_choices(scope_for(world.south_manager), world.company)
    assert [c.instrument.code for c in choices] == ["nps"]
    with pytest.raises(InvalidInput) as caught:
        figures(world.south_manager, world.company, unit=world.east1.pk)
    assert [f for f, _m in caught.value.errors] == ["unit"]
    with pytest.raises(InvalidInput):
        figures(world.south_manager, world.company, instrument=fixed["csi"].instrument_id)


def test_the_outlet_manager_sees_their_outlet(fixed, world):
    report = figures(world.manager, world.company, instrument=fixed["nps"].instrument_id)
    assert report.totals.responses == 5
    assert report.totals.nps == pytest.approx(0.0)


def test_filters_narrow_the_figures(fixed, world):
    nps_id = fixed["nps"].instrument_id
    south = figures(world.head, world.company, instrument=nps_id, unit=world.south.pk)
    assert south.totals.responses == 3
    other_month = figures(world.head, world.company, instrument=nps_id, **{"from": "2026-12"},
                          to="2026-12")  # fmt: skip
    assert other_month.totals.responses == 0
    assert other_month.previous.responses == 8  # November, the month before
    csi = figures(world.head, world.company, instrument=fixed["csi"].instrument_id,
                  campaign=fixed["campaign"].pk)  # fmt: skip
    assert csi.totals.responses == 2


def test_the_most_answered_instrument_is_the_default(fixed, world):
    report = figures(world.head, world.company)
    assert report.filters.instrument.code == "nps"
    assert report.filters.start == dt.date(2025, 12, 1) and report.filters.end == NOV


def test_bad_filters_name_their_fields(fixed, world):
    with pytest.raises(InvalidInput) as caught:
        figures(world.head, world.company, **{"from": "2026-13", "to": "soon"}, instrument="x",
                technician=world.other_head.staff.pk, campaign=999999)  # fmt: skip
    assert {f for f, _m in caught.value.errors} == {
        "from",
        "to",
        "instrument",
        "technician",
        "campaign",
    }
    with pytest.raises(InvalidInput) as caught:
        figures(world.head, world.company, **{"from": "2020-01", "to": "2026-11"})
    assert [f for f, _m in caught.value.errors] == ["to"]


def test_readers_without_reports_are_refused(fixed, world):
    for user in (world.tech, world.sales, world.outsider, world.auditor):
        with pytest.raises(OutOfScope):
            results.results_company(scope_for(user))


def test_the_other_company_sees_nothing_of_ours(fixed, world):
    report = figures(world.other_head, world.other_company)
    assert report.filters.instrument is None and report.totals.responses == 0


def test_a_technicians_triggered_survey_counts_for_them(frozen, world, version, consenting, served):
    from manyi.surveys.models import CaseKind

    from .conftest import close_order

    settings_actions.save_trigger(
        actor=world.head, case_kind=CaseKind.WORKORDER, version=version("nps").pk
    )
    order = close_order(world, served(consenting()))
    frozen.shift(dt.timedelta(hours=72))
    assert actions.send_due_invitations() == 1
    invitation = Invitation.objects.get()
    frozen.shift(dt.timedelta(hours=1))
    answering.submit_invitation(token=invitation.token, answers={"recommend": 9})
    report = figures(world.head, world.company, technician=order.assignee_id)
    (row,) = report.tables["by_technician"].rows
    assert row["id"] == order.assignee_id and row["outlet"] == "上海徐汇店"
    assert (row["responses"], row["sent"], row["answered"]) == (1, 1, 1)
    assert row["nps"] == pytest.approx(100.0)
    assert at(2026, 11, 5, 11, 0) > NOW  # the answer came in November too
    assert report.totals.responses == 1
