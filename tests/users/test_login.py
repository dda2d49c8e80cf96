import pytest
from django.conf import settings

from tests.helpers import PASSWORD, csrf_token, logged_in_as

pytestmark = pytest.mark.django_db


def test_csrf_token_endpoint_returns_the_token_and_sets_the_cookie(client):
    response = client.get("/csrf_token/")

    body = response.json()
    assert body["code"] == 0 and body["message"] == "OK" and body["csrf_token"]
    assert "csrftoken" in response.cookies


@pytest.mark.parametrize("account", ["alice_2026", "13800138000"])
def test_login_by_username_or_mobile_redirects_home_and_greets(client, user, account):
    response = client.post(
        "/login/",
        {"username": account, "password": PASSWORD, "csrfmiddlewaretoken": csrf_token(client)},
    )

    assert response.status_code == 302 and response["Location"] == "/"
    assert response.cookies["username"].value == "alice_2026"
    assert logged_in_as(client) == "alice_2026"


def test_login_rotates_the_session_key(client, user):
    client.get("/csrf_token/")
    session = client.session
    session["probe"] = 1
    session.save()
    before = session.session_key
    client.cookies[settings.SESSION_COOKIE_NAME] = before

    client.post(
        "/login/",
        {
            "username": user.username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": csrf_token(client),
        },
    )

    assert client.cookies[settings.SESSION_COOKIE_NAME].value != before


def test_not_remembered_ends_with_the_browser(client, user):
    response = client.post(
        "/login/",
        {
            "username": user.username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": csrf_token(client),
        },
    )

    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == ""
    assert client.session.get_expire_at_browser_close()


def test_remembered_lasts_two_weeks(client, user):
    response = client.post(
        "/login/",
        {
            "username": user.username,
            "password": PASSWORD,
            "remembered": "on",
            "csrfmiddlewaretoken": csrf_token(client),
        },
    )

    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 14 * 24 * 3600
    assert not client.session.get_expire_at_browser_close()


def test_json_login_answers_json(client, post_json, user):
    response = post_json(
        "/login/", {"username": user.mobile, "password": PASSWORD, "remembered": True}
    )

    assert response.status_code == 200
    assert response.json() == {"code": 0, "message": "登录成功"}


@pytest.mark.parametrize("account", ["alice_2026", "13800138000", "nobody_here", "13911112222"])
def test_bad_credentials_get_one_message_whoever_asks(client, post_json, user, account):
    form = client.post(
        "/login/",
        {"username": account, "password": "wrongpass1", "csrfmiddlewaretoken": csrf_token(client)},
    )
    as_json = post_json("/login/", {"username": account, "password": "wrongpass1"})

    assert form.status_code == 400
    assert "用户名或密码错误" in form.content.decode()
    assert as_json.status_code == 400
    assert as_json.json() == {"code": 4010, "message": "用户名或密码错误"}
    assert "_auth_user_id" not in client.session


def test_an_inactive_user_cannot_log_in(post_json, user):
    user.is_active = False
    user.save()

    assert (
        post_json("/login/", {"username": user.username, "password": PASSWORD}).status_code == 400
    )


def test_missing_fields_are_named(post_json):
    assert post_json("/login/", {"password": "x"}).json()["message"] == "请输入用户名或手机号"
    assert post_json("/login/", {"username": "x"}).json()["message"] == "请输入密码"


def test_next_is_honoured_for_local_urls_only(client, user):
    local = client.post(
        "/login/?next=/info/",
        {
            "username": user.username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": csrf_token(client),
        },
    )
    assert local["Location"] == "/info/"

    client.logout()
    foreign = client.post(
        "/login/?next=https://evil.example/",
        {
            "username": user.username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": csrf_token(client),
        },
    )
    assert foreign["Location"] == "/"


@pytest.mark.parametrize("method", ["get", "post"])
def test_logout_ends_the_session_and_deletes_the_username_cookie(client, user, method):
    client.force_login(user)
    client.cookies["username"] = user.username

    kwargs = {"data": {"csrfmiddlewaretoken": csrf_token(client)}} if method == "post" else {}
    response = getattr(client, method)("/logout/", **kwargs)

    assert response.status_code == 302 and response["Location"] == "/"
    assert response.cookies["username"].value == ""
    assert response.cookies["username"]["max-age"] == 0
    assert logged_in_as(client) is None


def test_home_page_offers_login_and_register_to_visitors(client):
    page = client.get("/").content.decode()

    assert 'href="/login/"' in page and 'href="/register/"' in page


def test_info_shows_the_logged_in_user(client, user):
    client.force_login(user)

    assert client.get("/info/", HTTP_ACCEPT="application/json").json() == {
        "code": 0,
        "message": "OK",
        "username": "alice_2026",
        "mobile": "13800138000",
        "email": "",
        "email_active": False,
    }
    page = client.get("/info/").content.decode()
    # The page shows the mobile masked (shoulder-surfing); the JSON gives it whole.
    assert "alice_2026" in page and "138****8000" in page and "13800138000" not in page


def test_info_refuses_visitors(client):
    as_json = client.get("/info/", HTTP_ACCEPT="application/json")
    assert as_json.status_code == 401 and as_json.json()["code"] != 0

    page = client.get("/info/")
    assert page.status_code == 302 and page["Location"] == "/login/?next=/info/"


def test_the_username_cookie_is_not_trusted_for_identity(client, user):
    client.cookies["username"] = user.username

    assert logged_in_as(client) is None
    # A page drops the greeting cookie that outlived its session.
    assert client.get("/").cookies["username"].value == ""


def test_an_edited_username_cookie_is_put_right_by_the_next_page(client, user):
    client.force_login(user)
    client.cookies["username"] = "someone_else"

    assert client.get("/").cookies["username"].value == user.username


def test_a_matching_username_cookie_is_left_alone(client, user):
    client.force_login(user)
    client.cookies["username"] = user.username

    assert "username" not in client.get("/").cookies


def test_a_pbkdf2_password_from_before_argon2_still_logs_in_and_is_rehashed(client, user):
    from django.contrib.auth.hashers import make_password

    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])

    response = client.post(
        "/login/",
        {
            "username": user.username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": csrf_token(client),
        },
    )

    assert response.status_code == 302 and logged_in_as(client) == user.username
    user.refresh_from_db()
    assert user.password.startswith("argon2$")
