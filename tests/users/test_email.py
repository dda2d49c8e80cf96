"""Bind an e-mail: PUT /emails/ stores it unverified and a real Celery worker mails the
link through a real SMTP server on 127.0.0.1; the link verifies that address only."""

import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from celery_tasks.main import celery_app
from devtools.embedded import free_port
from tests.helpers import (
    BASE_DIR,
    PASSWORD,
    WorkerProcess,
    csrf_token,
    unique_mobile,
    worker_env,
)
from tests.smtp_server import SmtpServer
from users import emails

# Our own queue: the session's celery_worker (console mail backend) must not take our mails.
QUEUE = f"email-{uuid.uuid4().hex[:8]}"
SITE = "https://shop.example.com"


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def mail_worker(smtp, fake_vendor, django_db_setup) -> Iterator[WorkerProcess]:
    """The worker as an operator starts it, with EMAIL_HOST pointing at our SMTP server."""
    env = {
        **worker_env(fake_vendor),
        "EMAIL_HOST": smtp.host,
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_TIMEOUT": "5",
    }
    worker = WorkerProcess(env, queue=QUEUE).start()
    yield worker
    worker.stop()


@pytest.fixture(autouse=True)
def _mails_to_our_queue(settings) -> Iterator[None]:
    # The site publishes to the default queue: here, the one only mail_worker reads.
    saved = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = QUEUE
    settings.SITE_URL = SITE
    yield
    celery_app.conf.task_default_queue = saved


@pytest.fixture
def shopper(db) -> tuple[Client, object]:
    """A logged-in shopper's browser (CSRF enforced) and account."""
    user = get_user_model().objects.create_user(
        username=f"mail_{uuid.uuid4().hex[:8]}", password=PASSWORD, mobile=unique_mobile()
    )
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    return browser, user


def new_address() -> str:
    return f"shopper.{uuid.uuid4().hex[:10]}@Example.COM"


def put_email(browser: Client, address: str, **headers: str):
    return browser.put(
        "/emails/",
        json.dumps({"email": address}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf_token(browser),
        **headers,
    )


def info(browser: Client) -> dict:
    return browser.get("/info/", HTTP_ACCEPT="application/json").json()


def link_in(mail) -> str:
    """The verification link of a mail, from its plain-text part; the HTML part has it too."""
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    link = re.search(r"https?://\S+", text).group(0)
    assert link.replace("&", "&amp;") in html
    return link


def click(browser: Client, link: str, **headers: str):
    parts = urlsplit(link)
    return browser.get(parts.path, parse_qs(parts.query), **headers)


def test_a_bound_address_gets_a_mail_whose_link_verifies_it(shopper, smtp, mail_worker):
    browser, user = shopper
    address = new_address()

    response = put_email(browser, address)

    assert response.status_code == 200, response.content
    stored = address.split("@")[0] + "@example.com"
    assert response.json() == {
        "code": 0,
        "message": "验证邮件已发送，请查收",
        "email": stored,  # the domain lower-cased
        "email_active": False,
    }
    assert (info(browser)["email"], info(browser)["email_active"]) == (stored, False)

    [mail] = smtp.mails_to(stored)
    assert mail["Subject"] == "美多商城邮箱验证"
    assert "美多商城" in mail["From"]
    link = link_in(mail)
    assert link.startswith(f"{SITE}/emails/verification/?token=")
    assert "请点击以下链接验证您的邮箱" in mail.get_body(("plain",)).get_content()

    token = parse_qs(urlsplit(link).query)["token"][0]
    assert token not in mail_worker.log()  # mailed, never logged

    page = click(Client(), link)  # another browser, no login: the token is the proof

    assert page.status_code == 200
    assert "邮箱验证成功" in page.content.decode() and stored in page.content.decode()
    assert info(browser)["email_active"] is True


def test_a_shopper_reading_english_gets_the_answer_and_the_mail_in_english(
    shopper, smtp, mail_worker
):
    browser, _ = shopper
    address = new_address().lower()

    response = put_email(browser, address, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8")

    assert response.json()["message"] == "Verification e-mail sent, please check your inbox"
    [mail] = smtp.mails_to(address)  # written by the worker, in the request's language
    assert mail["Subject"] == "Verify your e-mail address at Meiduo Mall"
    text = mail.get_body(("plain",)).get_content()
    assert "Please click the link below to verify your e-mail address" in text
    assert "Please click the link below" in mail.get_body(("html",)).get_content()
    page = click(Client(), link_in(mail), HTTP_ACCEPT_LANGUAGE="en")
    assert "E-mail address verified" in page.content.decode()


def test_the_link_answers_json_when_asked(shopper, smtp, mail_worker):
    browser, _ = shopper
    address = new_address().lower()
    put_email(browser, address)

    response = click(browser, link_in(smtp.mails_to(address)[0]), HTTP_ACCEPT="application/json")

    assert response.json() == {
        "code": 0,
        "message": "邮箱验证成功",
        "email": address,
        "email_active": True,
    }


def test_a_link_for_the_old_address_verifies_nothing_after_the_address_changed(
    shopper, smtp, mail_worker
):
    browser, _ = shopper
    old, new = new_address().lower(), new_address().lower()
    put_email(browser, old)
    old_link = link_in(smtp.mails_to(old)[0])
    put_email(browser, new)
    new_link = link_in(smtp.mails_to(new)[0])

    stale = click(browser, old_link, HTTP_ACCEPT="application/json")

    assert stale.status_code == 400
    assert stale.json() == {"code": 4011, "message": emails.STALE_LINK, "field": "token"}
    assert (info(browser)["email"], info(browser)["email_active"]) == (new, False)
    assert click(browser, new_link).status_code == 200
    assert info(browser)["email_active"] is True


def test_changing_a_verified_address_makes_it_unverified_again(shopper, smtp, mail_worker):
    browser, _ = shopper
    first = new_address().lower()
    put_email(browser, first)
    click(browser, link_in(smtp.mails_to(first)[0]))
    assert info(browser)["email_active"] is True

    put_email(browser, new_address())

    assert info(browser)["email_active"] is False


def test_the_verified_address_again_sends_no_mail(shopper, smtp, mail_worker):
    browser, user = shopper
    address = new_address().lower()
    put_email(browser, address)
    click(browser, link_in(smtp.mails_to(address)[0]))

    again = put_email(browser, address)

    assert again.json()["message"] == "邮箱已验证" and again.json()["email_active"] is True
    time.sleep(1)  # time enough for a mail that should not come
    assert len(smtp.mails_to(address, timeout=0)) == 1


def test_the_link_site_comes_from_the_setting_never_from_the_host_header(
    shopper, smtp, mail_worker, settings
):
    settings.ALLOWED_HOSTS = ["*"]  # even a host the site accepts is not trusted for links
    browser, _ = shopper
    address = new_address().lower()

    response = put_email(
        browser, address, HTTP_HOST="attacker.example", HTTP_X_FORWARDED_HOST="attacker.example"
    )

    assert response.status_code == 200
    link = link_in(smtp.mails_to(address)[0])
    assert link.startswith(f"{SITE}/emails/verification/?token=")
    assert "attacker" not in link


def test_a_mail_server_that_says_try_later_gets_the_mail_on_a_retry(shopper, smtp, mail_worker):
    browser, _ = shopper
    address = new_address().lower()
    refusals = smtp.refusals
    smtp.refuse_next(address)

    put_email(browser, address)

    assert len(smtp.mails_to(address, timeout=20)) == 1
    assert smtp.refusals == refusals + 1
    retried = [line for line in mail_worker.log().splitlines() if "retry:" in line]
    assert any("send_verify_email[" in line and "451" in line for line in retried)


def test_without_a_mail_server_the_worker_prints_the_link_in_its_log(
    shopper, fake_vendor, settings
):
    console_queue = f"email-console-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in worker_env(fake_vendor).items() if not k.startswith("EMAIL_")}
    celery_app.conf.task_default_queue = console_queue
    worker = WorkerProcess(env, queue=console_queue).start()
    try:
        browser, _ = shopper
        address = new_address().lower()
        assert put_email(browser, address).status_code == 200
        deadline = time.monotonic() + 15
        while "/emails/verification/?token=" not in worker.log() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()

    link = re.search(rf"{re.escape(SITE)}/emails/verification/\?token=\S+", worker.log())
    assert link, worker.log()[-3000:]
    assert click(browser, link.group(0)).status_code == 200  # printed whole, usable as is
    assert info(browser)["email_active"] is True


@pytest.mark.parametrize(
    "token",
    ["", "garbage", "eyJ1c2VyX2lkIjoxfQ:1uAbCd:not-our-signature"],
    ids=["missing", "garbage", "forged"],
)
def test_a_bad_token_is_refused_with_400(client, db, token):
    response = client.get("/emails/verification/", {"token": token}, HTTP_ACCEPT="application/json")

    assert response.status_code == 400
    assert response.json() == {"code": 4011, "message": emails.INVALID_LINK, "field": "token"}


def test_a_tampered_token_is_refused_and_verifies_nothing(shopper):
    browser, user = shopper
    user.email = "mine@example.com"
    user.save()
    token = emails.make_verify_token(user, "mine@example.com")
    # Another account's payload under this token's timestamp and signature.
    other = emails.make_verify_token(SimpleNamespace(pk=user.pk + 1), "mine@example.com")
    swapped = other.split(":", 1)[0] + token[token.index(":") :]

    for tampered in (swapped, token[:-1] + ("x" if token[-1] != "x" else "y")):
        page = browser.get("/emails/verification/", {"token": tampered})
        assert page.status_code == 400
        assert emails.INVALID_LINK in page.content.decode()
    assert info(browser)["email_active"] is False


def test_an_expired_token_is_refused_with_400(shopper, settings):
    browser, user = shopper
    user.email = "late@example.com"
    user.save()
    settings.EMAIL_VERIFY_EXPIRES = 1
    token = emails.make_verify_token(user, "late@example.com")
    time.sleep(1.1)  # a signature's age counts in whole seconds from its timestamp

    response = browser.get(
        "/emails/verification/", {"token": token}, HTTP_ACCEPT="application/json"
    )

    assert response.status_code == 400
    assert response.json()["message"] == emails.EXPIRED_LINK
    assert info(browser)["email_active"] is False


def test_a_visitor_gets_401(client, db):
    token = csrf_token(client)

    response = client.put(
        "/emails/",
        json.dumps({"email": "a@example.com"}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )

    assert response.status_code == 401
    assert response.json() == {"code": 4101, "message": "用户未登录"}


def test_a_put_without_the_csrf_token_is_refused_and_stores_nothing(shopper):
    browser, user = shopper

    response = browser.put(
        "/emails/", json.dumps({"email": "x@example.com"}), content_type="application/json"
    )

    assert response.status_code == 403 and response.json()["code"] == 4103
    assert info(browser)["email"] == ""


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("", "请输入邮箱"),
        ("not-an-address", "请输入正确的邮箱地址"),
        ("a@b", "请输入正确的邮箱地址"),
    ],
)
def test_a_bad_address_is_refused_with_400_naming_the_field(shopper, address, message):
    browser, _ = shopper

    response = put_email(browser, address)

    assert response.status_code == 400
    code = 4003 if not address else 4011
    assert response.json() == {"code": code, "message": message, "field": "email"}
    assert info(browser)["email"] == ""


def test_sending_mails_is_rate_limited_per_account(shopper, mail_worker, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "send_email": "2/10m/user"}
    browser, _ = shopper
    for _ in range(2):
        assert put_email(browser, new_address()).status_code == 200
    address = new_address()

    refused = put_email(browser, address)

    assert refused.status_code == 429 and refused.json()["code"] == 4002
    assert int(refused["Retry-After"]) > 0 and refused.json()["field"] == "email"
    assert info(browser)["email"] != address.lower()


def test_one_address_gets_few_mails_whoever_asks(shopper, mail_worker, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "send_email": "1/1d/email"}
    browser, _ = shopper
    other = Client(enforce_csrf_checks=True)
    other.force_login(
        get_user_model().objects.create_user(
            username=f"mail_{uuid.uuid4().hex[:8]}", password=PASSWORD, mobile=unique_mobile()
        )
    )
    victim = new_address()
    assert put_email(browser, victim).status_code == 200

    assert put_email(other, victim).status_code == 429


def test_a_form_post_goes_back_to_the_user_center(shopper, smtp, mail_worker):
    browser, _ = shopper
    address = new_address().lower()

    response = browser.post(
        "/emails/", {"email": address, "csrfmiddlewaretoken": csrf_token(browser)}
    )

    assert response.status_code == 302 and response["Location"] == "/info/"
    assert info(browser)["email"] == address
    assert len(smtp.mails_to(address)) == 1


def use_broker(url: str | None) -> None:
    """Publish to `url` from now on (None: the configured broker), as test_outages does."""
    celery_app.conf.broker_write_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker_down() -> Iterator[None]:
    use_broker(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    yield
    use_broker(None)


def test_broker_down_answers_503_and_keeps_the_old_address(shopper, broker_down, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "send_email": "1/10m/user"}
    browser, user = shopper
    user.email, user.email_active = "kept@example.com", True
    user.save()

    response = put_email(browser, "new@example.com")

    assert response.status_code == 503
    assert response.json() == {"code": 5000, "message": "邮件服务暂时不可用，请稍后再试"}
    assert (info(browser)["email"], info(browser)["email_active"]) == ("kept@example.com", True)
    use_broker(None)  # back: the refused send did not use up the one allowed
    assert put_email(browser, "new@example.com").status_code == 200


def test_info_json_has_the_email_and_whether_it_is_verified(shopper):
    browser, _ = shopper

    body = info(browser)

    assert body["email"] == "" and body["email_active"] is False


# --- Settings, as an operator gets them from the environment (a fresh process each).

PRINT_MAIL_SETTINGS = (
    "import json, django; from django.conf import settings; django.setup(); print(json.dumps("
    "{k: getattr(settings, k) for k in ('EMAIL_BACKEND', 'EMAIL_HOST', 'EMAIL_PORT',"
    " 'EMAIL_USE_TLS', 'DEFAULT_FROM_EMAIL', 'SITE_URL', 'EMAIL_VERIFY_EXPIRES')}))"
)


def load_mail_settings(**env: str) -> subprocess.CompletedProcess:
    names = ("EMAIL_HOST", "EMAIL_PORT", "EMAIL_USE_TLS", "EMAIL_USE_SSL", "DJANGO_SITE_URL")
    environment = {k: v for k, v in os.environ.items() if k not in names}
    environment.update(DJANGO_SETTINGS_MODULE="meiduo_mall.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", PRINT_MAIL_SETTINGS],
        env=environment,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


def mail_settings(**env: str) -> dict:
    result = load_mail_settings(**env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_without_email_host_mails_go_to_the_console_and_links_to_the_dev_site():
    development = mail_settings()

    assert development["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert development["SITE_URL"] == "http://127.0.0.1:8000"  # what ./run serves
    assert development["EMAIL_VERIFY_EXPIRES"] == 24 * 3600


def test_email_host_chooses_smtp_with_djangos_settings():
    production = mail_settings(
        EMAIL_HOST="smtp.example.com",
        EMAIL_PORT="587",
        EMAIL_USE_TLS="1",
        DEFAULT_FROM_EMAIL="Meiduo <noreply@example.com>",
        DJANGO_SITE_URL="https://www.meiduo.example/",
    )

    assert production["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (production["EMAIL_HOST"], production["EMAIL_PORT"]) == ("smtp.example.com", 587)
    assert production["EMAIL_USE_TLS"] is True
    assert production["DEFAULT_FROM_EMAIL"] == "Meiduo <noreply@example.com>"
    assert production["SITE_URL"] == "https://www.meiduo.example"  # no double slash in links


def test_tls_and_ssl_together_are_refused_at_start():
    result = load_mail_settings(EMAIL_HOST="smtp.example.com", EMAIL_USE_TLS="1", EMAIL_USE_SSL="1")

    assert result.returncode != 0 and "EMAIL_USE_TLS and EMAIL_USE_SSL" in result.stderr
