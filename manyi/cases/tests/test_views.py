"""Case pages: the queue, a technician's jobs, the case page's generic forms, files, fragments."""

import pytest

from conftest import PASSWORD
from manyi.cases import actions as cases
from manyi.cases.models import Case, EventKind
from manyi.workorders import actions

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def login(client, username):
    client.logout()
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.fixture
def licensed(world):
    staff = world.tech.staff
    staff.work_licence = True
    staff.save()
    return staff


@pytest.fixture
def order(world, make_customer):
    return actions.take_order(
        actor=world.sales,
        customer=make_customer(name="王小明"),
        site_address="漕溪北路88号",
        installer_name="李师傅",
        installer_phone="13900001111",
    )


@pytest.fixture
def thirty(world, make_customer, licensed):
    made = []
    for i in range(30):
        case = actions.take_order(
            actor=world.sales,
            customer=make_customer(name=f"客户{i}"),
            site_address=f"徐汇区{i}号",
            installer_phone="13900001111",
        )
        made.append(cases.assign(actor=world.rep, case=case, assignee=licensed, version=1))
    return made


def test_queue_lists_open_cases_within_a_query_budget(
    client, world, thirty, django_assert_max_num_queries
):
    login(client, "rep")
    with django_assert_max_num_queries(15):
        response = client.get("/cases/")
    html = response.content.decode()
    assert response.status_code == 200 and thirty[0].number in html
    assert 'name="cases"' in html  # bulk reassign checkboxes for a dispatcher


def test_queue_filters_stay_in_the_url_and_page(client, world, thirty):
    login(client, "head")
    response = client.get("/cases/?stage=intake&due=week")
    assert response.status_code == 200
    first = client.get("/cases/")
    import re

    cursor = re.search(r"after=([0-9.]+)", first.content.decode()).group(1)
    second = client.get(f"/cases/?after={cursor}").content.decode()
    assert thirty[-1].number in second and thirty[0].number not in second
    fragment = client.get(
        "/cases/?stage=contact", headers={"HX-Request": "true", "HX-Target": "queue-results"}
    )
    assert "<html" not in fragment.content.decode()
    assert thirty[0].number not in fragment.content.decode()


@pytest.mark.parametrize("bad", ["outlet=x", "assignee=99999999999999999999", "after=zz", "due=?"])
def test_queue_survives_bad_query_strings(client, world, bad):
    login(client, "head")
    assert client.get(f"/cases/?{bad}").status_code == 200


def test_queue_needs_the_right(client, world):
    login(client, "auditor")
    assert client.get("/cases/").status_code == 403
    login(client, "outsider")
    assert client.get("/cases/").status_code == 403


def test_other_outlet_does_not_see_the_case_in_its_queue(client, world, order):
    login(client, "south_manager")
    assert order.number not in client.get("/cases/").content.decode()


def test_mine_shows_my_jobs_within_a_query_budget(
    client, world, thirty, django_assert_max_num_queries
):
    login(client, "tech")
    with django_assert_max_num_queries(12):
        response = client.get("/cases/mine/")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('href="tel:13900001111"') == 30  # the installer, one tap away
    assert thirty[-1].number in html


def test_mine_needs_the_right(client, world):
    login(client, "analyst")
    assert client.get("/cases/mine/").status_code == 403


def test_bulk_reassign_by_a_manager(client, world, thirty):
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
    login(client, "manager")
    ids = [c.pk for c in thirty[:3]]
    r = client.post("/cases/bulk-reassign/", {"cases": ids, "assignee": other.pk, "reason": ""})
    assert r.status_code == 302
    assert not Case.objects.filter(assignee=other).exists()
    r = client.post(
        "/cases/bulk-reassign/",
        {"cases": ids, "assignee": other.pk, "reason": "张工休假", "next": "/cases/?stage=intake"},
    )
    assert r["Location"] == "/cases/?stage=intake"
    assert Case.objects.filter(assignee=other).count() == 3
    login(client, "tech")
    r = client.post("/cases/bulk-reassign/", {"cases": ids, "assignee": other.pk, "reason": "x"})
    assert r.status_code == 403


def test_case_page_shows_facts_timeline_and_stage_forms(client, world, order, licensed):
    login(client, "rep")
    html = client.get(f"/cases/{order.pk}/").content.decode()
    assert order.number in html and "漕溪北路88号" in html and 'href="tel:13900001111"' in html
    assert f"/cases/{order.pk}/assign/" in html and f"/cases/{order.pk}/moves/dispatch/" in html
    assert f"/cases/{order.pk}/moves/accept/" not in html
    login(client, "sales")  # intake only: reads the case, no forms to work it
    html = client.get(f"/cases/{order.pk}/").content.decode()
    assert "/moves/dispatch/" not in html


def test_case_page_outsiders_and_other_outlets_get_404(client, world, order):
    for persona in ("south_manager", "other_head"):
        login(client, persona)
        assert client.get(f"/cases/{order.pk}/").status_code == 404
    login(client, "outsider")
    assert client.get(f"/cases/{order.pk}/").status_code == 403
    login(client, "tech")  # not assigned: not theirs
    assert client.get(f"/cases/{order.pk}/").status_code == 404


def test_note_call_pause_and_resume(client, world, order, licensed):
    login(client, "rep")
    client.post(f"/cases/{order.pk}/assign/", {"assignee": licensed.pk, "version": 1})
    client.post(f"/cases/{order.pk}/moves/dispatch/", {"version": 2})
    order.refresh_from_db()
    assert order.stage == "contact"
    r = client.post(f"/cases/{order.pk}/notes/", {"text": "客户要求周末", "version": order.version})
    assert r.status_code == 302
    r = client.post(
        f"/cases/{order.pk}/calls/",
        {"party": "installer", "outcome": "no_answer", "version": order.version},
    )
    assert r.status_code == 302
    r = client.post(f"/cases/{order.pk}/pause/", {"reason": "", "version": order.version})
    assert r.status_code == 400
    r = client.post(f"/cases/{order.pk}/pause/", {"reason": "客户出差", "version": order.version})
    assert r.status_code == 302
    order.refresh_from_db()
    assert order.paused_at is not None
    assert "客户出差" in client.get(f"/cases/{order.pk}/").content.decode()
    r = client.post(f"/cases/{order.pk}/resume/", {"version": order.version})
    assert r.status_code == 302
    kinds = list(order.events.values_list("kind", flat=True))
    assert EventKind.PAUSE in kinds and EventKind.RESUME in kinds


def test_invalid_state_is_shown_on_the_page(client, world, order):
    login(client, "rep")
    r = client.post(f"/cases/{order.pk}/pause/", {"reason": "等", "version": 1})
    assert r.status_code == 409  # intake's clock cannot be paused
    r = client.post(f"/cases/{order.pk}/moves/dispatch/", {"version": 1})
    assert (
        r.status_code == 422
        and "field-error" in r.content.decode()
        or "errors" in r.content.decode()
    )
    r = client.post(f"/cases/{order.pk}/moves/accept/", {"version": 1})
    assert r.status_code == 409


def test_cancel_needs_a_reason(client, world, order):
    login(client, "rep")
    assert client.post(f"/cases/{order.pk}/moves/cancel/", {"version": 1}).status_code == 422
    r = client.post(f"/cases/{order.pk}/moves/cancel/", {"version": 1, "note": "客户退货"})
    assert r.status_code == 302
    order.refresh_from_db()
    assert order.stage == "cancelled"


def test_wrong_role_gets_403(client, world, order):
    login(client, "analyst")
    assert client.post(f"/cases/{order.pk}/notes/", {"text": "x", "version": 1}).status_code == 403
    login(client, "sales")
    r = client.post(f"/cases/{order.pk}/assign/", {"assignee": 1, "version": 1})
    assert r.status_code == 403


def test_photos_are_served_only_within_the_scope(client, world, order):
    from django.core.files.uploadedfile import SimpleUploadedFile

    login(client, "rep")
    r = client.post(
        f"/cases/{order.pk}/photos/",
        {"file": SimpleUploadedFile("a.png", PNG, "image/png"), "version": 1},
    )
    assert r.status_code == 302
    photo = order.attachments.get()
    url = f"/cases/{order.pk}/attachments/{photo.pk}/"
    response = client.get(url)
    assert response["Content-Type"] == "image/png" and b"".join(response.streaming_content) == PNG
    r = client.post(
        f"/cases/{order.pk}/photos/",
        {"file": SimpleUploadedFile("a.txt", b"hello", "text/plain"), "version": 1},
    )
    assert r.status_code == 422 and "field-error" in r.content.decode()
    assert client.get(f"/cases/{order.pk}/attachments/999999/").status_code == 404
    login(client, "south_manager")
    assert client.get(url).status_code == 404
    login(client, "outsider")
    assert client.get(url).status_code == 403


def test_customer_page_lists_the_customers_cases(client, world, order):
    login(client, "sales")
    page = client.get(f"/customers/{order.customer_id}/").content.decode()
    assert f'hx-get="/cases/for-customer/{order.customer_id}/"' in page
    fragment = client.get(f"/cases/for-customer/{order.customer_id}/").content.decode()
    assert order.number in fragment and "<html" not in fragment
    login(client, "south_manager")
    assert client.get(f"/cases/for-customer/{order.customer_id}/").status_code == 404
    login(client, "auditor")
    assert client.get(f"/cases/for-customer/{order.customer_id}/").status_code == 403
