"""What a shopper does in the browser, checked in Chromium."""

import re
import time
import uuid

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.e2e.conftest import (
    PASSWORD,
    captcha_answer,
    log_in,
    no_horizontal_scroll,
    open_page,
    screenshot,
    unlabelled_inputs,
)
from tests.helpers import sms_sent_to, store_sms_code, unique_mobile

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_new_shopper_registers_with_an_sms_code_and_is_greeted(
    page, width, redis_conn, fake_vendor, celery_worker
):
    username = "e2e_" + uuid.uuid4().hex[:8]
    mobile = unique_mobile()
    page.goto("/register/")
    expect(page.get_by_role("heading", name="用户注册")).to_be_visible()
    assert unlabelled_inputs(page) == []
    assert no_horizontal_scroll(page)
    screenshot(page, "register", width)

    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("确认密码").fill(PASSWORD)
    page.get_by_label("手机号").fill(mobile)
    page.get_by_label("图形验证码").fill(captcha_answer(page, redis_conn))
    page.get_by_role("button", name="获取短信验证码").click()
    expect(page.locator("#send-sms")).to_have_text(re.compile(r"^\d+秒$"))
    expect(page.locator("#send-sms")).to_be_disabled()

    [message] = sms_sent_to(fake_vendor, mobile)
    page.get_by_label("短信验证码").fill(message["datas"][0])
    page.get_by_label("我已阅读并同意").check()
    screenshot(page, "register-filled", width)
    page.get_by_role("button", name="立即注册").click()

    page.wait_for_url("/")
    expect(page.locator("#home-app")).to_contain_text(f"欢迎您：{username}")
    expect(page.locator("#user-nav")).to_contain_text(f"欢迎您：{username}")
    assert get_user_model().objects.filter(username=username, mobile=mobile).exists()
    assert no_horizontal_scroll(page)
    screenshot(page, "home-logged-in", width)


def test_the_sms_button_counts_down_60_s_then_comes_back(desktop_page, redis_conn):
    page = desktop_page
    page.clock.install()
    page.goto("/register/")
    page.get_by_label("手机号").fill(unique_mobile())
    page.get_by_label("图形验证码").fill(captcha_answer(page, redis_conn))
    button = page.locator("#send-sms")

    button.click()
    expect(button).to_have_text("60秒")
    page.clock.run_for(1000)
    expect(button).to_have_text("59秒")
    expect(button).to_be_disabled()
    page.clock.run_for(58_000)
    expect(button).to_have_text("1秒")
    page.clock.run_for(1000)
    expect(button).to_have_text("获取短信验证码")
    expect(button).to_be_enabled()


def test_a_wrong_captcha_is_shown_beside_it_and_a_new_one_is_drawn(desktop_page, redis_conn):
    page = desktop_page
    page.goto("/register/")
    first_src = page.locator(".captcha img").get_attribute("src")
    answer = captcha_answer(page, redis_conn)
    page.get_by_label("手机号").fill(unique_mobile())
    page.get_by_label("图形验证码").fill("2345" if answer != "2345" else "3456")

    page.get_by_role("button", name="获取短信验证码").click()

    expect(page.locator("#image_code-error")).to_have_text("图形验证码输入错误")
    expect(page.locator(".captcha img")).not_to_have_attribute("src", first_src)
    expect(page.locator("#send-sms")).to_have_text("获取短信验证码")


def test_clicking_the_captcha_draws_a_new_one(desktop_page):
    page = desktop_page
    page.goto("/register/")
    first_src = page.locator(".captcha img").get_attribute("src")

    page.get_by_role("button", name="图形验证码，点击换一张").click()

    expect(page.locator(".captcha img")).not_to_have_attribute("src", first_src)


def test_each_field_is_checked_when_the_shopper_leaves_it(desktop_page, shopper):
    page = desktop_page
    page.goto("/register/")

    page.get_by_label("用户名").fill("ab")
    page.get_by_label("密码", exact=True).focus()
    expect(page.locator("#username-error")).to_have_text(
        "请输入5-20个字符的用户名（字母、数字、_或-）"
    )

    page.get_by_label("用户名").fill(shopper.username)
    page.get_by_label("密码", exact=True).focus()
    expect(page.locator("#username-error")).to_have_text("用户名已存在")

    page.get_by_label("密码", exact=True).fill("short")
    page.get_by_label("确认密码").focus()
    expect(page.locator("#password-error")).to_have_text("密码长度应为8-64位")

    page.get_by_label("手机号").fill(shopper.mobile)
    page.get_by_label("图形验证码").focus()
    expect(page.locator("#mobile-error")).to_have_text("手机号已注册")

    page.get_by_label("手机号").fill("12345")
    page.get_by_label("图形验证码").focus()
    expect(page.locator("#mobile-error")).to_have_text("请输入正确的手机号码")


def test_a_server_refusal_appears_beside_its_field(desktop_page, redis_conn):
    page = desktop_page
    mobile = unique_mobile()
    store_sms_code(redis_conn, mobile, "111111")
    page.goto("/register/")
    page.get_by_label("用户名").fill("e2e_" + uuid.uuid4().hex[:8])
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("确认密码").fill(PASSWORD)
    page.get_by_label("手机号").fill(mobile)
    page.get_by_label("短信验证码").fill("222222")
    page.get_by_label("我已阅读并同意").check()

    page.get_by_role("button", name="立即注册").click()

    expect(page.locator("#sms_code-error")).to_have_text("短信验证码输入错误")
    assert page.url.endswith("/register/")


def test_login_without_remember_me_lasts_the_browser_session(page, width, shopper):
    log_in(page, shopper.username)

    page.wait_for_url("/")
    expect(page.locator("#user-nav")).to_contain_text(f"欢迎您：{shopper.username}")
    [session] = [c for c in page.context.cookies() if c["name"] == "sessionid"]
    assert session["expires"] == -1
    assert session["httpOnly"] and session["sameSite"] == "Lax"


def test_login_with_remember_me_by_mobile_lasts_two_weeks(desktop_page, shopper):
    page = desktop_page
    log_in(page, shopper.mobile, remember=True)

    page.wait_for_url("/")
    [session] = [c for c in page.context.cookies() if c["name"] == "sessionid"]
    assert abs(session["expires"] - (time.time() + 14 * 24 * 3600)) < 120


def test_a_wrong_password_says_so_on_the_login_page(page, width, shopper):
    log_in(page, shopper.username, password="wrong-password-1")

    expect(page.locator("#account-error")).to_have_text("用户名或密码错误")
    expect(page.get_by_label("用户名或手机号")).to_have_value(shopper.username)
    assert unlabelled_inputs(page) == []
    assert no_horizontal_scroll(page)
    screenshot(page, "login-error", width)


def test_login_works_by_keyboard_alone(desktop_page, shopper):
    page = desktop_page
    page.goto("/login/")
    page.get_by_label("用户名或手机号").focus()

    page.keyboard.type(shopper.username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    page.wait_for_url("/")
    expect(page.locator("#user-nav")).to_contain_text(shopper.username)


def test_the_user_center_needs_a_login_and_next_brings_the_shopper_back(page, width, shopper):
    page.goto("/info/")
    page.wait_for_url(re.compile(r"/login/\?next=/info/$"))
    screenshot(page, "login", width)

    page.get_by_label("用户名或手机号").fill(shopper.username)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登 录").click()

    page.wait_for_url("/info/")
    expect(page.locator("#info-username")).to_have_text(shopper.username)
    # The user center shows the mobile masked: 139****1234.
    expect(page.locator("#info-mobile")).to_have_text(
        f"{shopper.mobile[:3]}****{shopper.mobile[-4:]}"
    )


def test_logout_takes_the_greeting_away(page, width, shopper):
    log_in(page, shopper.username)
    page.wait_for_url("/")

    page.locator("#user-nav").get_by_role("button", name="退出").click()

    page.wait_for_url("/")
    expect(page.locator("#user-nav")).to_contain_text("登录")
    expect(page.locator("#user-nav")).not_to_contain_text("欢迎您")
    assert no_horizontal_scroll(page)
    screenshot(page, "home", width)


def test_a_session_that_ended_takes_the_stale_greeting_with_it(browser, live_server, shopper):
    with open_page(browser, live_server.url, "desktop") as page:
        log_in(page, shopper.username)
        page.wait_for_url("/")
        # The browser is closed and reopened: the session cookie is gone, the
        # 15-day username cookie is not.
        page.context.clear_cookies(name="sessionid")

        page.reload()

        expect(page.locator("#user-nav")).not_to_contain_text("欢迎您")
        assert [c for c in page.context.cookies() if c["name"] == "username"] == []


def test_the_api_docs_page_lists_every_operation(desktop_page):
    page = desktop_page
    page.goto("/api/docs/")

    expect(page.locator(".opblock").first).to_be_visible()
    summaries = page.locator(".opblock-summary-path").all_inner_texts()
    assert {"/sms_codes/{mobile}/", "/register/", "/login/", "/info/"} <= {
        s.strip() for s in summaries
    }
