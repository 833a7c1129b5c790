"""Intake (接单): numbered, routed, on the first-contact clock, acknowledged to the customer;
bad input writes nothing; only those who take complaints may."""

import datetime as dt

import pytest
import time_machine

from manyi.cases.models import Case, EventKind
from manyi.complaints import actions
from manyi.complaints.models import Complaint, ComplaintPolicy
from manyi.complaints.queries import prefill_from_case
from manyi.errors import InvalidInput, NotFound, OutOfScope
from manyi.notify.models import Message

from .conftest import at


def test_intake_numbers_routes_and_starts_the_first_contact_clock(world, take, tech):
    # Friday 16:00: 1.5 business hours left on Friday, 0.5 h from Monday 08:30.
    with time_machine.travel(at(2026, 3, 6, 16, 0), tick=False):
        case = take()
    assert case.number == "TS-2026-000001"
    assert case.kind == "complaint" and case.stage == "first_contact"
    assert case.assignee == tech.staff
    assert case.due_at == at(2026, 3, 9, 9, 0)
    complaint = case.complaint
    assert complaint.company == world.company
    assert complaint.received_month == dt.date(2026, 3, 1)
    assert complaint.contact_phone == case.customer.phone
    assert complaint.severity == "normal" and complaint.major_reasons == []


def test_the_first_contact_clock_keeps_the_spring_festival_make_up_day(world, take):
    # Friday 13 February 16:00: 1.5 h on Friday, then the make-up workday Saturday 14th.
    with time_machine.travel(at(2026, 2, 13, 16, 0), tick=False):
        case = take()
    assert case.due_at == at(2026, 2, 14, 9, 0)


def test_the_company_sets_the_first_contact_deadline(world, take):
    ComplaintPolicy.objects.create(company=world.company, first_contact_hours=4)
    # Monday 15:00: 2.5 h on Monday, 1.5 h from Tuesday 08:30.
    with time_machine.travel(at(2026, 3, 9, 15, 0), tick=False):
        case = take()
    assert case.due_at == at(2026, 3, 10, 10, 0)


def test_the_received_month_is_the_local_month(world, take):
    # 1 April 00:30 in Shanghai is still 31 March in UTC.
    with time_machine.travel(at(2026, 4, 1, 0, 30), tick=False):
        case = take()
    assert case.complaint.received_month == dt.date(2026, 4, 1)


def test_the_customer_gets_the_reference_number(world, take):
    case = take(contact_name="王太太", contact_phone="139 0000 2222")
    message = Message.objects.get(ref=case.number)
    assert message.channel == "sms" and message.to == "13900002222"
    assert case.number in message.body
    complaint = case.complaint
    assert complaint.acknowledged_at is not None
    assert complaint.contact_name == "王太太"


def test_the_intake_keeps_what_the_front_line_was_told(world, take, customer):
    from manyi.customers.actions import add_purchase

    purchase = add_purchase(
        actor=world.head,
        customer=customer,
        data={
            "product": "华彩木器清漆",
            "batch_no": "HC20260101-02",
            "quantity": 2,
            "purchased_on": "2026-01-05",
            "outlet": world.east1,
        },
    )
    case = take(product="", batch_no="", purchase=purchase, source_ref="survey:42")
    complaint = case.complaint
    assert (complaint.product, complaint.batch_no) == ("华彩木器清漆", "HC20260101-02")
    assert complaint.purchase == purchase and complaint.source_ref == "survey:42"
    assert complaint.site_address == customer.full_address
    assert case.description == "墙面起泡，刚刷完一周"


def test_bad_input_is_refused_and_nothing_is_written(world, take):
    with pytest.raises(InvalidInput) as exc:
        take(description="  ", contact_phone="123", channel="fax", amount_claimed="-5")
    fields = {f for f, _m in exc.value.field_errors()}
    assert fields == {"description", "contact_phone", "channel", "amount_claimed"}
    assert not Case.objects.exists() and not Complaint.objects.exists()
    assert not Message.objects.exists()


def test_a_technician_does_not_take_complaints(world, take, tech):
    with pytest.raises(OutOfScope):
        take(actor=tech)
    assert not Case.objects.exists()


def test_an_outsider_and_another_outlet_are_refused(world, take, make_customer):
    with pytest.raises(OutOfScope):
        take(actor=world.outsider)
    south = make_customer(outlet=world.south1, name="广州客户")
    with pytest.raises(OutOfScope):
        take(customer=south)
    assert not Complaint.objects.exists()


def test_a_work_orders_unhappy_return_visit_prefills_the_complaint(world, take, customer):
    from manyi.workorders import actions as workorders

    order = workorders.take_order(
        actor=world.sales,
        customer=customer,
        site_address="漕溪北路88号1201室",
        installer_name="王师傅",
        installer_phone="13900003333",
        products="华彩净味墙面漆 HC20260213-01 ×5\n华彩底漆 ×2",
    )
    values = prefill_from_case(order)
    assert values["channel"] == "return_visit" and values["source_case"] == order
    assert values["site_address"] == "漕溪北路88号1201室"
    assert values["installer_phone"] == "13900003333"
    assert values["product"] == "华彩净味墙面漆 HC20260213-01 ×5"
    values.pop("unit")
    values.pop("customer")
    case = take(**{**values, "description": "回访不满意：墙面发花"})
    complaint = case.complaint
    assert complaint.source_case == order and complaint.channel == "return_visit"
    assert complaint.installer_name == "王师傅"
    assert case.unit == order.unit


def test_a_source_case_of_another_customer_is_refused(world, take, make_customer):
    from manyi.workorders import actions as workorders

    other = workorders.take_order(
        actor=world.sales, customer=make_customer(name="别人"), site_address="某路1号"
    )
    with pytest.raises(InvalidInput) as exc:
        take(source_case=other)
    assert exc.value.field_errors()[0][0] == "source_case"


def test_the_timeline_starts_with_intake_routing_and_assignment(world, take):
    case = take()
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds == [EventKind.OPENED, EventKind.ASSIGN, EventKind.NOTE]


def test_a_complaint_of_another_company_is_not_found(world, take):
    case = take()
    with pytest.raises(NotFound):
        actions.log_call(actor=world.other_head, case=case, party="customer", outcome="reached")
