"""The printable tracking card and service record: Chinese PDFs, scoped like the case."""

import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine

from conftest import PASSWORD, fresh_user
from manyi.cases import actions as cases
from manyi.workorders import actions, pdf

SH = ZoneInfo("Asia/Shanghai")


def signature_png() -> bytes:
    """What a signature canvas sends: black strokes on a transparent background."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.line([(20, 70), (80, 20), (140, 80), (200, 25), (280, 60)], fill="black", width=5)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def at(*args):
    return dt.datetime(*args, tzinfo=SH)


def page_count(data: bytes) -> int:
    return int(re.search(rb"/Count (\d+) /Kids", data).group(1))


@pytest.fixture
def licensed(world):
    staff = world.tech.staff
    staff.work_licence = True
    staff.save()
    return fresh_user(world.tech)


@pytest.fixture
def in_service(world, make_customer, licensed):
    """A work order dispatched, contacted and in service (through the actions)."""
    customer = make_customer(name="王小明", address_detail="漕溪北路88号")
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        case = actions.take_order(
            actor=world.sales,
            customer=customer,
            installer_name="李师傅",
            installer_phone="13900001111",
            products="华彩净味墙面漆 HC20260302-01 ×5",
        )
        case = cases.assign(actor=world.rep, case=case, assignee=licensed.staff, version=1)
        case = cases.move(actor=world.rep, case=case, move="dispatch", version=case.version)
        cases.log_call(actor=licensed, case=case, outcome="reached", note="约好周三上门")
        actions.set_first_visit(actor=licensed, case=case, at=at(2026, 3, 4, 9, 0))
        return cases.move(actor=licensed, case=case, move="contacted", version=case.version)


@pytest.fixture
def signed(in_service, licensed):
    case = in_service
    with time_machine.travel(at(2026, 3, 4, 10, 0), tick=False):
        actions.log_visit(
            actor=licensed,
            case=case,
            step="底漆",
            products="净味底漆",
            mix_ratio="1:0.2",
            notes="木工收口已修补，客户已知悉",
            customer_informed=True,
        )
        actions.log_visit(actor=licensed, case=case, step="面漆第一遍", mix_ratio="1:0.1")
        case = cases.move(actor=licensed, case=case, move="hand_in", version=case.version)
        actions.sign_record(
            actor=licensed,
            case=case,
            signer_name="王小明",
            evaluation="very_satisfied",
            signature=signature_png(),
        )
    case.refresh_from_db()
    return case


def test_tracking_card_is_a_pdf_with_one_page(in_service):
    data = pdf.tracking_card_pdf(in_service)
    assert data.startswith(b"%PDF")
    assert page_count(data) == 1
    # The Chinese font is embedded by name, not substituted.
    assert b"STSong-Light" in data


def test_a_long_card_runs_over_pages_with_the_count(in_service, licensed):
    for n in range(60):
        actions.log_visit(actor=licensed, case=in_service, step=f"第{n + 1}道工序", mix_ratio="1:1")
    assert page_count(pdf.tracking_card_pdf(in_service)) >= 2


def test_signed_record_carries_the_signature_image(signed):
    order = signed.workorder
    assert pdf.content_hash_matches(signed, order)
    data = pdf.service_record_pdf(signed)
    assert data.startswith(b"%PDF") and page_count(data) == 1
    assert b"/Subtype /Image" in data


def test_unsigned_record_prints_a_blank_sign_off(in_service):
    data = pdf.service_record_pdf(in_service)
    assert data.startswith(b"%PDF") and b"/Subtype /Image" not in data


def test_a_changed_record_no_longer_matches_its_hash(signed):
    order = signed.workorder
    order.signed_by = "别人"
    assert not pdf.content_hash_matches(signed, order)


@pytest.mark.parametrize("name", ["tracking-card", "record"])
def test_views_serve_the_pdf_named_for_the_case(client, world, signed, name):
    client.login(username="rep", password=PASSWORD)
    response = client.get(f"/print/work-orders/{signed.pk}/{name}.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{signed.number}-' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("head", 200),
        ("tech", 200),  # the assigned technician
        ("inspector", 200),
        ("analyst", 200),
        ("south_manager", 404),  # another region
        ("other_head", 404),  # another company
        ("auditor", 403),  # no business with cases
        ("outsider", 403),  # a login without a staff record
    ],
)
def test_record_view_is_scoped_like_the_case(client, world, signed, username, status):
    client.login(username=username, password=PASSWORD)
    response = client.get(f"/print/work-orders/{signed.pk}/record.pdf")
    assert response.status_code == status


def test_unknown_case_is_not_found(client, world):
    client.login(username="head", password=PASSWORD)
    assert client.get("/print/work-orders/999999/tracking-card.pdf").status_code == 404


def test_anonymous_is_sent_to_login(client, signed):
    response = client.get(f"/print/work-orders/{signed.pk}/tracking-card.pdf")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
