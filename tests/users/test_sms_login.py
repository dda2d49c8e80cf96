"""POST /login/sms/ {mobile, sms_code, remembered}: logged in as /login/ does."""

import json

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from tests.helpers import PASSWORD, csrf_token, logged_in_as, unique_mobile
from tests.verifications.codes import code_by_sms
from verifications import constants as vc

pytestmark = pytest.mark.django_db


def sms_login(client: Client, mobile: str, code: str, **extra):
    return client.post(
        "/login/sms/",
        json.dumps({"mobile": mobile, "sms_code": code, **extra}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf_token(client),
    )


@pytest.mark.django_db(transaction=True)
def test_a_code_from_the_sms_logs_in_end_to_end(client, redis_conn, fake_vendor, celery_worker):
    user = get_user_model().objects.create_user(
        "sms_login_1", password=PASSWORD, mobile=unique_mobile()
    )
    code = code_by_sms(client, redis_conn, fake_vendor, user.mobile, "login")

    response = sms_login(client, user.mobile, code)

    assert response.status_code == 200
    assert response.json() == {"code": 0, "message": "登录成功"}
    assert response.cookies["username"].value == user.username
    assert logged_in_as(client) == user.username


def test_login_by_code_rotates_the_session_and_forgets_it_with_the_browser(client, user, code_for):
    client.get("/csrf_token/")
    session = client.session
    session["probe"] = 1
    session.save()
    before = session.session_key
    client.cookies[settings.SESSION_COOKIE_NAME] = before

    response = sms_login(client, user.mobile, code_for(user.mobile, "login"))

    assert response.status_code == 200
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != before
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == ""
    assert client.session.get_expire_at_browser_close()


def test_remembered_lasts_two_weeks(client, user, code_for):
    response = sms_login(client, user.mobile, code_for(user.mobile, "login"), remembered=True)

    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 14 * 24 * 3600


def test_a_form_post_is_redirected_home_or_gets_the_login_page_on_its_sms_tab(
    client, user, code_for
):
    wrong = client.post(
        "/login/sms/",
        {"mobile": user.mobile, "sms_code": "000000", "csrfmiddlewaretoken": csrf_token(client)},
    )
    assert wrong.status_code == 400
    page = wrong.content.decode()
    assert "短信验证码已失效，请重新获取" in page and 'data-tab="sms"' in page

    right = client.post(
        "/login/sms/",
        {
            "mobile": user.mobile,
            "sms_code": code_for(user.mobile, "login"),
            "csrfmiddlewaretoken": csrf_token(client),
        },
    )
    assert right.status_code == 302 and right["Location"] == "/"
    assert logged_in_as(client) == user.username


def test_the_code_is_single_use(client, user, code_for, redis_conn):
    code = code_for(user.mobile, "login")
    assert sms_login(client, user.mobile, code).status_code == 200
    client.logout()

    again = sms_login(client, user.mobile, code)

    assert again.status_code == 400
    assert again.json()["message"] == "短信验证码已失效，请重新获取"
    assert not redis_conn.exists(vc.sms_code_key(user.mobile, "login"))


@pytest.mark.parametrize("purpose", ["register", "reset_password", "change_mobile"])
def test_a_code_for_another_purpose_does_not_log_in(client, user, code_for, purpose):
    code = code_for(user.mobile, purpose)

    response = sms_login(client, user.mobile, code)

    assert response.status_code == 400
    assert response.json() == {
        "code": 4008,
        "message": "短信验证码已失效，请重新获取",
        "field": "sms_code",
    }
    assert logged_in_as(client) is None


def test_wrong_codes_spend_the_codes_five_tries(client, user, code_for, settings):
    # The login-failure limit (also 5) is tested below; here only the code's own tries.
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login_failed": "100/5m/account"}
    code = code_for(user.mobile, "login")
    wrong = "000000" if code != "000000" else "999999"
    messages = [sms_login(client, user.mobile, wrong).json()["message"] for _ in range(5)]

    assert messages == ["短信验证码输入错误"] * 4 + ["短信验证码错误次数过多，请重新获取"]
    assert sms_login(client, user.mobile, code).json()["message"] == "短信验证码已失效，请重新获取"


def test_wrong_codes_count_toward_the_login_failure_limit(client, user, code_for, redis_conn):
    for _ in range(5):
        code_for(user.mobile, "login")
        assert sms_login(client, user.mobile, "000000").status_code == 400

    by_code = sms_login(client, user.mobile, code_for(user.mobile, "login"))
    by_password = client.post(
        "/login/",
        json.dumps({"username": user.username, "password": PASSWORD}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf_token(client),
    )

    for response in (by_code, by_password):
        assert response.status_code == 429
        assert response.json()["message"].startswith("登录失败次数过多")
        assert int(response["Retry-After"]) > 0
    # The refused try did not spend the right code: it still works once the limit ends.
    assert redis_conn.hget(vc.sms_code_key(user.mobile, "login"), "tries") == b"0"


def test_an_unknown_mobile_gets_the_same_answer_as_a_wrong_code(client, user):
    known = sms_login(client, user.mobile, "123456")
    unknown = sms_login(client, unique_mobile(), "123456")

    assert known.json() == unknown.json()
    assert known.status_code == unknown.status_code == 400


def test_an_account_deactivated_after_its_code_was_sent_cannot_log_in(client, user, code_for):
    code = code_for(user.mobile, "login")
    user.is_active = False
    user.save()

    response = sms_login(client, user.mobile, code)

    assert response.status_code == 400 and response.json()["message"] == "手机号未注册"
    assert logged_in_as(client) is None


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({}, "mobile", 4003),
        ({"mobile": "123"}, "mobile", 4007),
        ({"mobile": "13800138000"}, "sms_code", 4003),
    ],
)
def test_malformed_requests_are_named(client, body, field, code):
    response = client.post(
        "/login/sms/",
        json.dumps(body),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf_token(client),
    )

    assert response.status_code == 400
    assert response.json()["field"] == field and response.json()["code"] == code


def test_csrf_is_required_and_get_is_not_allowed(client, user, code_for):
    response = client.post(
        "/login/sms/",
        json.dumps({"mobile": user.mobile, "sms_code": code_for(user.mobile, "login")}),
        content_type="application/json",
    )

    assert response.status_code == 403 and response.json()["code"] == 4103
    assert logged_in_as(client) is None
    assert client.get("/login/sms/").status_code == 405


def test_the_login_page_has_a_captcha_id_and_the_sms_tabs_rules(client):
    response = client.get("/login/")

    assert response.status_code == 200
    assert response.context["image_code_id"]
    rules = response.context["rules"]
    assert {"username", "password", "mobile", "sms_code", "image_code"} <= set(rules)
