"""End to end on a phone: a technician logs a visit with a photo, the customer signs on the
screen with a finger, the inspector passes the work; screenshots of the pages at two widths."""

from __future__ import annotations

import struct
import zlib

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, PHONE, new_context, snap, zh

pytestmark = pytest.mark.browser


def small_png(width: int = 24, height: int = 16) -> bytes:
    """A real PNG (an orange gradient), as a phone camera would send a JPEG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00" + b"".join(bytes((255, 120 + 5 * x % 120, 40 + 8 * y)) for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _case_in_service(world, make_customer):
    from manyi.cases import actions as cases
    from manyi.workorders import actions

    staff = world.tech.staff
    staff.work_licence = True
    staff.save()
    customer = make_customer(name="王小明", address_detail="漕溪北路88号")
    case = actions.take_order(
        actor=world.sales,
        customer=customer,
        installer_name="李师傅",
        installer_phone="13900001111",
        products="华彩净味墙面漆 HC20260213-01 ×5",
    )
    case = cases.assign(actor=world.rep, case=case, assignee=staff, version=1)
    case = cases.move(actor=world.rep, case=case, move="dispatch", version=case.version)
    from conftest import fresh_user
    from manyi import clock

    tech = fresh_user(world.tech)
    cases.log_call(actor=tech, case=case, outcome="reached", note="约好明天上门")
    actions.set_first_visit(actor=tech, case=case, at=clock.now())
    case = cases.move(actor=tech, case=case, move="contacted", version=case.version)
    # A few more cases so the queue and the list have rows to show.
    for i in range(3):
        actions.take_order(
            actor=world.sales, customer=make_customer(name=f"客户{i}"), site_address=f"徐汇区{i}号"
        )
    return case


def draw_signature(page: Page) -> None:
    canvas = page.locator("canvas[data-signature-pad]")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.6)
    page.mouse.down()
    for i in range(1, 21):
        page.mouse.move(x + w * (0.1 + 0.04 * i), y + h * (0.6 - 0.3 * ((i % 4) / 3)), steps=2)
    page.mouse.up()


def test_visit_signature_and_acceptance_on_a_phone(site, phone, browser, make_customer, tmp_path):
    from manyi.cases.models import Attachment, Case

    case = _case_in_service(site.world, make_customer)
    url = f"{site.url}/cases/{case.pk}/"

    site.login(phone, "tech")
    phone.goto(f"{site.url}/cases/mine/")
    expect(
        phone.get_by_role("link", name=zh("Call %(label)s") % {"label": "李师傅"})
    ).to_have_attribute("href", "tel:13900001111")
    snap(phone, "mine")
    phone.goto(url)
    expect(phone.get_by_role("heading", level=1)).to_contain_text(case.number)

    photo = tmp_path / "site.png"
    photo.write_bytes(small_png())
    phone.get_by_label(zh("process step served")).fill("底漆")
    phone.get_by_label(zh("mix ratio")).fill("1:1")
    phone.get_by_label(zh("the customer was told what was done")).check()
    phone.locator("#id_visit-photo").set_input_files(str(photo))
    snap(phone, "case-service")
    phone.get_by_role("button", name=zh("Log the visit")).click()
    expect(phone.locator(".messages")).to_contain_text(zh("The visit was logged."))
    expect(phone.locator(".timeline img.thumb")).to_have_count(1)

    phone.get_by_role("button", name=zh("Service finished: hand in the record") + " →").click()
    expect(phone.locator(".badge.stage")).to_have_text(zh("Record"))

    # The customer signs: name, evaluation, a stroke on the canvas.
    phone.get_by_label(zh("Very satisfied"), exact=True).check()
    draw_signature(phone)
    snap(phone, "case-signature")
    phone.get_by_role("button", name=zh("Sign the service record")).click()
    expect(phone.locator(".messages")).to_contain_text(
        zh("The customer signed the service record.")
    )
    signature = Attachment.objects.get(kind="signature")
    assert signature.content_type == "image/png" and signature.size > 500  # a drawing, not blank
    phone.get_by_role("button", name=zh("Signed record submitted for acceptance") + " →").click()
    expect(phone.locator(".badge.stage")).to_have_text(zh("Acceptance"))

    # The inspector, on another phone, passes it.
    inspector = new_context(browser, PHONE)
    page = inspector.new_page()
    site.login(page, "inspector")
    page.goto(url)
    form = page.locator("form.inspect-form")
    for row in range(4):
        form.locator(f"input[type=radio][value=pass] >> nth={row}").check()
    form.locator("input[name=method][value='5']").check()
    form.locator("input[name=attitude][value='4']").check()
    snap(page, "case-acceptance")
    form.get_by_role("button", name=zh("Accept"), exact=True).click()
    expect(page.locator(".badge.stage")).to_have_text(zh("Archive"))
    snap(page, "case-archive")
    page.goto(f"{site.url}/cases/")
    snap(page, "queue")
    inspector.close()
    case.refresh_from_db()
    assert case.stage == "archive" and case.workorder.inspection["result"] == "pass"

    desktop = new_context(browser, DESKTOP)
    page = desktop.new_page()
    site.login(page, "rep")
    page.goto(url)
    snap(page, "case-archive")
    page.goto(f"{site.url}/cases/")
    snap(page, "queue")
    desktop.close()
    assert Case.objects.filter(stage="archive").count() == 1
