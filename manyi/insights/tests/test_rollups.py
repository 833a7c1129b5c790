"""The rollups equal a plain Python count over the raw rows, on random data (hypothesis), both
by the set-based rebuild and by recomputing the touched outlet-days one by one."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from manyi.insights import rollups
from manyi.insights.models_rollups import DayRollup, Metric, MonthRollup

pytestmark = pytest.mark.django_db

BASE = dt.date(2026, 1, 30)  # days around a month's end, so month sums are tested


def at(day: int, hour: int) -> dt.datetime:
    tz = timezone.get_current_timezone()
    return dt.datetime.combine(BASE + dt.timedelta(days=day), dt.time(hour), tzinfo=tz)


@pytest.fixture
def raw_world(world, make_customer):
    """A customer per outlet, a submitted audit to copy, and the staff to attribute to."""
    from manyi.org.models import Staff
    from manyi.quality.actions import audits as audit_actions
    from manyi.quality.tests.conftest import make_standard

    standard = make_standard(world.head, "A", "timeliness", "30秒内招呼")
    template = audit_actions.generate_template(
        actor=world.head, name="门店审核", standards=[standard.pk]
    )
    audit = audit_actions.start_audit(actor=world.head, outlet=world.east1, template=template)
    outlets = [world.east1, world.east2, world.south1]
    customers = [make_customer(outlet=o) for o in outlets]
    staff = list(Staff.objects.filter(company=world.company).order_by("pk")[:4])
    return {"outlets": outlets, "customers": customers, "staff": staff, "audit": audit}


fact = st.tuples(
    st.sampled_from(["case", "move", "complaint", "purchase", "audit"]),
    st.integers(0, 2),  # outlet
    st.integers(0, 5),  # day
    st.integers(0, 23),  # hour
    st.integers(-1, 3),  # person (-1: none)
    st.booleans(),  # on time / merged / closed
    st.sampled_from(["contact", "service", "return_visit"]),
)


def build(raw_world, facts) -> set[tuple[int, dt.date]]:
    """Write the raw rows; return the (outlet, day) slices they touch."""
    from manyi.cases.models import Case, CaseEvent, EventKind
    from manyi.complaints.models import Complaint
    from manyi.customers.models import Purchase
    from manyi.quality.models import Audit, AuditStatus

    touched = set()
    complaints = []
    template = raw_world["audit"]
    for i, (what, o, day, hour, person, flag, stage) in enumerate(facts):
        outlet = raw_world["outlets"][o]
        customer = raw_world["customers"][o]
        staff = raw_world["staff"][person] if person >= 0 else None
        when = at(day, hour)
        local = timezone.localdate(when)
        if what in ("case", "move", "complaint"):
            kind = "complaint" if what == "complaint" else "workorder"
            case = Case.objects.create(
                kind=kind,
                number=f"T-{i}-{id(facts)}",
                company=outlet.company,
                unit=outlet,
                customer=customer,
                stage="intake",
                title="t",
                opened_at=when,
                closed_at=at(day + 1, hour) if flag and what == "case" else None,
            )
            touched.add((outlet.pk, local))
            if case.closed_at:
                touched.add((outlet.pk, timezone.localdate(case.closed_at)))
            if what == "complaint":
                complaint = Complaint.objects.create(
                    case=case,
                    company=outlet.company,
                    received_month=local.replace(day=1),
                    channel="phone",
                    contact_name="x",
                    contact_phone="13900000000",
                    about_staff=staff,
                    merged_into=complaints[-1] if flag and complaints else None,
                )
                complaints.append(complaint)
            if what == "move":
                target = "done" if stage == "return_visit" else "return_visit"
                CaseEvent.objects.create(
                    case=case,
                    kind=EventKind.MOVE,
                    at=when,
                    actor=staff.user if staff else None,
                    data={"source": stage, "target": target, "on_time": flag},
                )
                if stage != "return_visit" and flag:
                    # Done later: the return visit's cohort is the day it was scheduled.
                    CaseEvent.objects.create(
                        case=case,
                        kind=EventKind.MOVE,
                        at=at(day + 2, hour),
                        data={"source": "return_visit", "target": "done"},
                    )
                    touched.add((outlet.pk, timezone.localdate(at(day + 2, hour))))
        elif what == "purchase":
            Purchase.objects.create(
                customer=customer, outlet=outlet, product="p", purchased_on=local
            )
            touched.add((outlet.pk, local))
        else:
            Audit.objects.create(
                version=template.version,
                company=outlet.company,
                outlet=outlet,
                template=template.template,
                auditor=template.auditor,
                status=AuditStatus.SUBMITTED if flag or hour % 2 else AuditStatus.DRAFT,
                index=float(hour * 4),
                submitted_at=when,
                day=local,
                month=local.replace(day=1),
            )
            touched.add((outlet.pk, local))
    return touched


def expected(raw_world) -> tuple[dict, dict]:
    """The day and month rows, counted in Python from the raw rows."""
    from manyi.cases.models import Case, CaseEvent, EventKind
    from manyi.complaints.models import Complaint
    from manyi.customers.models import Purchase
    from manyi.org.models import Staff, Unit
    from manyi.quality.models import Audit, AuditStatus

    staff_of_user = dict(Staff.objects.values_list("user_id", "pk"))
    rows: dict = defaultdict(lambda: [0, 0.0])

    def add(unit, person, day, metric, kind="", stage="", n=1, value=0.0):
        for who in {0, person or 0}:
            slot = rows[(unit, who, day, metric, kind, stage)]
            slot[0] += n
            slot[1] += value

    for case in Case.objects.all():
        add(case.unit_id, 0, timezone.localdate(case.opened_at), Metric.OPENED, case.kind)
        if case.closed_at:
            add(
                case.unit_id,
                0,
                timezone.localdate(case.closed_at),
                Metric.CLOSED,
                case.kind,
                case.stage,
            )
    events = list(CaseEvent.objects.filter(kind=EventKind.MOVE).select_related("case"))
    for e in events:
        day = timezone.localdate(e.at)
        person = staff_of_user.get(e.actor_id)
        if "on_time" in e.data:
            add(
                e.case.unit_id,
                person,
                day,
                Metric.STAGE,
                e.case.kind,
                e.data["source"],
                value=1.0 if e.data["on_time"] else 0.0,
            )
        if e.data.get("target") == "return_visit":
            done = any(
                o.case_id == e.case_id and o.data.get("source") == "return_visit" and o.at >= e.at
                for o in events
            )
            add(e.case.unit_id, 0, day, Metric.RETURN, e.case.kind, value=1.0 if done else 0.0)
    for c in Complaint.objects.filter(merged_into__isnull=True).select_related("case"):
        add(
            c.case.unit_id,
            c.about_staff_id,
            timezone.localdate(c.case.opened_at),
            Metric.COMPLAINTS,
        )
    for p in Purchase.objects.all():
        add(p.outlet_id, 0, p.purchased_on, Metric.PURCHASES)
    for a in Audit.objects.filter(status=AuditStatus.SUBMITTED, index__isnull=False):
        add(a.outlet_id, 0, a.day, Metric.AUDITS, value=a.index)
    parent = dict(Unit.objects.values_list("pk", "parent_id"))
    day_rows = dict(rows)
    for (unit, who, day, *rest), (n, v) in list(day_rows.items()):
        if who:
            continue
        up = parent[unit]
        while up is not None:
            slot = day_rows.setdefault((up, 0, day, *rest), [0, 0.0])
            slot[0] += n
            slot[1] += v
            up = parent[up]
    month_rows: dict = defaultdict(lambda: [0, 0.0])
    for (unit, who, day, *rest), (n, v) in day_rows.items():
        slot = month_rows[(unit, who, day.replace(day=1), *rest)]
        slot[0] += n
        slot[1] += v
    clean = lambda d: {k: (n, round(v, 6)) for k, (n, v) in d.items() if n}  # noqa: E731
    return clean(day_rows), clean(month_rows)


def stored() -> tuple[dict, dict]:
    days = {
        (r.unit_id, r.person_key, r.day, r.metric, r.kind, r.stage): (r.n, round(r.value, 6))
        for r in DayRollup.objects.all()
        if r.n
    }
    months = {
        (r.unit_id, r.person_key, r.month, r.metric, r.kind, r.stage): (r.n, round(r.value, 6))
        for r in MonthRollup.objects.all()
        if r.n
    }
    return days, months


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(facts=st.lists(fact, max_size=25))
def test_rollups_equal_the_raw_rows(raw_world, facts):
    with transaction.atomic():
        touched = build(raw_world, facts)
        want_days, want_months = expected(raw_world)

        rollups.rebuild(raw_world["outlets"][0].company_id)
        assert stored() == (want_days, want_months)

        # The incremental path: from empty, each touched outlet-day recomputed on its own.
        DayRollup.objects.all().delete()
        MonthRollup.objects.all().delete()
        rollups.recompute_many(touched)
        assert stored() == (want_days, want_months)
        # Idempotent: again, same rows.
        rollups.recompute_many(touched)
        assert stored() == (want_days, want_months)
        transaction.set_rollback(True)


def test_actions_touch_their_outlet_day(world, make_customer, django_capture_on_commit_callbacks):
    """Opening and moving a work order, through the actions, reaches the rollups after commit."""
    from manyi.workorders.actions import take_order

    customer = make_customer()
    with django_capture_on_commit_callbacks(execute=True):
        case = take_order(actor=world.rep, customer=customer, site_address="上海徐汇路1号")
    today = timezone.localdate()
    row = MonthRollup.objects.get(
        unit=world.company, person_key=0, month=today.replace(day=1), metric=Metric.OPENED
    )
    assert (row.kind, row.n) == ("workorder", 1)
    assert case.unit_id == world.east1.pk


def test_rebuild_command(world, capsys):
    from django.core.management import call_command

    call_command("rebuild_insights_rollups", company=world.company.pk)
    assert "rows" in capsys.readouterr().out


def test_a_move_records_on_time_and_reaches_the_stage_rollup(
    world, make_customer, django_capture_on_commit_callbacks
):
    """The engine records whether the stage ended within its deadline; the rollup counts it for
    the outlet and for the person who made the move."""
    from manyi.cases import actions as cases
    from manyi.cases.models import CaseEvent, EventKind
    from manyi.org.models import Staff
    from manyi.workorders.actions import take_order

    rep = Staff.objects.get(user=world.rep)
    with django_capture_on_commit_callbacks(execute=True):
        case = take_order(actor=world.rep, customer=make_customer(), site_address="上海徐汇路1号")
    with django_capture_on_commit_callbacks(execute=True):
        case = cases.assign(actor=world.rep, case=case, assignee=rep, version=case.version)
        cases.move(actor=world.rep, case=case, move="dispatch", version=case.version)
    event = CaseEvent.objects.get(case=case, kind=EventKind.MOVE)
    assert event.data["on_time"] is True
    rows = {
        r.person_key: (r.n, r.value)
        for r in DayRollup.objects.filter(
            unit=world.east1, metric=Metric.STAGE, kind="workorder", stage="intake"
        )
    }
    assert rows == {0: (1, 1.0), rep.pk: (1, 1.0)}
