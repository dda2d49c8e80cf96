import pytest
from django.contrib.auth import get_user_model

from tests.helpers import csrf_token, logged_in_as
from verifications import constants as vc

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_register_creates_a_hashed_user_logs_in_and_sets_the_username_cookie(
    client, post_json, registration, redis_conn
):
    response = post_json("/register/", registration)

    assert response.status_code == 200
    assert response.json() == {"code": 0, "message": "注册成功"}
    user = User.objects.get(username="shopper_01")
    assert user.mobile == registration["mobile"]
    assert user.password != registration["password"] and user.check_password(
        registration["password"]
    )
    assert response.cookies["username"].value == "shopper_01"
    assert response.cookies["username"]["max-age"] == 15 * 24 * 3600
    assert client.get("/info/", HTTP_ACCEPT="application/json").json()["username"] == "shopper_01"
    # The code served its registration.
    assert not redis_conn.exists(vc.sms_code_key(registration["mobile"]))


def test_the_register_form_posts_fields_and_is_redirected_home(client, registration):
    form = {**registration, "allow": "on", "csrfmiddlewaretoken": csrf_token(client)}

    response = client.post("/register/", form)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert logged_in_as(client) == "shopper_01"


def test_a_post_without_csrf_token_is_refused(client, registration):
    response = client.post("/register/", registration, content_type="application/json")

    assert response.status_code == 403
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"username": ""}, "username", "请输入用户名"),
        ({"password": ""}, "password", "请输入密码"),
        ({"password2": ""}, "password2", "请再次输入密码"),
        ({"mobile": ""}, "mobile", "请输入手机号"),
        ({"sms_code": ""}, "sms_code", "请输入短信验证码"),
        ({"username": "abc"}, "username", "请输入5-20个字符的用户名（字母、数字、_或-）"),
        ({"username": "a" * 21}, "username", "请输入5-20个字符的用户名（字母、数字、_或-）"),
        ({"username": "中文用户名"}, "username", "请输入5-20个字符的用户名（字母、数字、_或-）"),
        ({"username": "13912345678"}, "username", "用户名不能是手机号"),
        ({"password": "short1", "password2": "short1"}, "password", "密码长度应为8-64位"),
        ({"password": "x" * 65, "password2": "x" * 65}, "password", "密码长度应为8-64位"),
        (
            {"password": "line\nbreak99", "password2": "line\nbreak99"},
            "password",
            "密码不能包含换行等控制字符",
        ),
        ({"password": "password123", "password2": "password123"}, "password", "这个密码太常见了。"),
        ({"password": "84920375", "password2": "84920375"}, "password", "密码只包含数字。"),
        ({"password2": "different123"}, "password2", "两次输入的密码不一致"),
        ({"mobile": "12345678901"}, "mobile", "请输入正确的手机号码"),
        ({"allow": False}, "allow", "请勾选同意用户协议"),
        ({"allow": "off"}, "allow", "请勾选同意用户协议"),
        ({"sms_code": "000000"}, "sms_code", "短信验证码输入错误"),
        ({"username": ["list"]}, "username", "请输入用户名"),
    ],
)
def test_each_bad_field_is_refused_with_400_and_creates_nothing(
    post_json, registration, redis_conn, change, field, message
):
    if change.get("sms_code") == "000000" and registration["sms_code"] == "000000":
        change = {"sms_code": "999999"}

    response = post_json("/register/", {**registration, **change})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] != 0
    assert body["message"] == message
    assert body["field"] == field
    assert not User.objects.exists()
    # A refusal does not spend the SMS code.
    assert redis_conn.exists(vc.sms_code_key(registration["mobile"]))


def test_an_expired_sms_code_is_refused(post_json, registration, redis_conn):
    redis_conn.delete(vc.sms_code_key(registration["mobile"]))

    response = post_json("/register/", registration)

    assert response.status_code == 400
    assert response.json()["message"] == "短信验证码已失效，请重新获取"
    assert not User.objects.exists()


def test_a_taken_username_or_mobile_is_refused(post_json, registration, user, sms_code_for):
    taken_name = {**registration, "username": user.username}
    response = post_json("/register/", taken_name)
    assert response.status_code == 400
    assert response.json()["message"] == "用户名已存在"

    sms_code_for(user.mobile)
    taken_mobile = {**registration, "mobile": user.mobile}
    response = post_json("/register/", taken_mobile)
    assert response.status_code == 400
    assert response.json()["message"] == "手机号已注册"
    assert User.objects.count() == 1


def test_a_body_that_is_not_json_is_refused(client):
    response = client.post(
        "/register/",
        "{not json",
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf_token(client),
    )
    assert response.status_code == 400
    assert response.json()["message"] == "请求数据不是有效的JSON"


def test_a_refused_form_shows_the_page_again_with_the_message(client, registration):
    form = {
        **registration,
        "password2": "different123",
        "allow": "on",
        "csrfmiddlewaretoken": csrf_token(client),
    }

    response = client.post("/register/", form)

    assert response.status_code == 400
    page = response.content.decode()
    assert "两次输入的密码不一致" in page
    assert registration["mobile"] in page  # what the shopper typed is kept
    assert registration["password"] not in page


def test_count_endpoints_tell_whether_a_username_or_mobile_is_taken(client, user):
    assert client.get(f"/usernames/{user.username}/count/").json() == {
        "code": 0,
        "message": "OK",
        "count": 1,
    }
    assert client.get("/usernames/nobody_here/count/").json()["count"] == 0
    assert client.get(f"/mobiles/{user.mobile}/count/").json()["count"] == 1
    assert client.get("/mobiles/13900000000/count/").json()["count"] == 0
    assert client.get("/mobiles/123/count/").status_code == 400
    assert client.get("/usernames/ab/count/").status_code == 400
