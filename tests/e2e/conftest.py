"""Browser tests: Debian's Chromium driven by Playwright, on a live server with a real
Celery worker and Redis. Playwright cannot download its own browser here."""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

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
def open_page(browser, base_url: str, width: str) -> Iterator:
    """A fresh browser context (no cookies) at one of our two widths."""
    w, h = WIDTHS[width]
    context = browser.new_context(
        viewport={"width": w, "height": h}, locale="zh-CN", base_url=base_url
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


def screenshot(page, name: str, width: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)
