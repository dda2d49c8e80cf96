"""POST /account/delete/ {password}: logged out, no way back in, personal data erased,
the mobile free to register again."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.helpers import PASSWORD, csrf_token, logged_in_as, unique_mobile
from tests.verifications.codes import ask_code, code_by_sms

pytestmark = pytest.mark.django_db
User = get_user_model()


def post_json(client: Client, path: str, data: dict):
    return client.post(
        path, json.dumps(data), content_type="application/json", HTTP_X_CSRFTOKEN=csrf_token(client)
    )


def delete(client: Client, password: str = PASSWORD):
    return post_json(client, "/account/delete/", {"password": password})


@pytest.fixture
def shopper(db):
    user = User.objects.create_user(
        "leaving_01", password=PASSWORD, mobile=unique_mobile(), email="leaving@example.com"
    )
    user.first_name, user.last_name, user.email_active = "离", "开", True
    user.save()
    return user


def test_delete_erases_personal_data_and_logs_out(client, shopper):
    client.force_login(shopper)
    other = Client(enforce_csrf_checks=True)
    other.force_login(shopper)
    client.cookies["username"] = shopper.username

    response = delete(client)

    assert response.status_code == 200
    assert response.json() == {"code": 0, "message": "账号已注销"}
    assert response.cookies["username"].value == ""
    assert logged_in_as(client) is None
    assert logged_in_as(other) is None  # every session ends
    kept = User.objects.get(pk=shopper.pk)
    assert kept.username == "leaving_01" and kept.date_joined == shopper.date_joined
    assert kept.mobile is None
    assert (kept.email, kept.email_active, kept.first_name, kept.last_name) == ("", False, "", "")
    assert not kept.is_active and not kept.has_usable_password()


@pytest.mark.django_db(transaction=True)
def test_a_deleted_account_cannot_log_in_any_way_and_its_mobile_registers_again(
    client, redis_conn, fake_vendor, celery_worker
):
    shopper = User.objects.create_user("leaving_02", password=PASSWORD, mobile=unique_mobile())
    mobile = shopper.mobile
    client.force_login(shopper)
    assert delete(client).status_code == 200

    for account in (shopper.username, mobile):
        refused = post_json(client, "/login/", {"username": account, "password": PASSWORD})
        assert refused.status_code == 400 and refused.json()["code"] == 4010
    no_code = ask_code(client, redis_conn, mobile, "login")
    assert no_code.status_code == 400 and no_code.json()["message"] == "手机号未注册"
    assert ask_code(client, redis_conn, mobile, "reset_password").status_code == 400
    assert (
        post_json(client, "/login/sms/", {"mobile": mobile, "sms_code": "123456"}).status_code
        == 400
    )

    # The number is free: a new account registers with it, by a code from the real SMS.
    assert client.get(f"/mobiles/{mobile}/count/").json()["count"] == 0
    code = code_by_sms(client, redis_conn, fake_vendor, mobile, "register")
    registered = post_json(
        client,
        "/register/",
        {
            "username": "arriving_02",
            "password": PASSWORD,
            "password2": PASSWORD,
            "mobile": mobile,
            "sms_code": code,
            "allow": True,
        },
    )
    assert registered.status_code == 200, registered.json()
    assert User.objects.get(mobile=mobile).username == "arriving_02"
    assert User.objects.filter(mobile__isnull=True).count() == 1


def test_two_deleted_accounts_do_not_collide_on_the_empty_mobile(client, shopper, user):
    for account in (shopper, user):
        client.force_login(account)
        assert delete(client).status_code == 200

    assert User.objects.filter(mobile__isnull=True, is_active=False).count() == 2


def test_a_wrong_password_refuses_and_counts_toward_the_login_limit(client, shopper):
    client.force_login(shopper)
    for _ in range(5):
        response = delete(client, "not-my-password")
        assert response.status_code == 400
        assert response.json() == {"code": 4005, "message": "密码错误", "field": "password"}

    assert delete(client).status_code == 429
    shopper.refresh_from_db()
    assert shopper.is_active and shopper.mobile


def test_a_visitor_gets_401(client):
    response = delete(client)

    assert response.status_code == 401
    assert response.json() == {"code": 4101, "message": "用户未登录"}


def test_delete_needs_csrf(client, shopper):
    client.force_login(shopper)

    response = client.post(
        "/account/delete/", json.dumps({"password": PASSWORD}), content_type="application/json"
    )

    assert response.status_code == 403
    shopper.refresh_from_db()
    assert shopper.is_active


def test_a_form_post_goes_home_logged_out(client, shopper):
    client.force_login(shopper)

    response = client.post(
        "/account/delete/", {"password": PASSWORD, "csrfmiddlewaretoken": csrf_token(client)}
    )

    assert response.status_code == 302 and response["Location"] == "/"
    assert logged_in_as(client) is None
