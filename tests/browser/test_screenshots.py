"""The main pages at phone and desktop width: nothing wider than the screen, and screenshots to
look at. They go to $MANYI_SCREENSHOTS (a folder) when set, else to the test's tmp folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, en, new_context, zh

pytestmark = pytest.mark.browser

ADDRESSES = [
    ("上海市", "上海市", "徐汇区", "漕溪北路88号圣爱大厦东塔楼17层1702室（近地铁1号线徐家汇站）"),
    ("浙江省", "杭州市", "西湖区", "文三路"),
    ("", "", "", ""),
]
NAMES = ["欧阳春燕", "王小明", "李娜", "司马长风", "张伟"]
DEVICES = {
    "phone": (PHONE, zh, ""),
    "desktop": (DESKTOP, zh, ""),
    # English words are longer than Chinese ones: the phone layout must hold them too. The UI
    # is Chinese whatever the browser's language; English is the user's choice (a cookie).
    "phone-en": ({**PHONE, "locale": "en-US"}, en, "en-"),
}


def _overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0: no sideways scrolling)."""
    return page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("device", list(DEVICES))
def test_pages_fit_the_screen(site, browser, make_customer, tmp_path, device):
    options, tr, prefix = DEVICES[device]
    width = options["viewport"]["width"]
    folder = Path(os.environ.get("MANYI_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for i, name in enumerate(NAMES):
        province, city, district, detail = ADDRESSES[i % len(ADDRESSES)]
        made.append(
            make_customer(
                name=name,
                phone=f"1391234{i:04d}",
                province=province,
                city=city,
                district=district,
                address_detail=detail,
                tags=["老客户", "注重环保"] if i == 0 else [],
                notes="喜欢周末上门服务，联系前请先发短信。" if i == 0 else "",
            )
        )
    context = new_context(browser, options)
    if tr is en:
        context.add_cookies([{"name": "django_language", "value": "en", "url": site.url}])
    page = context.new_page()
    wide = {}

    def shot(label: str) -> None:
        page.screenshot(path=folder / f"{prefix}{label}-{width}.png", full_page=True)
        wide[label] = _overflow(page)

    try:
        page.goto(f"{site.url}/login/")
        expect(page.get_by_role("button", name=tr("Log in"))).to_be_visible()
        shot("login")
        site.login(page, "sales", tr=tr)
        shot("home")
        page.goto(f"{site.url}/customers/")
        expect(page.get_by_role("link", name=NAMES[0])).to_be_visible()
        shot("customer-list")
        page.goto(f"{site.url}/customers/new/")
        expect(page.get_by_role("button", name=tr("Save"))).to_be_visible()
        shot("customer-form")
        page.goto(f"{site.url}/customers/{made[0].pk}/")
        expect(page.get_by_role("heading", level=1)).to_contain_text(NAMES[0])
        shot("customer-page")
        if options.get("is_mobile"):
            page.get_by_role("button", name=tr("Menu")).tap()
            expect(page.get_by_role("button", name=tr("Log out"))).to_be_visible()
            shot("menu-open")
    finally:
        context.close()
    assert wide == dict.fromkeys(wide, 0), f"pages wider than {width} px: {wide}"
