"""Browser tests: Debian's Chromium driven by Playwright, on a live server with a real
Celery worker and Redis. Playwright cannot download its own browser here."""

import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from tests.helpers import unique_mobile
from verifications import constants as vc

BASE_DIR = Path(__file__).resolve().parents[2]
# var/ is ignored by git: a test run leaves the clone clean. scripts/screenshots.sh sets
# SCREENSHOT_DIR=docs/screenshots to refresh the README's pictures on purpose.
SCREENSHOTS = BASE_DIR / (os.environ.get("SCREENSHOT_DIR") or "var/screenshots")
WIDTHS = {"mobile": (375, 812), "desktop": (1280, 900)}
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls
# are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if CHROMIUM is None:
        pytest.skip("no chromium on this machine: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(params=list(WIDTHS), ids=list(WIDTHS))
def width(request) -> str:
    return request.param


@contextmanager
def open_page(browser, base_url: str, width: str, locale: str = "zh-CN") -> Iterator:
    """A fresh browser context (no cookies) at one of our two widths, whose
    Accept-Language is `locale`'s."""
    w, h = WIDTHS[width]
    context = browser.new_context(
        viewport={"width": w, "height": h}, locale=locale, base_url=base_url
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def page(browser, live_server, width) -> Iterator:
    with open_page(browser, live_server.url, width) as page:
        yield page


@pytest.fixture
def desktop_page(browser, live_server) -> Iterator:
    with open_page(browser, live_server.url, "desktop") as page:
        yield page


def screenshot(page, name: str, width: str, full_page: bool = True) -> None:
    """The whole page; full_page=False: what the screen shows (a modal dialog)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=full_page)


PASSWORD = "browser2026ok"


@pytest.fixture
def shopper(db):
    return get_user_model().objects.create_user(
        username="browser_" + uuid.uuid4().hex[:6], password=PASSWORD, mobile=unique_mobile()
    )


def captcha_answer(scope, redis_conn) -> str:
    """Read the answer of the captcha drawn in `scope` (a page or a part of one) from
    Redis, as only a test can."""
    src = scope.locator(".captcha img").get_attribute("src")
    image_code_id = re.fullmatch(r"/image_codes/([0-9a-f-]+)/", src).group(1)
    deadline = time.monotonic() + 5
    while (answer := redis_conn.get(vc.image_code_key(image_code_id))) is None:
        assert time.monotonic() < deadline, "the captcha image was never fetched"
        time.sleep(0.05)
    return answer.decode()


def log_in(page, account: str, password: str = PASSWORD, remember: bool = False) -> None:
    page.goto("/login/")
    page.get_by_label("用户名或手机号").fill(account)
    page.get_by_label("密码", exact=True).fill(password)
    if remember:
        page.get_by_label("记住登录").check()
    page.get_by_role("button", name="登 录").click()


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


def unlabelled_inputs(page) -> list[str]:
    return page.eval_on_selector_all(
        "input:not([type=hidden])",
        "els => els.filter(e => !e.labels || e.labels.length === 0).map(e => e.name)",
    )
