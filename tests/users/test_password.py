"""Forgotten password (POST /password/reset/) and change of password (POST /password/):
the new password's rules, and which sessions live on."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.helpers import PASSWORD, csrf_token, logged_in_as, unique_mobile
from tests.verifications.codes import code_by_sms
from verifications import constants as vc

pytestmark = pytest.mark.django_db
User = get_user_model()
NEW = "brand-new-2026"


def post_json(client: Client, path: str, data: dict):
    return client.post(
        path, json.dumps(data), content_type="application/json", HTTP_X_CSRFTOKEN=csrf_token(client)
    )


def password_login(client: Client, account: str, password: str):
    return post_json(client, "/login/", {"username": account, "password": password})


def session_of(user) -> Client:
    """Another browser, logged in as `user` by its password."""
    other = Client(enforce_csrf_checks=True)
    assert password_login(other, user.username, PASSWORD).status_code == 200
    assert logged_in_as(other) == user.username
    return other


# --- Forgotten password


def reset(client: Client, mobile: str, code: str, password: str = NEW, password2: str = ""):
    body = {"mobile": mobile, "sms_code": code, "password": password}
    body["password2"] = password2 or password
    return post_json(client, "/password/reset/", body)


@pytest.mark.django_db(transaction=True)
def test_a_reset_by_sms_code_sets_the_password_and_ends_every_session(
    client, redis_conn, fake_vendor, celery_worker
):
    user = User.objects.create_user("reset_me_1", password=PASSWORD, mobile=unique_mobile())
    stolen = session_of(user)
    code = code_by_sms(client, redis_conn, fake_vendor, user.mobile, "reset_password")

    response = reset(client, user.mobile, code)

    assert response.status_code == 200
    assert response.json() == {"code": 0, "message": "密码已重置，请重新登录"}
    assert logged_in_as(stolen) is None  # a stolen session dies with the reset
    assert password_login(client, user.username, PASSWORD).status_code == 400
    assert password_login(client, user.mobile, NEW).status_code == 200
    assert not redis_conn.exists(vc.sms_code_key(user.mobile, "reset_password"))


def test_the_reset_code_is_single_use(client, user, code_for):
    code = code_for(user.mobile, "reset_password")
    assert reset(client, user.mobile, code).status_code == 200

    again = reset(client, user.mobile, code, password="another-2026-pw")

    assert again.status_code == 400 and again.json()["field"] == "sms_code"


@pytest.mark.parametrize("purpose", ["register", "login", "change_mobile"])
def test_a_code_for_another_purpose_resets_nothing(client, user, code_for, purpose):
    response = reset(client, user.mobile, code_for(user.mobile, purpose))

    assert response.status_code == 400
    assert response.json()["message"] == "短信验证码已失效，请重新获取"
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"password": "short1", "password2": "short1"}, "password", "密码长度应为8-64位"),
        ({"password": "password123", "password2": "password123"}, "password", "这个密码太常见了。"),
        ({"password": "84920375", "password2": "84920375"}, "password", "密码只包含数字。"),
        ({"password2": "different123"}, "password2", "两次输入的密码不一致"),
        ({"password": "", "password2": ""}, "password", "请输入新密码"),
        ({"mobile": "123"}, "mobile", "请输入正确的手机号码"),
        ({"sms_code": "000000"}, "sms_code", "短信验证码输入错误"),
    ],
)
def test_the_registration_password_rules_apply(client, user, code_for, change, field, message):
    body = {
        "mobile": user.mobile,
        "sms_code": code_for(user.mobile, "reset_password"),
        "password": NEW,
        "password2": NEW,
        **change,
    }

    response = post_json(client, "/password/reset/", body)

    assert response.status_code == 400
    assert response.json()["field"] == field and response.json()["message"] == message
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_password_like_the_username_is_refused_only_once_the_code_matched(
    client, user, code_for, redis_conn
):
    like = user.username + "x"
    wrong_code = reset(client, user.mobile, "000000", password=like)
    assert wrong_code.json()["field"] == "sms_code"  # tells nothing about the account

    code = code_for(user.mobile, "reset_password")
    response = reset(client, user.mobile, code, password=like)

    assert response.json()["field"] == "password"
    assert "相似" in response.json()["message"]
    # The code still works for a better password: a refusal does not spend it.
    assert reset(client, user.mobile, code).status_code == 200


def test_the_reset_page_renders_with_a_captcha_and_rules(client):
    response = client.get("/password/reset/")

    assert response.status_code == 200
    assert response.context["image_code_id"]
    assert {"mobile", "sms_code", "password", "password2", "image_code"} <= set(
        response.context["rules"]
    )


def test_reset_needs_csrf(client, user, code_for):
    response = client.post(
        "/password/reset/",
        json.dumps(
            {
                "mobile": user.mobile,
                "sms_code": code_for(user.mobile, "reset_password"),
                "password": NEW,
                "password2": NEW,
            }
        ),
        content_type="application/json",
    )

    assert response.status_code == 403
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


# --- Change of password


def change(client: Client, old: str = PASSWORD, new: str = NEW, new2: str = ""):
    body = {"old_password": old, "new_password": new, "new_password2": new2 or new}
    return post_json(client, "/password/", body)


def test_a_change_keeps_this_session_and_ends_the_others(client, user):
    other = session_of(user)
    assert password_login(client, user.username, PASSWORD).status_code == 200

    response = change(client)

    assert response.status_code == 200 and response.json()["code"] == 0
    assert logged_in_as(client) == user.username
    assert logged_in_as(other) is None
    user.refresh_from_db()
    assert user.check_password(NEW)


def test_a_wrong_old_password_is_refused_and_counts_toward_the_login_limit(client, user):
    client.force_login(user)
    answers = [change(client, old="not-my-password") for _ in range(5)]

    assert {(r.status_code, r.json()["field"], r.json()["message"]) for r in answers} == {
        (400, "old_password", "密码错误")
    }
    limited = password_login(Client(), user.username, PASSWORD)
    assert limited.status_code == 429
    assert change(client).status_code == 429  # even the right one, until the window ends


@pytest.mark.parametrize(
    ("new", "new2", "field", "message"),
    [
        ("short1", "short1", "new_password", "密码长度应为8-64位"),
        ("password123", "password123", "new_password", "这个密码太常见了。"),
        (NEW, "different123", "new_password2", "两次输入的密码不一致"),
    ],
)
def test_the_new_password_follows_the_rules(client, user, new, new2, field, message):
    client.force_login(user)

    response = change(client, new=new, new2=new2)

    assert response.status_code == 400
    assert response.json()["field"] == field and response.json()["message"] == message


def test_a_visitor_gets_401_and_a_form_post_the_login_page(client):
    assert change(client).status_code == 401
    assert change(client).json() == {"code": 4101, "message": "用户未登录"}
    form = client.post(
        "/password/",
        {
            "old_password": PASSWORD,
            "new_password": NEW,
            "new_password2": NEW,
            "csrfmiddlewaretoken": csrf_token(client),
        },
    )
    assert form.status_code == 302 and form["Location"] == "/login/?next=/info/"


def test_change_needs_csrf(client, user):
    client.force_login(user)

    response = client.post(
        "/password/",
        json.dumps({"old_password": PASSWORD, "new_password": NEW, "new_password2": NEW}),
        content_type="application/json",
    )

    assert response.status_code == 403
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_form_post_goes_back_to_the_user_center(client, user):
    client.force_login(user)
    token = csrf_token(client)

    refused = client.post("/password/", {"old_password": "nope-nope", "csrfmiddlewaretoken": token})
    assert refused.status_code == 400
    assert refused.context["refusal"].field == "old_password"  # on the user center page
    assert refused.context["username"] == user.username

    done = client.post(
        "/password/",
        {
            "old_password": PASSWORD,
            "new_password": NEW,
            "new_password2": NEW,
            "csrfmiddlewaretoken": token,
        },
    )
    assert done.status_code == 302 and done["Location"] == "/info/"
