"""The work order through its pages, from intake to the return visit, by the right personas."""

import base64
import re

import pytest

from conftest import PASSWORD
from manyi.cases.models import Attachment, Case, EventKind
from manyi.workorders.workflow import CHECKPOINTS

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


def _version(case):
    case.refresh_from_db()
    return case.version


def _intake(client, customer, **overrides):
    data = {
        "customer": customer.pk,
        "site_address": "",
        "installer_name": "李师傅",
        "installer_phone": "13900001111",
        "planned_start": "2026-03-02",
        "priority": "normal",
        "products": "华彩净味墙面漆 ×5",
        **overrides,
    }
    return client.post("/work-orders/new/", data)


def test_intake_from_the_customer_page_lands_on_the_case(client, world, make_customer):
    customer = make_customer(name="王小明", address_detail="漕溪北路88号")
    login(client, "sales")
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert f"/work-orders/new/?customer={customer.pk}" in page
    form = client.get(f"/work-orders/new/?customer={customer.pk}")
    assert form.status_code == 200 and "王小明" in form.content.decode()
    response = _intake(client, customer)
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    assert case.workorder.site_address.endswith("漕溪北路88号")
    html = client.get(response["Location"]).content.decode()
    assert case.number in html and "李师傅" in html


def test_intake_search_finds_customers(client, world, make_customer):
    make_customer(name="王小明")
    login(client, "sales")
    html = client.get("/work-orders/new/?q=小明").content.decode()
    assert "王小明" in html
    fragment = client.get(
        "/work-orders/new/?q=小明", headers={"HX-Request": "true", "HX-Target": "customer-matches"}
    )
    assert "王小明" in fragment.content.decode() and "<html" not in fragment.content.decode()


def test_intake_errors_are_shown_next_to_the_field(client, world, make_customer):
    customer = make_customer()
    login(client, "sales")
    response = _intake(client, customer, installer_phone="123")
    assert response.status_code == 400
    assert 'class="field has-error"' in response.content.decode()
    assert not Case.objects.exists()


def test_intake_needs_the_role_and_the_scope(client, world, make_customer):
    customer = make_customer()
    login(client, "tech")
    assert client.get("/work-orders/new/").status_code == 403
    assert _intake(client, customer).status_code == 403
    south = make_customer(outlet=world.south1)
    login(client, "sales")
    response = _intake(client, south)  # a customer of another outlet: not even found
    assert response.status_code == 400 and not Case.objects.exists()
    login(client, "outsider")
    assert client.get("/work-orders/new/").status_code == 403


def test_the_whole_way_through_the_pages(client, world, make_customer, licensed):
    customer = make_customer(name="王小明", address_detail="漕溪北路88号")
    login(client, "sales")
    _intake(client, customer)
    case = Case.objects.get()
    url = f"/cases/{case.pk}/"

    # Dispatch: the service rep assigns and dispatches.
    login(client, "rep")
    r = client.post(f"{url}assign/", {"assignee": licensed.pk, "version": _version(case)})
    assert r.status_code == 302
    r = client.post(f"{url}moves/dispatch/", {"version": _version(case)})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.stage == "contact" and case.assignee == licensed

    # Contact: the technician calls and fixes the first visit.
    login(client, "tech")
    assert case.number in client.get("/cases/mine/").content.decode()
    r = client.post(f"{url}moves/contacted/", {"version": _version(case)})
    assert r.status_code == 422  # no call yet: shown on the page
    client.post(
        f"{url}calls/",
        {"party": "customer", "outcome": "reached", "note": "约好", "version": _version(case)},
    )
    r = client.post(
        f"/work-orders/{case.pk}/first-visit/",
        {"at": "2026-03-05T09:00", "version": _version(case)},
    )
    assert r.status_code == 302
    assert client.post(f"{url}moves/contacted/", {"version": _version(case)}).status_code == 302

    # Service: a visit with a photo, then hand in.
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = client.post(
        f"/work-orders/{case.pk}/visits/",
        {
            "step": "底漆",
            "mix_ratio": "1:1",
            "customer_informed": "on",
            "version": _version(case),
            "photo": SimpleUploadedFile("site.png", PNG, content_type="image/png"),
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    photo = Attachment.objects.get(kind="photo")
    assert b"".join(client.get(f"{url}attachments/{photo.pk}/").streaming_content) == PNG
    assert client.post(f"{url}moves/hand_in/", {"version": _version(case)}).status_code == 302

    # Record: the customer signs on the phone.
    signature = "data:image/png;base64," + base64.b64encode(PNG).decode()
    r = client.post(
        f"/work-orders/{case.pk}/sign/",
        {
            "signer_name": "王小明",
            "evaluation": "very_satisfied",
            "signature": "",
            "version": _version(case),
        },
    )
    assert r.status_code == 422 and "field-error" in r.content.decode()
    r = client.post(
        f"/work-orders/{case.pk}/sign/",
        {
            "signer_name": "王小明",
            "evaluation": "very_satisfied",
            "signature": signature,
            "version": _version(case),
        },
    )
    assert r.status_code == 302
    assert client.post(f"{url}moves/submit/", {"version": _version(case)}).status_code == 302

    # Acceptance: the technician may not inspect; the inspector sends back, then accepts.
    inspection = {**dict.fromkeys(CHECKPOINTS, "pass"), "method": "5", "attitude": "4"}
    r = client.post(
        f"/work-orders/{case.pk}/inspect/",
        {**inspection, "decision": "accept", "version": _version(case)},
    )
    assert r.status_code == 403
    login(client, "inspector")
    r = client.post(
        f"/work-orders/{case.pk}/inspect/",
        {
            **inspection,
            "edges": "rework",
            "notes": "收口不精",
            "decision": "rework",
            "version": _version(case),
        },
    )
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.stage == "service" and case.counters == {"rework": 1}
    login(client, "tech")
    for move in ("hand_in", "submit"):
        assert client.post(f"{url}moves/{move}/", {"version": _version(case)}).status_code == 302
    login(client, "inspector")
    r = client.post(
        f"/work-orders/{case.pk}/inspect/",
        {**inspection, "decision": "accept", "version": _version(case)},
    )
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.stage == "archive"

    # Archive and return visit: the service rep.
    login(client, "rep")
    assert client.post(f"{url}moves/archive/", {"version": _version(case)}).status_code == 302
    r = client.post(
        f"/work-orders/{case.pk}/return-visit/",
        {"outcome": "satisfied", "notes": "很满意", "version": _version(case)},
    )
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.stage == "done" and case.workorder.return_visit_outcome == "satisfied"
    html = client.get(url).content.decode()
    assert "很满意" in html and "王小明" in html
    kinds = set(case.events.values_list("kind", flat=True))
    assert {EventKind.CALL, EventKind.VISIT, EventKind.PHOTO, EventKind.SIGNATURE} <= kinds


def test_stale_page_gets_the_conflict_message(client, world, make_customer, licensed):
    login(client, "sales")
    _intake(client, make_customer(address_detail="漕溪北路1号"))
    case = Case.objects.get()
    login(client, "rep")
    client.post(f"/cases/{case.pk}/assign/", {"assignee": licensed.pk, "version": 1})
    r = client.post(f"/cases/{case.pk}/moves/dispatch/", {"version": 1})
    assert r.status_code == 409
    assert re.search("reload|重新|刷新", r.content.decode(), re.IGNORECASE)


def test_work_order_forms_refuse_other_stages_roles_and_outsiders(
    client, world, make_customer, licensed
):
    login(client, "sales")
    _intake(client, make_customer(address_detail="漕溪北路1号"))
    case = Case.objects.get()
    login(client, "rep")
    # Invalid state: a visit before the case is in service.
    r = client.post(f"/work-orders/{case.pk}/visits/", {"step": "底漆", "version": 1})
    assert r.status_code == 409
    # Wrong role: the analyst reads but may not work the case.
    login(client, "analyst")
    assert (
        client.post(f"/work-orders/{case.pk}/visits/", {"step": "x", "version": 1}).status_code
        == 403
    )
    # Another outlet and a user with no access: not found.
    for persona in ("south_manager", "outsider"):
        login(client, persona)
        r = client.post(
            f"/work-orders/{case.pk}/first-visit/", {"at": "2026-03-05T09:00", "version": 1}
        )
        assert r.status_code in (403, 404)
    login(client, "south_manager")
    assert client.get(f"/cases/{case.pk}/").status_code == 404
