"""Fixtures of the end-to-end tests: Debian's Chromium, driven by Playwright, against live_server.

Chromium is launched once for the package (not per test). A missing browser, driver or CJK font is
a failure with a clear message, never a skip: `bash scripts/ensure-tools.sh` installs them.

Playwright's sync API marks an asyncio loop as running in the test thread between its calls, so
Django's async-safety check would refuse the tests' own database work. DJANGO_ALLOW_ASYNC_UNSAFE
is set only while this package's fixtures are alive; the browser (and with it the loop) is closed
when the package ends, so tests collected after it run under the normal check.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import translation

import conftest as root

CHROMIUM = os.environ.get("MANYI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium tries to reach Google's services (there is no network here).
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {
    "viewport": {"width": 375, "height": 812},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "zh-CN"}
TIMEOUT_MS = 15_000
HERE = Path(__file__).parent

INSTALL_HINT = "Run `bash scripts/ensure-tools.sh` (as root; it uses apt-get)."


def pytest_collection_modifyitems(config, items):
    # Everything in this folder needs the browser: `-m "not browser"` must leave it all out.
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


def zh(message: str, context: str | None = None) -> str:
    """``message`` as the Chinese UI shows it (from the catalogue, so a reworded translation
    does not break the tests)."""
    with translation.override("zh-hans"):
        if context:
            return translation.pgettext(context, message)
        return translation.gettext(message)


def en(message: str, context: str | None = None) -> str:
    with translation.override("en"):
        if context:
            return translation.pgettext(context, message)
        return translation.gettext(message)


@pytest.fixture(scope="package")
def _allow_async_unsafe():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="package")
def browser(_allow_async_unsafe):
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"Chromium is not installed at {CHROMIUM}. {INSTALL_HINT}", pytrace=False)
    fc_list = shutil.which("fc-list")
    has_cjk_font = (
        fc_list
        and subprocess.run(
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False
        ).stdout.strip()
    )
    if not has_cjk_font:
        pytest.fail(
            f"No Chinese font (fonts-noto-cjk): pages would render as boxes. {INSTALL_HINT}",
            pytrace=False,
        )
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError as exc:
        pytest.fail(f"The Python package playwright is missing ({exc}); `make install`.")
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def snap(page, name: str) -> None:
    """A full-page screenshot into $MANYI_SCREENSHOTS, when that is set (for looking at)."""
    folder = os.environ.get("MANYI_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        width = page.viewport_size["width"]
        page.screenshot(path=Path(folder) / f"{name}-{width}.png", full_page=True)


def new_context(browser, options):
    """A fresh browser context (own cookies, so own session and language)."""
    context = browser.new_context(**options)
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def phone_context(browser):
    context = new_context(browser, PHONE)
    yield context
    context.close()


@pytest.fixture
def phone(phone_context):
    """A page in a phone-sized Chromium (375 × 812, touch, zh-CN)."""
    return phone_context.new_page()


@pytest.fixture
def site(transactional_db, live_server, world):
    """The test company served by live_server; transactional_db comes first on purpose:
    the live server's thread must see what the test writes, so no test-wide transaction."""
    return Site(live_server.url, world)


class Site:
    def __init__(self, url: str, world):
        self.url = url.rstrip("/")
        self.world = world

    def login(self, page, username: str, password: str = root.PASSWORD, tr=zh) -> None:
        """Log in through the form; ``tr`` is the language the page is expected in."""
        from playwright.sync_api import expect

        page.goto(f"{self.url}/login/")
        page.get_by_label(tr("User name")).fill(username)
        page.get_by_label(tr("Password")).fill(password)
        page.get_by_role("button", name=tr("Log in")).click()
        hello = tr("Hello, %(name)s") % {"name": username}
        expect(page.get_by_role("heading", level=1)).to_have_text(hello)
