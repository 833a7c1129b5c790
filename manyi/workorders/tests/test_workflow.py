"""The work order from intake to return visit, through the actions, with hand-computed SLAs.

Hand computation uses the default working hours (Mon–Fri 08:30–12:00 and 13:30–17:30) and the
official 2026 schedule: Spring Festival holidays 15–23 February, make-up workdays Saturday
14 February and Saturday 28 February.
"""

import base64
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from conftest import fresh_user
from manyi.cases import actions as cases
from manyi.cases.models import Case, CaseEvent, EventKind
from manyi.errors import Conflict, InvalidInput, InvalidMove, NotFound, OutOfScope, StaleVersion
from manyi.workorders import actions
from manyi.workorders.workflow import CHECKPOINTS

SH = ZoneInfo("Asia/Shanghai")
# A 1×1 PNG: what a signature canvas sends, in miniature.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def at(*args):
    return dt.datetime(*args, tzinfo=SH)


def test_intake_numbers_the_case_and_starts_the_clock(order, world):
    assert order.number == "FW-2026-000001"
    assert order.stage == "intake" and order.unit == world.east1
    # 4 business hours from Fri 16:00: 1.5 h on Friday, 2.5 h on the make-up Saturday.
    assert order.due_at == at(2026, 2, 14, 11, 0)
    assert order.workorder.installer_phone == "13900001111"
    assert CaseEvent.objects.filter(case=order, kind=EventKind.OPENED).count() == 1


def test_numbers_are_sequential(order, world, make_customer):
    second = actions.take_order(actor=world.sales, customer=make_customer(), site_address="x路1号")
    assert second.number == "FW-2026-000002"


def test_intake_rejects_a_bad_installer_phone(world, make_customer):
    with pytest.raises(InvalidInput) as exc:
        actions.take_order(
            actor=world.sales,
            customer=make_customer(),
            installer_phone="123",
            site_address="徐汇区1号",
        )
    assert [f for f, _m in exc.value.field_errors()] == ["installer_phone"]
    assert not Case.objects.exists()


def test_unlicensed_technician_cannot_be_assigned(order, world):
    with pytest.raises(InvalidInput) as exc:
        cases.assign(actor=world.rep, case=order, assignee=world.tech.staff, version=1)
    assert exc.value.field == "assignee"


def _to_contact(order, world, licensed):
    with time_machine.travel(at(2026, 2, 14, 10, 0), tick=False):
        order = cases.assign(actor=world.rep, case=order, assignee=licensed.staff, version=1)
        return cases.move(actor=world.rep, case=order, move="dispatch", version=order.version)


def test_contact_deadline_skips_the_spring_festival(order, world, licensed):
    order = _to_contact(order, world, licensed)
    # Dispatched on the make-up Saturday: the next business day is Tuesday 24 February.
    assert order.stage == "contact"
    assert order.due_at == at(2026, 2, 24, 17, 30)


def test_dispatch_needs_an_assignee(order, world):
    with pytest.raises(InvalidInput) as exc:
        cases.move(actor=world.rep, case=order, move="dispatch", version=1)
    assert exc.value.field_errors()[0][0] == "assignee"


def test_moves_not_allowed_from_the_stage_or_for_the_role(order, world, licensed):
    with pytest.raises(InvalidMove):
        cases.move(actor=world.rep, case=order, move="accept", version=1)
    with pytest.raises(OutOfScope):
        cases.move(actor=world.sales, case=order, move="dispatch", version=1)


def test_stale_version_is_refused(order, world, licensed):
    cases.assign(actor=world.rep, case=order, assignee=licensed.staff, version=1)
    with pytest.raises(StaleVersion):
        cases.move(actor=world.rep, case=order, move="dispatch", version=1)


def test_case_outside_scope_is_not_found(order, world):
    with pytest.raises(NotFound):
        cases.add_note(actor=fresh_user(world.south_manager), case=order, text="看不到")


def test_technician_sees_only_assigned_cases(order, world, licensed):
    from manyi.org.scopes import scope_for

    assert not cases.visible_cases(scope_for(licensed)).exists()
    cases.assign(actor=world.rep, case=order, assignee=licensed.staff, version=1)
    assert list(cases.visible_cases(scope_for(fresh_user(world.tech)))) == [order]


def test_pause_over_a_weekend_moves_the_deadline_by_the_time_left(world, make_customer, licensed):
    with time_machine.travel(at(2026, 3, 6, 10, 0), tick=False):
        case = actions.take_order(
            actor=world.sales, customer=make_customer(), site_address="徐汇区1号"
        )
        case = cases.assign(actor=world.rep, case=case, assignee=licensed.staff, version=1)
        case = cases.move(actor=world.rep, case=case, move="dispatch", version=case.version)
    assert case.due_at == at(2026, 3, 9, 17, 30)
    with time_machine.travel(at(2026, 3, 6, 17, 0), tick=False):
        case = cases.pause_clock(actor=licensed, case=case, reason="客户出差", version=case.version)
    # Left when paused: 0.5 h on Friday and 7.5 h on Monday; resumed Monday 08:30.
    with time_machine.travel(at(2026, 3, 9, 8, 30), tick=False):
        case = cases.resume_clock(actor=licensed, case=case, version=case.version)
    assert case.due_at == at(2026, 3, 10, 9, 0)
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds[-2:] == [EventKind.PAUSE, EventKind.RESUME]


def test_pause_needs_a_pausable_stage(order, world):
    with pytest.raises(InvalidMove):
        cases.pause_clock(actor=world.rep, case=order, reason="等待", version=1)


def test_the_whole_way_to_the_return_visit(order, world, licensed):
    order = _to_contact(order, world, licensed)
    with time_machine.travel(at(2026, 2, 24, 9, 0), tick=False):
        with pytest.raises(InvalidInput):  # no call logged yet
            cases.move(actor=licensed, case=order, move="contacted", version=order.version)
        cases.log_call(actor=licensed, case=order, outcome="reached", note="约好周四上门")
        cases.log_call(actor=licensed, case=order, outcome="reached", party="installer")
        actions.set_first_visit(actor=licensed, case=order, at=at(2026, 2, 26, 9, 0))
        order = cases.move(actor=licensed, case=order, move="contacted", version=order.version)
    assert order.stage == "service"
    with time_machine.travel(at(2026, 2, 26, 10, 0), tick=False):
        actions.log_visit(
            actor=licensed, case=order, step="底漆", mix_ratio="1:1", customer_informed=True
        )
        order = cases.move(actor=licensed, case=order, move="hand_in", version=order.version)
        with pytest.raises(InvalidInput):  # not signed yet
            cases.move(actor=licensed, case=order, move="submit", version=order.version)
        with pytest.raises(InvalidInput):  # no signature drawn
            actions.sign_record(
                actor=licensed, case=order, signer_name="王小明", evaluation="very_satisfied"
            )
        signed = actions.sign_record(
            actor=licensed,
            case=order,
            signer_name="王小明",
            evaluation="very_satisfied",
            signature="data:image/png;base64," + base64.b64encode(PNG).decode(),
        )
        assert len(signed.signed_hash) == 64 and signed.signature.content_type == "image/png"
        with pytest.raises(Conflict):
            actions.sign_record(
                actor=licensed,
                case=order,
                signer_name="王小明",
                evaluation="satisfied",
                signature=PNG,
            )
        order = cases.move(actor=licensed, case=order, move="submit", version=order.version)
    assert order.stage == "acceptance"
    checklist = dict.fromkeys(CHECKPOINTS, "pass")
    with time_machine.travel(at(2026, 2, 27, 10, 0), tick=False):
        with pytest.raises(OutOfScope):  # the technician does not inspect their own work
            cases.move(
                actor=licensed,
                case=order,
                move="accept",
                version=order.version,
                payload={"checklist": checklist, "method": 5, "attitude": 5},
            )
        order = cases.move(
            actor=world.inspector,
            case=order,
            move="rework",
            version=order.version,
            payload={"notes": "收口不精", "method": 4, "attitude": 5},
        )
    assert order.stage == "service" and order.counters == {"rework": 1}
    with time_machine.travel(at(2026, 2, 28, 10, 0), tick=False):
        order = cases.move(actor=licensed, case=order, move="hand_in", version=order.version)
        order = cases.move(actor=licensed, case=order, move="submit", version=order.version)
        order = cases.move(
            actor=world.inspector,
            case=order,
            move="accept",
            version=order.version,
            payload={"checklist": checklist, "method": 5, "attitude": 5},
        )
        order = cases.move(actor=world.rep, case=order, move="archive", version=order.version)
    assert order.stage == "return_visit"
    # Paint: the return visit is due within 30 calendar days (002), at the end of that day.
    assert order.due_at == at(2026, 3, 30, 23, 59, 59)
    order.workorder.refresh_from_db()
    assert order.workorder.inspection["result"] == "pass"
    with time_machine.travel(at(2026, 3, 5, 10, 0), tick=False):
        with pytest.raises(InvalidInput):
            cases.move(actor=world.rep, case=order, move="close", version=order.version)
        order = cases.move(
            actor=world.rep,
            case=order,
            move="close",
            version=order.version,
            payload={"outcome": "satisfied"},
        )
    assert order.stage == "done" and order.closed_at is not None and order.due_at is None
    order.workorder.refresh_from_db()
    assert order.workorder.return_visit_outcome == "satisfied"


def test_car_service_return_visit_is_due_in_three_days(world, make_customer, licensed):
    from manyi.org.models import Role, Staff

    inspector = Staff.objects.get(user=world.inspector)
    assert inspector.role == Role.INSPECTOR
    customer = make_customer(outlet=world.south1)
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        case = actions.take_order(actor=world.head, customer=customer, site_address="天河区1号")
    case.stage = "archive"
    case.save(update_fields=["stage"])
    with time_machine.travel(at(2026, 3, 2, 10, 0), tick=False):
        case = cases.move(actor=world.head, case=case, move="archive", version=case.version)
    assert case.due_at.date() == dt.date(2026, 3, 5)


def test_breaches_are_reported_once(order, world):
    with time_machine.travel(at(2026, 2, 14, 12, 0), tick=False):
        assert cases.sweep_breaches() == 1
        assert cases.sweep_breaches() == 0
    order.refresh_from_db()
    assert order.breached_at is not None
    assert order.events.filter(kind=EventKind.BREACH).count() == 1


def test_bulk_reassign(order, world, licensed, make_customer):
    from manyi.org import actions as org_actions
    from manyi.org.models import Role

    other = org_actions.create_staff(
        actor=world.head,
        unit=world.east1,
        username="tech2",
        name="赵工",
        role=Role.TECHNICIAN,
        password="Strong-pass-99",
    )
    other.work_licence = True
    other.save()
    second = actions.take_order(actor=world.sales, customer=make_customer(), site_address="x")
    for case in (order, second):
        cases.assign(actor=world.rep, case=case, assignee=licensed.staff, version=1)
    with pytest.raises(InvalidInput):
        cases.bulk_reassign(
            actor=world.manager, cases=[order.pk, second.pk], assignee=other, reason=""
        )
    changed = cases.bulk_reassign(
        actor=world.manager, cases=[order.pk, second.pk], assignee=other, reason="张工休假"
    )
    assert changed == 2
    assert set(Case.objects.values_list("assignee__name", flat=True)) == {"赵工"}
    with pytest.raises(OutOfScope):
        cases.bulk_reassign(actor=world.tech, cases=[order.pk], assignee=other, reason="x")


def test_case_events_show_on_the_customer_timeline(order, world, licensed):
    from manyi.customers.queries import customer_timeline

    _to_contact(order, world, licensed)
    items = [item for item in customer_timeline(order.customer) if item.kind == "case"]
    assert {item.url for item in items} == {f"/cases/{order.pk}/"}
    assert any("接单 → 联系" in item.detail or "Intake → Contact" in item.detail for item in items)


def test_default_title_is_written_in_chinese_whatever_the_ui(world, make_customer):
    from django.utils import translation

    with translation.override("en"):
        case = actions.take_order(
            actor=world.sales, customer=make_customer(name="张伟"), site_address="徐汇区1号"
        )
    assert "张伟" in case.title and "Technical" not in case.title


def test_bulk_reassign_is_in_the_audit_log(order, world, licensed):
    from manyi.org.models import AuditEntry

    cases.bulk_reassign(
        actor=world.manager, cases=[order.pk], assignee=licensed.staff, reason="派单"
    )
    entry = AuditEntry.objects.filter(object_type="cases.case", object_id=str(order.pk)).first()
    assert entry.changes["reason"] == [None, "派单"]


def test_absurd_case_id_is_not_found(world):
    with pytest.raises(NotFound):
        cases.add_note(actor=world.head, case=2**70, text="x")


def test_an_outlet_sets_its_own_return_visit_period(world, make_customer):
    from manyi.org.actions import update_unit

    update_unit(actor=world.head, unit=world.east1, return_visit_days=7)
    with pytest.raises(InvalidInput):
        update_unit(actor=world.head, unit=world.east, return_visit_days=7)
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        case = actions.take_order(actor=world.head, customer=make_customer(), site_address="x")
    case.stage = "archive"
    case.save(update_fields=["stage"])
    case.unit.refresh_from_db()
    with time_machine.travel(at(2026, 3, 2, 10, 0), tick=False):
        case = cases.move(actor=world.head, case=case, move="archive", version=case.version)
    assert case.due_at == at(2026, 3, 9, 23, 59, 59)
