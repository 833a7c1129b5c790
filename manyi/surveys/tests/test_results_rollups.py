"""The rollups hold exactly what the raw rows say: random responses (four instruments, three
outlets, two technicians, a campaign, four months, sent and unsent invitations, walk-ins) are
submitted through the real actions, then every figure of the report from the rollups is
compared with the same figure computed from the raw rows, for several selections and scopes;
and rebuilding the rollups from the raw rows gives the very rows kept on submission."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from manyi.org.models import Role
from manyi.org.scopes import scope_for
from manyi.surveys import actions, answering, results, rollups, settings_actions
from manyi.surveys.models import (
    Invitation,
    SurveyChannel,
    SurveyFactorRollup,
    SurveyItemRollup,
    SurveyOutletItemRollup,
    SurveyRollup,
)

from .conftest import at

COMMENTS = [
    "交车时间太长",
    "师傅很专业，态度好",
    "价格太贵了",
    "休息区干净舒适",
    "等待时间太长",
    "",
]
MONTHS = [at(2026, 8, 12, 10), at(2026, 9, 3, 15), at(2026, 10, 20, 9), at(2026, 11, 1, 11)]


@st.composite
def answers_for(draw, code: str) -> dict:
    comment = draw(st.sampled_from(COMMENTS))
    if code == "csi":
        answers = {f"q{n}": draw(st.integers(1, 5)) for n in range(1, 17)}
        return {**answers, "comment": comment} if comment else answers
    if code == "nps":
        answers = {"recommend": draw(st.integers(0, 10))}
        return {**answers, "reason": comment} if comment else answers
    if code == "csat":
        value = draw(st.integers(1, 5))
        return (
            {"overall": value, "improve": comment} if value <= 3 and comment else {"overall": value}
        )
    if draw(st.booleans()):
        return {"satisfied": "satisfied"}
    reasons = draw(
        st.lists(st.sampled_from(["product", "install", "attitude", "time", "other"]),
                 min_size=1, max_size=3, unique=True)
    )  # fmt: skip
    answers = {"satisfied": "not_satisfied", "reasons": reasons}
    return {**answers, "detail": comment} if comment else answers


@st.composite
def responses(draw) -> dict:
    code = draw(st.sampled_from(["csi", "nps", "csat", "install-inquiry"]))
    return {
        "code": code,
        "answers": draw(answers_for(code)),
        "outlet": draw(st.sampled_from(["east1", "east2", "south1"])),
        "month": draw(st.integers(0, len(MONTHS) - 1)),
        # walk-in, or an invitation: with a technician or not, in the campaign or not
        "via": draw(st.sampled_from(["walk_in", "invitation"])),
        "technician": draw(st.sampled_from([None, 0, 1])),
        "campaign": draw(st.booleans()),
        # an invitation that is sent and never answered, answered without being sent first
        "fate": draw(st.sampled_from(["answered", "answered", "sent_only", "unsent_answer"])),
    }


@pytest.fixture
def cast(world, version, consenting, campaign_data):
    """What the random data needs: versions, technicians, a campaign, a customer per outlet."""
    from manyi.org import actions as org_actions

    techs = [world.tech.staff]
    techs.append(
        org_actions.create_staff(
            actor=world.head,
            unit=world.south1,
            username="tech_south",
            name="南方技师",
            role=Role.TECHNICIAN,
            password="Test-pass-2026",
        )
    )
    with time_machine.travel(MONTHS[0] - dt.timedelta(days=1), tick=False):
        campaign = actions.create_campaign(actor=world.head, data=campaign_data())
    return {
        "versions": {c: version(c) for c in ("csi", "nps", "csat", "install-inquiry")},
        "techs": techs,
        "campaign": campaign,
        "outlets": {"east1": world.east1, "east2": world.east2, "south1": world.south1},
    }


def submit_all(world, cast, consenting, data: list[dict]) -> None:
    for n, r in enumerate(data):
        moment = MONTHS[r["month"]] + dt.timedelta(minutes=n)
        outlet = cast["outlets"][r["outlet"]]
        version = cast["versions"][r["code"]]
        with time_machine.travel(moment, tick=False):
            if r["via"] == "walk_in":
                point = settings_actions.save_walk_in_point(
                    actor=world.head, unit=outlet, version=version.pk
                )
                answering.submit_walk_in(token=point.token, answers=r["answers"])
                continue
            customer = consenting(outlet=outlet)
            tech = cast["techs"][r["technician"]] if r["technician"] is not None else None
            invitation = Invitation.objects.create(
                company=world.company,
                campaign=cast["campaign"] if r["campaign"] else None,
                customer=customer,
                version=version,
                unit=outlet,
                technician=tech,
                channel=SurveyChannel.SMS,
                send_at=moment - dt.timedelta(hours=1),
                expires_at=moment + dt.timedelta(days=60),
            )
            if r["fate"] != "unsent_answer":
                assert actions.send_due_invitations(now=moment) == 1
            if r["fate"] != "sent_only":
                # Answered the next day: a response in the month after, sometimes.
                with time_machine.travel(moment + dt.timedelta(days=20), tick=False):
                    answering.submit_invitation(token=invitation.token, answers=r["answers"])


def rollup_rows() -> dict:
    def rows(model, extra):
        fields = [
            "company_id",
            "version_id",
            "month",
            "unit_id",
            "technician_key",
            "campaign_key",
            "region_key",
            *extra,
        ]
        return sorted(tuple(r) for r in model.objects.values_list(*fields))

    return {
        "main": rows(SurveyRollup, rollups.RESPONSE_SUMS),
        "factors": rows(SurveyFactorRollup, ("factor_id", *rollups.FACTOR_SUMS)),
        "items": rows(SurveyItemRollup, ("item_id", "value", *rollups.ITEM_SUMS)),
        "outlet_items": sorted(
            SurveyOutletItemRollup.objects.values_list(
                "company_id", "version_id", "month", "unit_id", "item_id", "value",
                *rollups.ITEM_SUMS,
            )
        ),
    }  # fmt: skip


def outlet_items_from_the_finer_rollup() -> list:
    """The item rollup summed over technician, campaign and region, as the outlet-level rollup
    must hold it."""
    from django.db.models import Sum

    key = ("company_id", "version_id", "month", "unit_id", "item_id", "value")
    groups = (
        SurveyItemRollup.objects.values(*key)
        .annotate(a=Sum("n"), b=Sum("answers"), c=Sum("scored"), d=Sum("score_sum"))
        .order_by()
    )
    return sorted((*[g[k] for k in key], g["a"], g["b"], g["c"], g["d"]) for g in groups)


def same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a == pytest.approx(b, abs=1e-6)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def assert_reports_equal(user, company, params):
    scope = scope_for(user)
    filters = results.parse_filters(scope, company, params, today=dt.date(2026, 11, 30))
    kept = results.report(scope, company, filters)
    raw = results.report(scope, company, filters, source=results.RAW)
    assert same(kept.totals.figures(), raw.totals.figures()), params
    assert same(kept.previous.figures(), raw.previous.figures()), params
    for key in results.TABLE_KEYS:
        assert same(kept.tables[key].rows, raw.tables[key].rows), (params, key)
    assert [(f.code, f.n) for f in kept.factors] == [(f.code, f.n) for f in raw.factors]
    assert same(kept.factor_trend, raw.factor_trend)
    assert [(i.code, i.values) for i in kept.items] == [(i.code, i.values) for i in raw.items]
    assert [i.code for i in kept.weaknesses] == [i.code for i in raw.weaknesses]
    return kept


@pytest.mark.django_db(transaction=False)
@settings(
    max_examples=10,
    deadline=None,
    # Each example submits through the real actions: shrinking would take minutes.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.lists(responses(), min_size=1, max_size=14))
def test_rollups_equal_the_raw_rows(world, cast, consenting, data):
    with transaction.atomic():
        submit_all(world, cast, consenting, data)
        selections = [{}, {"from": "2026-08", "to": "2026-11"}]
        seen = 0
        for choice in results.instrument_choices(scope_for(world.head), world.company):
            instrument = {"instrument": choice.instrument.pk, "from": "2026-08"}
            report = assert_reports_equal(world.head, world.company, instrument)
            seen += report.totals.responses
            for extra in (
                {"unit": world.east.pk},
                {"unit": world.south1.pk},
                {"technician": cast["techs"][0].pk},
                {"campaign": cast["campaign"].pk},
                {"version": choice.versions[0].pk, "from": "2026-10", "to": "2026-10"},
            ):
                assert_reports_equal(world.head, world.company, {**instrument, **extra})
            for reader in (world.south_manager, world.manager):
                theirs = results.instrument_choices(scope_for(reader), world.company)
                if any(c.instrument.pk == choice.instrument.pk for c in theirs):
                    assert_reports_equal(reader, world.company, instrument)
        for params in selections:
            assert_reports_equal(world.analyst, world.company, params)
        answered = sum(1 for r in data if r["via"] == "walk_in" or r["fate"] != "sent_only")
        assert seen == answered
        # Rebuilding from the raw rows gives the very rows kept on submission.
        kept = rollup_rows()
        # The outlet-level item rollup is the finer one without technician, campaign, region.
        assert same(kept["outlet_items"], outlet_items_from_the_finer_rollup())
        rollups.rebuild(world.company.pk)
        rebuilt = rollup_rows()
        assert same(kept, rebuilt)
        transaction.set_rollback(True)


def test_the_command_rebuilds_lost_rollups(frozen, world, version):
    from io import StringIO

    from django.core.management import CommandError, call_command

    point = settings_actions.save_walk_in_point(
        actor=world.head, unit=world.east1, version=version("nps").pk
    )
    answering.submit_walk_in(token=point.token, answers={"recommend": 9, "reason": "师傅专业"})
    kept = rollup_rows()
    SurveyRollup.objects.all().delete()
    SurveyItemRollup.objects.all().delete()
    SurveyOutletItemRollup.objects.all().delete()
    out = StringIO()
    call_command("rebuild_survey_rollups", "--company", world.company.code, stdout=out)
    assert rollup_rows() == kept
    assert out.getvalue().startswith(f"{world.company.code}: 1 rollup rows")
    with pytest.raises(CommandError):
        call_command("rebuild_survey_rollups", "--company", "nope", stdout=out)
