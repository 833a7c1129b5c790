"""An audit on a phone (375 px): the auditor starts the audit due on their list, answers each
standard with a tap, adds a note and a photo, saves, submits, and sees the weighted score with
the gaps and the good practice; the outlet manager passes the praise on; screenshots of the
quality pages."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, new_context, snap, zh
from tests.browser.test_workorder_flow import small_png

pytestmark = pytest.mark.browser


def _set_up(world):
    from manyi.quality.actions import audits, standards
    from manyi.quality.tests.conftest import codes, make_standard

    head = world.head
    rows = {
        "A": make_standard(head, "A", "timeliness", "顾客进店30秒内听到招呼", "≤30秒"),
        "B": make_standard(head, "B", "flow", "收银排队不超过3人", "≤3人"),
        "C": make_standard(head, "C", "appearance", "员工着装符合手册规定", "不符合项为0"),
        "D": make_standard(head, "D", "attentiveness", "推荐前先问清需求", "至少问3个问题"),
        "E": make_standard(head, "E", "guidance", "讲清用法用量和注意事项", "每笔都讲"),
    }
    standards.set_priorities(
        actor=head,
        procedural_share=20,
        ranks={
            "procedural": [rows["A"].pk, rows["B"].pk],
            "personal": [rows["C"].pk, rows["D"].pk, rows["E"].pk],
        },
    )
    template = audits.generate_template(
        actor=head, name="门店服务审核", standards=[s.pk for s in rows.values()]
    )
    audits.create_plan(
        actor=head,
        name="每月门店审核",
        template=template,
        outlets=[world.east1],
        every=1,
        period="month",
        starts_on=dt.date(2026, 1, 1),
        auditor=world.auditor.staff,
    )
    return codes(template)


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


def test_audit_on_a_phone(site, phone, browser, tmp_path):
    from manyi.quality.models import Audit, AuditPhoto

    code = _set_up(site.world)
    site.login(phone, "auditor")
    phone.goto(f"{site.url}/quality/")
    due = phone.get_by_test_id("due-audits")
    expect(due).to_contain_text("每月门店审核")
    snap(phone, "quality-index")
    due.get_by_role("button", name=zh("Start")).click()

    form = phone.get_by_test_id("audit-form")
    expect(form).to_be_visible()
    _no_sideways_scroll(phone)
    verdicts = {"A": "met", "B": "not_met", "C": "partly", "D": "met", "E": "not_met"}
    for key in ("A", "B"):
        phone.locator(f"#q-{code[key]} .v-{verdicts[key]}").click()
    block = phone.locator(f"#q-{code['B']}")
    block.get_by_text(zh("Note and photo")).click()
    block.locator("textarea").fill("高峰时段排了5人")
    photo = tmp_path / "queue.png"
    photo.write_bytes(small_png())
    block.locator("input[type=file]").set_input_files(str(photo))
    snap(phone, "quality-audit-form")
    phone.get_by_role("button", name=zh("Save"), exact=True).click()
    expect(phone.locator(".messages")).to_contain_text(zh("Saved."))
    # What was saved comes back checked; the rest is answered now.
    expect(phone.locator(f"#q-{code['B']} .v-not_met input")).to_be_checked()
    for key in ("C", "D", "E"):
        phone.locator(f"#q-{code[key]} .v-{verdicts[key]}").click()
    phone.get_by_test_id("audit-submit").click()

    expect(phone.get_by_test_id("audit-score")).to_contain_text("60.0")
    expect(phone.locator("#gaps")).to_contain_text("高峰时段排了5人")
    expect(phone.locator("#praise")).to_contain_text("顾客进店30秒内听到招呼")
    _no_sideways_scroll(phone)
    snap(phone, "quality-audit-result")
    audit = Audit.objects.get()
    assert audit.status == "submitted" and round(audit.index, 1) == 60.0
    assert AuditPhoto.objects.filter(audit=audit).count() == 1

    # The outlet manager, on their phone, passes the praise on.
    manager = new_context(browser, {**DESKTOP, "viewport": {"width": 375, "height": 812}})
    page = manager.new_page()
    site.login(page, "manager")
    page.goto(f"{site.url}/quality/audits/{audit.pk}/")
    praise = page.locator("#praise form").first
    praise.locator("input[name=note]").fill("晨会表扬")
    praise.get_by_role("button", name=zh("Praised")).click()
    expect(page.locator("#praise")).to_contain_text("晨会表扬")
    manager.close()

    desktop = new_context(browser, DESKTOP)
    page = desktop.new_page()
    site.login(page, "head")
    for path, name in (
        ("/quality/compare/", "quality-compare"),
        (f"/quality/outlets/{site.world.east1.pk}/", "quality-outlet"),
        ("/quality/priorities/", "quality-priorities"),
        ("/quality/standards/", "quality-standards"),
    ):
        page.goto(f"{site.url}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        snap(page, name)
    desktop.close()
