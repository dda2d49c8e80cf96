"""POST /mobile/ {password, mobile, sms_code}: a change_mobile code sent to the new number."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.test import Client

from tests.helpers import PASSWORD, csrf_token, logged_in_as, unique_mobile
from tests.verifications.codes import code_by_sms
from verifications import constants as vc

pytestmark = pytest.mark.django_db
User = get_user_model()


def post_json(client: Client, path: str, data: dict):
    return client.post(
        path, json.dumps(data), content_type="application/json", HTTP_X_CSRFTOKEN=csrf_token(client)
    )


def change_mobile(client: Client, mobile: str, code: str, password: str = PASSWORD):
    return post_json(client, "/mobile/", {"password": password, "mobile": mobile, "sms_code": code})


def login(client: Client, account: str):
    return post_json(client, "/login/", {"username": account, "password": PASSWORD})


@pytest.mark.django_db(transaction=True)
def test_the_code_sent_to_the_new_number_moves_the_account_to_it(
    client, redis_conn, fake_vendor, celery_worker
):
    user = User.objects.create_user("mover_0001", password=PASSWORD, mobile=unique_mobile())
    old, new = user.mobile, unique_mobile()
    client.force_login(user)
    code = code_by_sms(client, redis_conn, fake_vendor, new, "change_mobile")

    response = change_mobile(client, new, code)

    assert response.status_code == 200
    assert response.json() == {"code": 0, "message": "手机号已更换", "mobile": new}
    assert logged_in_as(client) == user.username  # this session stays
    user.refresh_from_db()
    assert user.mobile == new
    assert not redis_conn.exists(vc.sms_code_key(new, "change_mobile"))
    other = Client(enforce_csrf_checks=True)
    assert login(other, old).status_code == 400  # the old number no longer logs in
    assert login(other, new).status_code == 200


@pytest.mark.parametrize("purpose", ["register", "login", "reset_password"])
def test_a_code_for_another_purpose_changes_nothing(logged_in, user, code_for, purpose):
    new = unique_mobile()

    response = change_mobile(logged_in, new, code_for(new, purpose))

    assert response.status_code == 400 and response.json()["field"] == "sms_code"
    user.refresh_from_db()
    assert user.mobile == "13800138000"


def test_a_code_sent_to_another_number_does_not_serve(logged_in, code_for):
    sent_to = unique_mobile()
    code = code_for(sent_to, "change_mobile")

    response = change_mobile(logged_in, unique_mobile(), code)

    assert response.status_code == 400 and response.json()["field"] == "sms_code"


def test_a_number_someone_has_is_refused_before_the_code_is_tried(
    logged_in, user, code_for, redis_conn
):
    other = User.objects.create_user("other_0001", password=PASSWORD, mobile=unique_mobile())
    code_for(other.mobile, "change_mobile")

    for taken in (other.mobile, user.mobile):
        response = change_mobile(logged_in, taken, "000000")
        assert response.status_code == 400
        assert response.json() == {"code": 4007, "message": "手机号已注册", "field": "mobile"}
    assert redis_conn.hget(vc.sms_code_key(other.mobile, "change_mobile"), "tries") == b"0"


def test_a_wrong_password_is_refused_and_counts_toward_the_login_limit(logged_in, user, code_for):
    new = unique_mobile()
    code = code_for(new, "change_mobile")
    for _ in range(5):
        response = change_mobile(logged_in, new, code, password="not-my-password")
        assert response.status_code == 400
        assert response.json()["field"] == "password"

    assert change_mobile(logged_in, new, code).status_code == 429
    assert login(Client(), user.username).status_code == 429


def test_a_registration_that_wins_the_race_for_the_number_gets_it(
    logged_in, user, code_for, monkeypatch
):
    """The form found the number free; someone registered it before the save."""
    new = unique_mobile()
    code = code_for(new, "change_mobile")
    from users import forms

    original = forms.check_sms_code

    def check_then_lose_the_race(*args, **kwargs):
        matched = original(*args, **kwargs)
        User.objects.create_user("racer_0001", password=PASSWORD, mobile=new)
        return matched

    monkeypatch.setattr(forms, "check_sms_code", check_then_lose_the_race)

    response = change_mobile(logged_in, new, code)

    assert response.status_code == 400
    assert response.json() == {"code": 4007, "message": "手机号已注册", "field": "mobile"}
    user.refresh_from_db()
    assert user.mobile == "13800138000"


@pytest.mark.django_db(transaction=True)
def test_two_accounts_racing_for_one_number_one_wins_the_other_hears_it_is_taken(code_for):
    new = unique_mobile()
    clients = []
    for i in range(2):
        user = User.objects.create_user(f"racer_{i:04d}", password=PASSWORD, mobile=unique_mobile())
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        clients.append(client)
    code = code_for(new, "change_mobile")

    def attempt(client: Client):
        try:
            return change_mobile(client, new, code)
        finally:
            connections.close_all()  # this thread's own connection

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(attempt, clients))

    assert sorted(r.status_code for r in answers) == [200, 400]
    [refused] = [r for r in answers if r.status_code == 400]
    assert refused.json()["message"] in {"手机号已注册", "短信验证码已失效，请重新获取"}
    assert User.objects.filter(mobile=new).count() == 1


def test_a_visitor_gets_401(client):
    response = change_mobile(client, unique_mobile(), "123456")

    assert response.status_code == 401
    assert response.json() == {"code": 4101, "message": "用户未登录"}


def test_change_needs_csrf(logged_in, user, code_for):
    new = unique_mobile()
    response = logged_in.post(
        "/mobile/",
        json.dumps(
            {"password": PASSWORD, "mobile": new, "sms_code": code_for(new, "change_mobile")}
        ),
        content_type="application/json",
    )

    assert response.status_code == 403
    user.refresh_from_db()
    assert user.mobile == "13800138000"


def test_the_user_center_page_shows_the_masked_mobile_and_the_forms_rules(logged_in):
    response = logged_in.get("/info/")

    assert response.status_code == 200
    context = response.context
    assert context["mobile_masked"] == "138****8000" and context["username"] == "alice_2026"
    assert context["email"] == "" and context["email_active"] is False
    assert context["image_code_id"]
    fields = {"old_password", "new_password", "new_password2", "password", "mobile", "sms_code"}
    assert fields | {"image_code"} <= set(context["rules"])
