"""The whole account in the browser (issue 10): login by SMS code, a forgotten password,
and the user center's changes (password, mobile, e-mail, deleting the account)."""

import re
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from celery_tasks.main import celery_app
from tests.e2e.conftest import (
    PASSWORD,
    captcha_answer,
    log_in,
    no_horizontal_scroll,
    open_page,
    screenshot,
    unlabelled_inputs,
)
from tests.helpers import WorkerProcess, sms_sent_to, unique_mobile, worker_env
from tests.smtp_server import SmtpServer

pytestmark = pytest.mark.django_db(transaction=True)
NEW_PASSWORD = "renewed2026ok"


def masked(mobile: str) -> str:
    return f"{mobile[:3]}****{mobile[-4:]}"


def request_sms_code(scope, redis_conn, fake_vendor, mobile: str) -> str:
    """Solve the captcha in `scope`, press the SMS button, and read the code the fake
    vendor received for `mobile`."""
    scope.get_by_label("图形验证码").fill(captcha_answer(scope, redis_conn))
    scope.get_by_role("button", name="获取短信验证码").click()
    expect(scope.locator("#send-sms")).to_have_text(re.compile(r"^\d+秒$"))
    [message] = sms_sent_to(fake_vendor, mobile)
    return message["datas"][0]


def refused_login(page, account: str, password: str) -> None:
    log_in(page, account, password)
    expect(page.locator("#account-error")).to_have_text("用户名或密码错误")


def open_user_center(page, account: str, password: str = PASSWORD) -> None:
    log_in(page, account, password)
    page.wait_for_url("/")
    page.goto("/info/")
    expect(page.get_by_role("heading", name="个人信息")).to_be_visible()


def test_a_shopper_logs_in_with_an_sms_code(
    page, width, shopper, redis_conn, fake_vendor, celery_worker
):
    page.goto("/login/")
    page.get_by_role("tab", name="短信验证码登录").click()
    expect(page.get_by_role("tab", name="短信验证码登录")).to_have_attribute(
        "aria-selected", "true"
    )
    page.get_by_label("手机号").fill(shopper.mobile)
    code = request_sms_code(page, redis_conn, fake_vendor, shopper.mobile)
    page.get_by_label("短信验证码", exact=True).fill(code)
    page.get_by_label("记住登录").check()
    assert unlabelled_inputs(page) == []
    assert no_horizontal_scroll(page)
    screenshot(page, "login-sms", width)

    page.get_by_role("button", name="登 录").click()

    page.wait_for_url("/")
    expect(page.locator("#user-nav")).to_contain_text(f"欢迎您：{shopper.username}")
    [session] = [c for c in page.context.cookies() if c["name"] == "sessionid"]
    assert session["expires"] > 0  # remembered: not a browser-session cookie


def test_a_wrong_sms_code_is_shown_beside_it(desktop_page, shopper, redis_conn, fake_vendor):
    page = desktop_page
    page.goto("/login/")
    page.get_by_role("tab", name="短信验证码登录").click()
    page.get_by_label("手机号").fill(shopper.mobile)
    page.get_by_label("图形验证码").fill(captcha_answer(page, redis_conn))
    page.get_by_role("button", name="获取短信验证码").click()
    expect(page.locator("#send-sms")).to_have_text(re.compile(r"^\d+秒$"))
    page.get_by_label("短信验证码", exact=True).fill("000000")

    page.get_by_role("button", name="登 录").click()

    expect(page.locator("#sms-sms_code-error")).to_have_text(
        re.compile("短信验证码(输入错误|已失效)")
    )
    assert page.url.endswith("/login/")


def test_a_forgotten_password_is_reset_with_an_sms_code(
    browser, live_server, page, width, shopper, redis_conn, fake_vendor, celery_worker
):
    with open_page(browser, live_server.url, "desktop") as elsewhere:
        log_in(elsewhere, shopper.username)  # a session that the reset must end
        elsewhere.wait_for_url("/")

        page.goto("/login/")
        page.get_by_role("link", name="忘记密码").click()
        page.wait_for_url("/password/reset/")
        expect(page.get_by_role("heading", name="找回密码")).to_be_visible()
        assert unlabelled_inputs(page) == []
        assert no_horizontal_scroll(page)
        screenshot(page, "password-reset", width)

        page.get_by_label("手机号").fill(shopper.mobile)
        code = request_sms_code(page, redis_conn, fake_vendor, shopper.mobile)
        page.get_by_label("短信验证码", exact=True).fill(code)
        page.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("确认新密码").fill(NEW_PASSWORD)
        page.get_by_role("button", name="重置密码").click()

        expect(page.locator("#reset-done")).to_contain_text("密码已重置")
        expect(page.locator("#reset-done")).to_contain_text("所有设备上的登录都已退出")
        assert no_horizontal_scroll(page)
        screenshot(page, "password-reset-done", width)

        elsewhere.goto("/info/")
        elsewhere.wait_for_url(re.compile(r"/login/\?next=/info/$"))

    page.get_by_role("link", name="去登录").click()
    page.wait_for_url("/login/")
    refused_login(page, shopper.username, PASSWORD)
    log_in(page, shopper.username, NEW_PASSWORD)
    page.wait_for_url("/")
    expect(page.locator("#user-nav")).to_contain_text(f"欢迎您：{shopper.username}")


def test_the_password_is_changed_in_the_user_center(desktop_page, shopper):
    page = desktop_page
    open_user_center(page, shopper.username)
    section = page.locator("#password-app")

    section.get_by_label("当前密码").fill(PASSWORD)
    section.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    section.get_by_label("确认新密码").fill(NEW_PASSWORD)
    section.get_by_role("button", name="修改密码").click()

    expect(section.get_by_role("status")).to_contain_text("密码已修改")
    page.reload()  # this session stays logged in
    expect(page.locator("#info-username")).to_have_text(shopper.username)
    page.locator("#user-nav").get_by_role("button", name="退出").click()
    page.wait_for_url("/")
    refused_login(page, shopper.username, PASSWORD)
    log_in(page, shopper.username, NEW_PASSWORD)
    page.wait_for_url("/")


def test_a_wrong_current_password_is_shown_beside_it(desktop_page, shopper):
    page = desktop_page
    open_user_center(page, shopper.username)
    section = page.locator("#password-app")

    section.get_by_label("当前密码").fill("not-my-password-1")
    section.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    section.get_by_label("确认新密码").fill(NEW_PASSWORD)
    section.get_by_role("button", name="修改密码").click()

    expect(section.locator("#password-old_password-error")).not_to_be_empty()


def test_the_mobile_is_changed_and_the_old_one_no_longer_logs_in(
    desktop_page, shopper, redis_conn, fake_vendor, celery_worker
):
    page = desktop_page
    old_mobile, new_mobile = shopper.mobile, unique_mobile()
    open_user_center(page, shopper.username)
    expect(page.locator("#info-mobile")).to_have_text(masked(old_mobile))
    section = page.locator("#mobile-app")

    section.get_by_label("新手机号").fill(new_mobile)
    code = request_sms_code(section, redis_conn, fake_vendor, new_mobile)
    section.get_by_label("短信验证码").fill(code)
    section.get_by_label("当前密码").fill(PASSWORD)
    section.get_by_role("button", name="更换手机号").click()

    expect(section.get_by_role("status").first).to_contain_text("手机号已更换")
    expect(page.locator("#info-mobile")).to_have_text(masked(new_mobile))
    page.locator("#user-nav").get_by_role("button", name="退出").click()
    page.wait_for_url("/")
    refused_login(page, old_mobile, PASSWORD)
    log_in(page, new_mobile, PASSWORD)
    page.wait_for_url("/")
    expect(page.locator("#user-nav")).to_contain_text(f"欢迎您：{shopper.username}")


# Mail: a real SMTP server on 127.0.0.1 and a worker of our own sending to it, on a queue
# of our own (the session's worker has the console backend).
MAIL_QUEUE = f"e2e-email-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def mail_worker(smtp, fake_vendor, django_db_setup) -> Iterator[WorkerProcess]:
    env = {**worker_env(fake_vendor), "EMAIL_HOST": smtp.host, "EMAIL_PORT": str(smtp.port)}
    worker = WorkerProcess(env, queue=MAIL_QUEUE).start()
    yield worker
    worker.stop()


@pytest.fixture
def mails_to_our_queue() -> Iterator[None]:
    saved = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = MAIL_QUEUE  # the live server runs in this process
    yield
    celery_app.conf.task_default_queue = saved


def verification_link(mail) -> str:
    """The link of a verification mail, as a path on whatever server the test runs."""
    link = re.search(r"https?://\S+", mail.get_body(("plain",)).get_content()).group(0)
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def test_an_email_is_bound_and_verified_by_the_mailed_link(
    page, width, shopper, smtp, mail_worker, mails_to_our_queue
):
    address = f"shopper.{uuid.uuid4().hex[:8]}@example.com"
    open_user_center(page, shopper.username)
    expect(page.locator("#info-email")).to_have_text("未绑定")
    section = page.locator("#email-app")

    section.get_by_label("邮箱地址").fill(address)
    section.get_by_role("button", name="发送验证邮件").click()

    expect(section.get_by_role("status")).to_contain_text("验证邮件已发送")
    expect(page.locator("#info-email")).to_have_text(address)
    expect(page.locator("#info-email-status")).to_have_text("未验证")
    [mail] = smtp.mails_to(address)
    page.goto(verification_link(mail))
    expect(page.get_by_role("heading", name="邮箱验证成功")).to_be_visible()
    expect(page.locator("#result-email")).to_have_text(address)
    assert no_horizontal_scroll(page)
    screenshot(page, "email-verified", width)

    page.get_by_role("link", name="去用户中心").click()
    page.wait_for_url("/info/")
    expect(page.locator("#info-email")).to_have_text(address)
    expect(page.locator("#info-email-status")).to_have_text("已验证")
    assert unlabelled_inputs(page) == []
    assert no_horizontal_scroll(page)
    screenshot(page, "user-center", width)


def test_a_tampered_link_says_the_address_is_not_verified(desktop_page):
    page = desktop_page
    page.goto("/emails/verification/?token=not-a-token")

    expect(page.get_by_role("heading", name="邮箱验证失败")).to_be_visible()
    expect(page.locator("#result-message")).not_to_be_empty()


def test_the_account_is_deleted_after_a_confirmation(page, width, shopper):
    open_user_center(page, shopper.username)
    section = page.locator("#delete-app")
    section.get_by_label("当前密码").fill(PASSWORD)

    section.get_by_role("button", name="注销账号").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(shopper.username)
    screenshot(page, "account-delete-confirm", width, full_page=False)
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_be_hidden()
    assert get_user_model().objects.get(pk=shopper.pk).is_active  # nothing sent yet

    section.get_by_role("button", name="注销账号").click()
    dialog.get_by_role("button", name="确认注销").click()

    page.wait_for_url("/")
    expect(page.locator("#user-nav")).to_contain_text("登录")
    expect(page.locator("#user-nav")).not_to_contain_text("欢迎您")
    refused_login(page, shopper.username, PASSWORD)


def test_a_wrong_password_deletes_nothing(desktop_page, shopper):
    page = desktop_page
    open_user_center(page, shopper.username)
    section = page.locator("#delete-app")
    section.get_by_label("当前密码").fill("not-my-password-1")

    section.get_by_role("button", name="注销账号").click()
    page.get_by_role("dialog").get_by_role("button", name="确认注销").click()

    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(section.locator("#delete-password-error")).not_to_be_empty()
    assert get_user_model().objects.get(pk=shopper.pk).is_active
