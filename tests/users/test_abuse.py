"""What an attacker tries against login, registration and the count endpoints."""

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

from tests.helpers import PASSWORD, csrf_token, logged_in_as

pytestmark = pytest.mark.django_db
User = get_user_model()


def login(client: Client, account: str, password: str, **extra):
    return client.post(
        "/login/",
        {"username": account, "password": password, "csrfmiddlewaretoken": csrf_token(client)},
        HTTP_ACCEPT="application/json",
        **extra,
    )


# --- SMS codes at registration


def test_the_sixth_guess_at_a_code_is_refused_even_when_right(post_json, registration):
    right = registration["sms_code"]
    wrong = "000000" if right != "000000" else "999999"
    messages = [
        post_json("/register/", {**registration, "sms_code": wrong}).json()["message"]
        for _ in range(5)
    ]

    sixth = post_json("/register/", registration)

    assert messages == ["短信验证码输入错误"] * 4 + ["短信验证码错误次数过多，请重新获取"]
    assert sixth.status_code == 400
    assert sixth.json()["message"] == "短信验证码已失效，请重新获取"
    assert not User.objects.exists()


def test_a_code_serves_one_registration_only(client, post_json, registration):
    assert post_json("/register/", registration).status_code == 200
    client.logout()

    again = post_json(
        "/register/", {**registration, "username": "second_01", "mobile": registration["mobile"]}
    )

    assert again.status_code == 400  # the mobile is taken, and the code is gone
    assert User.objects.count() == 1


# --- Passwords


@pytest.mark.parametrize(
    "password",
    [
        "mdsc2026abc",
        "Abcdefgh1234567890xy",
        "correct horse battery staple 2026!",
        "长城-" + "x" * 61,
        "p" * 40 + "~!@#$%^&*()_+{}|:<>?",
    ],
)
def test_the_notes_passwords_and_long_printable_passphrases_are_accepted(
    post_json, registration, password
):
    assert len(password) <= 64
    response = post_json(
        "/register/", {**registration, "password": password, "password2": password}
    )

    assert response.status_code == 200, response.json()
    assert User.objects.get(username=registration["username"]).check_password(password)


# --- Login


@pytest.mark.parametrize("account", ["nul\x00byte", "x" * 5000, "tab\there"])
def test_an_account_no_user_can_have_is_just_a_failed_login(client, account):
    # Found by the fuzzer on PostgreSQL: a NUL byte in the query was a 500.
    response = login(client, account, "wrongpass1")

    assert response.status_code == 400
    assert response.json() == {"code": 4010, "message": "用户名或密码错误"}


def test_five_failures_per_account_then_429_even_with_the_right_password(client, user):
    statuses = [login(client, user.username, "wrongpass1").status_code for _ in range(5)]

    refused = login(client, user.username, PASSWORD)

    assert statuses == [400] * 5
    assert refused.status_code == 429
    assert refused.json()["message"] == "登录失败次数过多，请5分钟后再试"
    assert 290 <= int(refused["Retry-After"]) <= 300
    assert logged_in_as(client) is None


def test_the_account_limit_holds_across_username_and_mobile(client, user):
    for account in [user.username, user.mobile] * 2 + [user.username]:
        login(client, account, "wrongpass1")

    assert login(client, user.mobile, PASSWORD).status_code == 429


def test_an_unknown_account_is_limited_the_same_way(client):
    for _ in range(5):
        assert login(client, "nobody_here", "wrongpass1").status_code == 400

    assert login(client, "nobody_here", "wrongpass1").status_code == 429


@pytest.mark.slow
def test_thirty_failures_a_minute_per_ip_across_accounts(client, user):
    for i in range(30):
        assert login(client, f"guess_{i:03d}", "wrongpass1").status_code == 400

    assert login(client, user.username, PASSWORD).status_code == 429
    other_ip = Client(REMOTE_ADDR="10.0.0.8")
    assert login(other_ip, user.username, PASSWORD).status_code == 200


@pytest.mark.slow
def test_a_successful_login_does_not_count_as_a_failure(client, user):
    for _ in range(10):
        assert login(client, user.username, PASSWORD).status_code == 200
        client.logout()

    assert login(client, user.username, PASSWORD).status_code == 200


@pytest.mark.slow
def test_the_lockout_ends_after_its_window(client, user, settings):
    # A window of seconds, not minutes; wide enough that three logins (three password
    # hashes) fit in it on a loaded machine.
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login_failed": "2/5s/account"}
    started = time.monotonic()
    login(client, user.username, "wrongpass1")
    login(client, user.username, "wrongpass1")
    assert login(client, user.username, PASSWORD).status_code == 429

    time.sleep(max(0.0, started + 5.2 - time.monotonic()))

    assert login(client, user.username, PASSWORD).status_code == 200


def test_a_throttled_form_login_shows_the_page_with_the_wait(client, user):
    for _ in range(5):
        login(client, user.username, "wrongpass1")

    page = client.post(
        "/login/",
        {
            "username": user.username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": csrf_token(client),
        },
    )

    assert page.status_code == 429
    assert "登录失败次数过多，请5分钟后再试" in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_concurrent_guesses_cannot_slip_past_the_account_limit(user):
    clients = [Client() for _ in range(20)]
    tokens = [csrf_token(c) for c in clients]

    def guess(args):
        c, token = args
        try:
            return c.post(
                "/login/",
                {"username": user.username, "password": "wrongpass1", "csrfmiddlewaretoken": token},
                HTTP_ACCEPT="application/json",
            ).status_code
        finally:
            # Each thread has its own connection; left open, it blocks dropping the test DB.
            connection.close()

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(guess, zip(clients, tokens, strict=True)))

    assert sorted(statuses) == [400] * 5 + [429] * 15


@pytest.mark.slow
def test_unknown_user_and_wrong_password_take_the_same_time(client, user, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login_failed": ""}
    assert django_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    samples: dict[str, list[float]] = {"unknown": [], "wrong": []}
    login(client, "warm_up_user", "wrongpass1")
    for _ in range(12):  # interleaved, so drift in machine load hits both alike
        for kind, account in (("unknown", "nobody_here"), ("wrong", user.username)):
            start = time.perf_counter()
            response = login(client, account, "wrongpass1")
            samples[kind].append(time.perf_counter() - start)
            assert response.json()["message"] == "用户名或密码错误"

    unknown, wrong = (statistics.median(samples[k]) for k in ("unknown", "wrong"))
    assert abs(unknown - wrong) / max(unknown, wrong) < 0.20, samples


# --- Count endpoints


def test_count_endpoints_are_limited_per_ip(client):
    statuses = [client.get(f"/usernames/name_{i:04d}/count/").status_code for i in range(30)]
    statuses += [client.get("/mobiles/13900000000/count/").status_code]

    assert statuses == [200] * 30 + [429]
    assert Client(REMOTE_ADDR="10.0.0.9").get("/mobiles/13900000000/count/").status_code == 200
