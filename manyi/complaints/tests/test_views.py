"""The complaint through its pages: intake by the front line with the care script, the list,
the case page's complaint panel at each stage, and the refusals (role, outsider, stale page)."""

import re

import pytest

from manyi.cases.models import Attachment, Case
from manyi.complaints.models import Complaint
from manyi.complaints.policy import causes_for
from manyi.notify.models import Message

from .conftest import PNG, login


def _version(case):
    case.refresh_from_db()
    return case.version


def _intake(client, customer, **overrides):
    data = {
        "customer": customer.pk,
        "description": "墙面起泡，刚刷完一周",
        "channel": "store",
        "contact_name": "",
        "contact_phone": "",
        "site_address": "",
        "product": "华彩净味墙面漆",
        "batch_no": "HC20260213-01",
        "installer_name": "李师傅",
        "installer_phone": "13900001111",
        **overrides,
    }
    return client.post("/complaints/new/", data)


def test_intake_shows_the_care_script_and_asks_no_technical_questions(
    client, world, customer, rule
):
    login(client, "sales")
    page = client.get(f"/complaints/new/?customer={customer.pk}").content.decode()
    for words in ("1. Express your willingness to help", "3. Take ownership"):
        from manyi.complaints.tests.test_views import zh

        assert zh(words) in page
    assert "likely_cause" not in page and "responsibility" not in page
    # The promise in the script is the company's own first-contact deadline.
    from manyi.complaints.models import ComplaintPolicy

    ComplaintPolicy.objects.update_or_create(
        company=world.company, defaults={"first_contact_hours": 4}
    )
    page = client.get(f"/complaints/new/?customer={customer.pk}").content.decode()
    promise = (
        "“I will make sure it is handled: our technician will call you within "
        "%(hours)s hours and come to see it with you.”"
    )
    assert zh(promise) % {"hours": "4"} in page
    assert 'name="description"' in page and 'name="safety"' in page


def zh(message):
    from django.utils import translation

    with translation.override("zh-hans"):
        return translation.gettext(message)


def test_intake_lands_on_the_complaint_and_acknowledges_it(client, world, customer, rule, tech):
    login(client, "sales")
    response = _intake(client, customer)
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    assert case.assignee == tech.staff and case.complaint.channel == "store"
    assert Message.objects.filter(ref=case.number).exists()
    html = client.get(response["Location"]).content.decode()
    assert case.number in html and "李师傅" in html


def test_intake_search_finds_customers(client, world, customer):
    login(client, "sales")
    fragment = client.get(
        "/complaints/new/?q=小明", headers={"HX-Request": "true", "HX-Target": "customer-matches"}
    ).content.decode()
    assert "王小明" in fragment and "<html" not in fragment


def test_intake_errors_are_shown_next_to_the_field(client, world, customer, rule):
    login(client, "sales")
    response = _intake(client, customer, contact_phone="123")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="field has-error' in html
    assert zh("Enter a valid mainland-China mobile number (11 digits starting with 1).") in html
    response = _intake(client, customer, description=" ")
    assert response.status_code == 400 and 'class="field has-error' in response.content.decode()
    assert not Case.objects.exists() and not Message.objects.exists()


def test_intake_needs_the_role_and_the_scope(client, world, customer, make_customer, tech):
    login(client, "tech")
    assert client.get("/complaints/new/").status_code == 403
    assert _intake(client, customer).status_code == 403
    login(client, "outsider")
    assert client.get("/complaints/new/").status_code == 403
    login(client, "sales")
    south = make_customer(outlet=world.south1)
    assert _intake(client, south).status_code == 400  # not even found
    assert not Case.objects.exists()


def test_an_unhappy_return_visit_offers_a_prefilled_complaint(client, world, customer, rule, tech):
    from manyi.cases import actions as cases
    from manyi.workorders import actions as workorders

    order = workorders.take_order(
        actor=world.sales,
        customer=customer,
        site_address="漕溪北路88号1201室",
        installer_name="王师傅",
        installer_phone="13900003333",
    )
    order = cases.assign(actor=world.rep, case=order, assignee=tech.staff, version=1)
    order = cases.move(actor=world.rep, case=order, move="dispatch", version=order.version)
    cases.log_call(actor=tech, case=order, outcome="reached")
    workorders.set_first_visit(actor=tech, case=order, at=order.opened_at)
    order = cases.move(actor=tech, case=order, move="contacted", version=order.version)
    workorders.log_visit(actor=tech, case=order, step="底漆")
    order = cases.move(actor=tech, case=order, move="hand_in", version=order.version)
    workorders.sign_record(
        actor=tech, case=order, signer_name="王小明", evaluation="neutral", signature=PNG
    )
    order = cases.move(actor=tech, case=order, move="submit", version=order.version)
    checklist = dict.fromkeys(("edges", "surface", "finish", "touch"), "pass")
    order = cases.move(
        actor=world.inspector,
        case=order,
        move="accept",
        version=order.version,
        payload={"checklist": checklist, "method": 4, "attitude": 4},
    )
    order = cases.move(actor=world.rep, case=order, move="archive", version=order.version)
    # The return visit: the customer is not satisfied.
    cases.move(
        actor=world.rep,
        case=order,
        move="close",
        version=order.version,
        payload={"outcome": "not_satisfied"},
    )
    login(client, "rep")
    page = client.get(f"/cases/{order.pk}/").content.decode()
    link = f"/complaints/new/?source={order.pk}"
    assert link in page
    form = client.get(link).content.decode()
    assert "13900003333" in form and "漕溪北路88号1201室" in form
    assert 'value="return_visit" checked' in form or re.search(
        r'value="return_visit"[^>]*checked', form
    )
    response = _intake(
        client,
        customer,
        source=order.pk,
        channel="return_visit",
        installer_phone="13900003333",
        site_address="漕溪北路88号1201室",
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.source_case == order and complaint.channel == "return_visit"
    # Opening it again goes to the complaint already open.
    again = client.get(link)
    assert again.status_code == 302 and again["Location"] == f"/cases/{complaint.case_id}/"


def test_the_list_filters_and_finds_closed_complaints(
    client, world, take, make_customer, django_assert_max_num_queries
):
    from manyi.complaints import actions

    made = [take(customer=make_customer(name=f"客户{i}")) for i in range(30)]
    major = take(customer=make_customer(name="媒体客户"), media=True)
    closed = actions.close(
        actor=world.rep, case=made[0], reason="客户撤回", version=made[0].version
    )
    login(client, "rep")
    with django_assert_max_num_queries(10):
        page = client.get("/complaints/").content.decode()
    assert major.number in page and closed.number not in page
    assert "/complaints/?" in page or "after=" in page  # 31 open: a second page
    page = client.get("/complaints/?severity=major").content.decode()
    assert major.number in page and made[5].number not in page
    # Closed complaints stay searchable: by number, by phone's last digits, by batch.
    for q in (closed.number, closed.customer.phone[-4:]):
        assert closed.number in client.get(f"/complaints/?q={q}").content.decode()
    assert closed.number in client.get("/complaints/?stage=closed").content.decode()
    fragment = client.get(
        "/complaints/?overdue=1", headers={"HX-Request": "true", "HX-Target": "complaint-results"}
    ).content.decode()
    assert "<html" not in fragment


def test_the_list_is_scoped(client, world, take):
    case = take()
    login(client, "south_manager")
    assert case.number not in client.get("/complaints/").content.decode()
    login(client, "outsider")
    assert client.get("/complaints/").status_code == 403


def test_the_whole_way_through_the_pages(client, world, take, tech):
    case = take()
    url = f"/cases/{case.pk}/"
    login(client, "tech")
    page = client.get(url).content.decode()
    assert zh("Calling the customer") in page  # the words for the first call
    r = client.post(
        f"/complaints/{case.pk}/calls/",
        {"version": _version(case), "party": "customer", "outcome": "reached"},
    )
    assert r.status_code == 302
    client.post(
        f"/complaints/{case.pk}/calls/",
        {"version": _version(case), "party": "installer", "outcome": "reached"},
    )
    r = client.post(f"{url}moves/contacted/", {"version": _version(case)})
    assert r.status_code == 422  # no visit booked: shown on the page
    r = client.post(
        f"/complaints/{case.pk}/visit/",
        {"version": _version(case), "at": "2026-12-03T10:00", "place": ""},
    )
    assert r.status_code == 302
    assert client.post(f"{url}moves/contacted/", {"version": _version(case)}).status_code == 302

    page = client.get(url).content.decode()
    assert "HC20260213-01" in page  # the batch, beside the preparation
    r = client.post(
        f"/complaints/{case.pk}/preparation/",
        {"version": _version(case), "likely_cause": "基层潮湿", "tools": ["brush", "panel"]},
    )
    assert r.status_code == 302
    client.post(f"{url}moves/prepared/", {"version": _version(case)})
    r = client.post(
        f"/complaints/{case.pk}/investigation/",
        {
            "version": _version(case),
            "present": ["technician", "customer", "installer"],
            "findings": "基层潮湿导致起泡",
        },
    )
    assert r.status_code == 302
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = client.post(
        f"/complaints/{case.pk}/experiments/",
        {
            "version": _version(case),
            "purpose": "验证基层",
            "material": "未开罐 HC20260213-01",
            "unopened": "on",
            "procedure": "按配比刷样板",
            "result": "潮湿样板起泡",
            "photo": SimpleUploadedFile("p.png", PNG, content_type="image/png"),
        },
    )
    assert r.status_code == 302 and Attachment.objects.filter(case=case).count() == 1
    r = client.post(
        f"/complaints/{case.pk}/resolutions/",
        {"version": _version(case), "kind": "compensate", "amount": "1500", "cost": "1500"},
    )
    assert r.status_code == 302
    client.post(f"{url}moves/investigated/", {"version": _version(case)})
    cause = causes_for(world.company.pk)[0]
    r = client.post(
        f"/complaints/{case.pk}/ruling/",
        {"version": _version(case), "responsibility": "ours", "cause": cause.pk},
    )
    assert r.status_code == 302
    resolution = case.complaint.resolutions.get()
    r = client.post(
        f"/complaints/{case.pk}/resolutions/execute/",
        {"version": _version(case), "resolution": resolution.pk},
    )
    assert r.status_code == 409  # waits for the manager

    login(client, "manager")
    page = client.get(url).content.decode()
    assert zh("Approve") in page
    r = client.post(
        f"/complaints/{case.pk}/resolutions/decide/",
        {"version": _version(case), "resolution": resolution.pk, "decision": "approve"},
    )
    assert r.status_code == 302

    login(client, "tech")
    r = client.post(
        f"/complaints/{case.pk}/resolutions/execute/",
        {"version": _version(case), "resolution": resolution.pk, "cost": "1550"},
    )
    assert r.status_code == 302
    client.post(f"{url}moves/resolved/", {"version": _version(case)})
    r = client.post(
        f"/complaints/{case.pk}/follow-up/",
        {"version": _version(case), "outcome": "reached", "note": "客户满意"},
    )
    assert r.status_code == 302
    client.post(f"{url}moves/followed_up/", {"version": _version(case)})

    login(client, "rep")
    r = client.post(
        f"/complaints/{case.pk}/return-visit/",
        {"version": _version(case), "outcome": "satisfied"},
    )
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.stage == "done"
    complaint = Complaint.objects.get(case=case)
    assert complaint.resolved_at and complaint.follow_up_at and complaint.first_contact_at
    page = client.get(url).content.decode()
    assert cause.name in page and "1550" in page


def test_a_stale_page_and_the_wrong_role_are_refused(client, world, take, tech):
    case = take()
    login(client, "tech")
    old = _version(case)
    client.post(
        f"/complaints/{case.pk}/visit/", {"version": old, "at": "2026-12-03T10:00", "place": ""}
    )
    r = client.post(
        f"/complaints/{case.pk}/visit/",
        {"version": old, "at": "2026-12-04T10:00", "place": "", "reason": "改期"},
    )
    assert r.status_code == 409
    login(client, "sales")
    r = client.post(
        f"/complaints/{case.pk}/visit/",
        {"version": _version(case), "at": "2026-12-04T10:00", "reason": "改期"},
    )
    assert r.status_code == 403
    login(client, "outsider")
    assert client.get(f"/cases/{case.pk}/").status_code in (403, 404)
    r = client.post(f"/complaints/{case.pk}/escalate/", {"version": 1, "reasons": ["safety"]})
    assert r.status_code in (403, 404)
    login(client, "south_manager")
    assert client.get(f"/cases/{case.pk}/").status_code == 404


def test_the_person_complained_about_is_not_offered_for_handover(client, world, take, tech):
    case = take(about_staff=tech.staff)
    login(client, "manager")
    page = client.get(f"/cases/{case.pk}/").content.decode()
    form = page[page.index('id="id_c_reassign-assignee"') :]
    form = form[: form.index("</select>")]
    assert f'value="{tech.staff.pk}"' not in form
    r = client.post(
        f"/complaints/{case.pk}/reassign/",
        {"version": _version(case), "assignee": tech.staff.pk, "reason": "他有空"},
    )
    assert r.status_code == 400
    case.refresh_from_db()
    assert case.assignee == world.manager.staff


def test_merging_a_duplicate_from_the_page(client, world, take):
    kept = take()
    duplicate = take(channel="online")
    login(client, "rep")
    page = client.get(f"/cases/{duplicate.pk}/").content.decode()
    assert kept.number in page  # offered as the complaint to keep
    r = client.post(
        f"/complaints/{duplicate.pk}/merge/",
        {"version": _version(duplicate), "into": kept.pk, "reason": "重复"},
    )
    assert r.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.stage == "merged"
    assert kept.number in client.get(f"/cases/{duplicate.pk}/").content.decode()
    assert duplicate.number in client.get(f"/cases/{kept.pk}/").content.decode()


@pytest.mark.parametrize("who", ["tech", "manager", "rep", "head", "analyst", "sales"])
def test_the_case_page_of_a_complaint_within_a_query_budget(
    client, world, take, advance, who, django_assert_max_num_queries
):
    case = advance(take(), "investigation")
    login(client, who)
    with django_assert_max_num_queries(30):
        response = client.get(f"/cases/{case.pk}/")
    assert response.status_code == 200
