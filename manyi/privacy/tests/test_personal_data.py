"""A customer's personal data (PIPL): export (JSON, Excel, API), erasure that keeps the numbers,
both in the audit log; who may; retention of closed records."""

import datetime as dt
import io
import json

import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook

from conftest import assert_problem, auth, send
from manyi.cases.models import Case, CaseEvent
from manyi.complaints.actions.intake import open_complaint
from manyi.customers.actions import add_purchase
from manyi.customers.models import Customer, Purchase
from manyi.errors import InvalidInput, NotFound
from manyi.org.models import AuditEntry
from manyi.privacy import actions
from manyi.surveys import actions as survey_actions
from manyi.surveys import answering
from manyi.surveys.models import Invitation, SurveyAnswer, SurveyResponse
from manyi.surveys.tests.conftest import CSI_ALL_FIVES
from manyi.workorders.actions import take_order

PHONE = "13812345678"


@pytest.fixture
def customer(frozen, world, consenting, campaign_data):
    """A customer with a purchase, a work order, a complaint and an answered survey."""
    c = consenting(name="张三丰", phone=PHONE, address_detail="漕溪北路88号", notes="喜欢蓝色")
    add_purchase(
        actor=world.head,
        customer=c,
        data={"product": "墙面漆", "purchased_on": dt.date(2026, 10, 1), "quantity": 2},
    )
    take_order(actor=world.sales, customer=c, installer_name="李师傅", products="墙面漆 ×2")
    open_complaint(
        actor=world.rep,
        customer=c,
        description="张三丰说墙面起泡",
        contact_name="张三丰",
        contact_phone=PHONE,
    )
    campaign = survey_actions.create_campaign(
        actor=world.head, data=campaign_data(target={"outlets": [world.east1.pk]})
    )
    survey_actions.launch_campaign(actor=world.head, campaign=campaign)
    survey_actions.send_due_invitations()
    invitation = Invitation.objects.get(customer=c)
    answering.submit_invitation(
        token=invitation.token, answers={**CSI_ALL_FIVES, "comment": "张三丰很满意"}
    )
    return c


def test_export_holds_every_section_and_is_logged(client, world, customer):
    client.force_login(world.manager)
    response = client.get(reverse("privacy:json", args=[customer.pk]))
    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["customer"][0]["name"] == "张三丰"
    assert data["customer"][0]["phone"] == PHONE
    assert len(data["purchases"]) == 1
    assert len(data["cases"]) == 2
    assert len(data["work_orders"]) == 1 and len(data["complaints"]) == 1
    assert len(data["survey_responses"]) == 1
    assert any(a["text"] == "张三丰很满意" for a in data["survey_answers"])
    response = client.get(reverse("privacy:xlsx", args=[customer.pk]))
    assert response.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    assert {"customer", "purchases", "cases", "complaints", "survey_answers"} <= set(
        book.sheet_names
    )
    rows = book.get_sheet_by_name("customer").to_python()
    assert rows[1][rows[0].index("name")] == "张三丰"
    exports = AuditEntry.objects.filter(
        object_type="customers.customer", object_id=str(customer.pk), action="export"
    )
    assert exports.count() == 2
    assert exports.first().actor_id == world.manager.pk


def test_export_in_the_api(client, world, customer):
    response = client.get(f"/api/v1/customers/{customer.pk}/personal-data", **auth(world.head))
    assert response.status_code == 200
    assert response.json()["customer"][0]["phone"] == PHONE


@pytest.mark.parametrize("persona", ["sales", "tech", "analyst", "auditor", "rep"])
def test_roles_without_the_right_cannot_export_or_erase(client, world, customer, persona):
    user = world.users[persona]
    assert_problem(client.get(f"/api/v1/customers/{customer.pk}/personal-data", **auth(user)), 403)
    body = {"confirm": "5678"}
    url = f"/api/v1/customers/{customer.pk}/erase"
    assert_problem(send(client, "post", url, auth(user), body), 403)
    client.force_login(user)
    assert client.get(reverse("privacy:json", args=[customer.pk])).status_code == 403
    assert Customer.objects.get(pk=customer.pk).erased_at is None


def test_other_units_and_companies_do_not_see_the_customer(client, world, customer):
    for persona in ("south_manager", "other_head", "outsider"):
        response = client.get(
            f"/api/v1/customers/{customer.pk}/personal-data", **auth(world.users[persona])
        )
        assert response.status_code in (403, 404)
    with pytest.raises(NotFound):
        actions.erase_customer(actor=world.south_manager, customer_id=customer.pk, confirm="5678")


def test_erasure_anonymises_and_keeps_the_numbers(client, world, customer):
    cases_before = Case.objects.filter(customer=customer).count()
    response = SurveyResponse.objects.get(customer=customer)
    index_before = response.index
    answers_before = SurveyAnswer.objects.filter(response=response).count()
    client.force_login(world.manager)
    page = reverse("privacy:customer", args=[customer.pk])
    # The confirm step: the wrong digits change nothing.
    wrong = client.post(page, {"confirm": "0000"})
    assert wrong.status_code == 422
    assert "请输入顾客手机号后四位" in wrong.content.decode()
    assert Customer.objects.get(pk=customer.pk).erased_at is None
    done = client.post(page, {"confirm": "5678"})
    assert done.status_code == 302
    c = Customer.objects.get(pk=customer.pk)
    assert c.erased_at is not None
    assert c.name == f"#{c.pk}" and PHONE not in c.phone and c.notes == ""
    assert c.address_detail == "" and not c.survey_consent and "张三" not in c.search_text
    # Nothing identifying remains anywhere in the customer's data…
    dump = json.dumps(actions.customer_data(c), ensure_ascii=False)
    for text in ("张三丰", PHONE, "漕溪北路", "喜欢蓝色", "李师傅", "起泡"):
        assert text not in dump, text
    assert not CaseEvent.objects.filter(case__customer=c).exclude(text="").exists()
    # …and every number stays: cases, purchases, the survey response, its scores.
    assert Case.objects.filter(customer=c).count() == cases_before
    assert Purchase.objects.filter(customer=c).count() == 1
    response.refresh_from_db()
    assert response.index == index_before
    assert SurveyAnswer.objects.filter(response=response).count() == answers_before
    entry = AuditEntry.objects.get(
        object_type="customers.customer", object_id=str(c.pk), action="delete"
    )
    assert entry.actor_id == world.manager.pk
    assert "erased" in json.dumps(entry.changes)
    # Twice is refused, with a clear message.
    with pytest.raises(InvalidInput):
        actions.erase_customer(actor=world.head, customer_id=c.pk, confirm=c.phone[-4:])


def test_erasure_in_the_api(client, world, customer):
    url = f"/api/v1/customers/{customer.pk}/erase"
    body = assert_problem(send(client, "post", url, auth(world.head), {"confirm": "1"}), 422)
    assert body["errors"][0]["field"] == "confirm"
    response = send(client, "post", url, auth(world.head), {"confirm": "5678"})
    assert response.status_code == 200
    assert response.json()["id"] == customer.pk
    assert Customer.objects.get(pk=customer.pk).erased_at is not None


def test_retention_anonymises_only_customers_with_everything_old_and_closed(
    world, make_customer, settings
):
    from manyi import clock

    settings.MANYI_RETENTION_YEARS = 0
    old = make_customer(name="老顾客")
    active = make_customer(name="新顾客")
    with_open_case = make_customer(name="有工单")
    take_order(actor=world.sales, customer=with_open_case, site_address="漕溪北路1号")
    later = clock.now() + dt.timedelta(days=365 * 3 + 10)
    assert actions.apply_retention(now=later) == 0  # 0 years: off
    settings.MANYI_RETENTION_YEARS = 3
    add_purchase(
        actor=world.head,
        customer=active,
        data={"product": "墙面漆", "purchased_on": dt.date(2026, 11, 1), "quantity": 1},
    )
    Purchase.objects.filter(customer=active).update(created_at=later - dt.timedelta(days=5))
    assert actions.apply_retention(now=later) == 1
    assert Customer.objects.get(pk=old.pk).erased_at is not None
    assert Customer.objects.get(pk=active.pk).erased_at is None
    assert Customer.objects.get(pk=with_open_case.pk).erased_at is None
    assert AuditEntry.objects.filter(object_id=str(old.pk), action="delete").count() == 1
    assert actions.apply_retention(now=later) == 0  # done once


def test_the_retention_task_is_scheduled():
    from manyi.periodic import SCHEDULE

    assert any(p.task == "manyi.privacy.tasks:apply_retention" for p in SCHEDULE)


def test_customer_page_links_to_personal_data(client, world, make_customer):
    c = make_customer()
    client.force_login(world.manager)
    assert (
        'data-testid="personal-data"'
        in client.get(reverse("customers:detail", args=[c.pk])).content.decode()
    )
    client.force_login(world.sales)
    assert (
        'data-testid="personal-data"'
        not in client.get(reverse("customers:detail", args=[c.pk])).content.decode()
    )


def test_deleting_a_customer_with_cases_is_refused_not_a_500(client, world, make_customer):
    c = make_customer()
    take_order(actor=world.sales, customer=c, site_address="漕溪北路1号")
    response = client.delete(f"/api/v1/customers/{c.pk}", **auth(world.head))
    assert_problem(response, 422)
    assert Customer.objects.filter(pk=c.pk).exists()
