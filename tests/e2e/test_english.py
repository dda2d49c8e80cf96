"""The pages in English, for a browser that asks for it: the texts the scripts show
(the SMS button, its countdown, the checks) come from the server in English too."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, captcha_answer, open_page, screenshot
from tests.helpers import unique_mobile

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def english_page(browser, live_server) -> Iterator:
    with open_page(browser, live_server.url, "desktop", locale="en-US") as page:
        yield page


def test_the_register_page_speaks_english_down_to_its_scripts(english_page, redis_conn):
    page = english_page
    page.clock.install()
    page.goto("/register/")
    expect(page.get_by_role("heading", name="Sign up", exact=True)).to_be_visible()
    button = page.locator("#send-sms")
    expect(button).to_have_text("Get SMS code")

    page.get_by_label("Username").focus()
    page.get_by_label("Password", exact=True).fill(PASSWORD)  # leaves the username empty
    page.get_by_label("Confirm password").fill(PASSWORD + "x")
    page.get_by_label("Mobile").focus()
    expect(page.locator("#username-error")).to_have_text("Enter a username")
    expect(page.locator("#password2-error")).to_have_text("The two passwords do not match")

    page.get_by_label("Mobile").fill(unique_mobile())
    page.get_by_label("Image code").fill(captcha_answer(page, redis_conn))
    button.click()
    expect(button).to_have_text("60 s")
    expect(page.locator(".field-hint")).to_have_text(
        "The SMS code has been sent, please check your phone"
    )
    page.clock.run_for(1000)
    expect(button).to_have_text("59 s")
    screenshot(page, "register-english", "desktop")


def test_a_wrong_password_in_english_on_the_login_page(english_page, shopper):
    page = english_page
    page.goto("/login/")
    page.get_by_label("Username or mobile").fill(shopper.username)
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Log in", exact=True).click()

    expect(page.locator("#account-error")).to_have_text("Wrong username or password")
    expect(page.locator("html")).to_have_attribute("lang", "en")
