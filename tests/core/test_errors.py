"""Errors in the client's terms with DEBUG on, as under ./run: a script gets JSON, a
browser a plain page, never Django's debug page for a body too large."""

import json

import pytest
from django.urls import path

from tests.helpers import csrf_token

TOO_LARGE = 3 * 1024 * 1024  # over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB)


def boom(request):
    raise RuntimeError("an unexpected bug")


# This module is also the URLconf of the test that needs a failing view.
urlpatterns = [path("boom/", boom)]


@pytest.fixture(autouse=True)
def debug(settings) -> None:
    settings.DEBUG = True


def assert_not_the_debug_page(content: str) -> None:
    assert "Traceback" not in content
    assert "Django Version" not in content


@pytest.mark.parametrize("url", ["/login/", "/register/"])
def test_a_json_body_too_large_is_a_413_in_json(client, url):
    body = json.dumps({"username": "a" * TOO_LARGE, "password": "x"})

    response = client.post(
        url, body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf_token(client)
    )

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["message"] == "请求数据过大"
    assert isinstance(data["code"], int) and data["code"] != 0


@pytest.mark.parametrize("url", ["/login/", "/register/"])
def test_a_form_too_large_is_a_413_page(client, url):
    token = csrf_token(client)
    body = f"csrfmiddlewaretoken={token}&username={'a' * TOO_LARGE}"

    response = client.post(
        url,
        body,
        content_type="application/x-www-form-urlencoded",
        HTTP_ACCEPT="text/html,application/xhtml+xml",
        HTTP_X_CSRFTOKEN=token,
    )

    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    content = response.content.decode()
    assert "请求数据过大" in content
    assert_not_the_debug_page(content)


@pytest.mark.urls(__name__)
def test_an_unexpected_error_is_a_json_500_for_a_script(client):
    response = client.get("/boom/", HTTP_ACCEPT="application/json")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json()["message"] == "服务器内部错误"
    assert_not_the_debug_page(response.content.decode())


@pytest.mark.urls(__name__)
def test_an_unexpected_error_keeps_the_debug_page_for_a_browser_in_debug(client):
    client.raise_request_exception = False

    response = client.get("/boom/", HTTP_ACCEPT="text/html")

    assert response.status_code == 500
    assert "an unexpected bug" in response.content.decode()


def too_many_fields() -> str:
    return "&".join(f"f{i}=1" for i in range(1200))  # DATA_UPLOAD_MAX_NUMBER_FIELDS: 1000


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_a_form_of_too_many_fields_is_a_400_in_the_client_s_terms(client, accept):
    token = csrf_token(client)

    response = client.post(
        "/login/",
        f"{too_many_fields()}&csrfmiddlewaretoken={token}",
        content_type="application/x-www-form-urlencoded",
        HTTP_ACCEPT=accept,
        HTTP_X_CSRFTOKEN=token,
    )

    assert response.status_code == 400
    assert response["Content-Type"].startswith(accept)
    assert "请求数据格式错误" in response.content.decode()
    assert_not_the_debug_page(response.content.decode())


@pytest.mark.parametrize("debug", [True, False])
def test_a_query_of_too_many_fields_is_a_json_400_not_a_500(client, settings, debug):
    settings.DEBUG = debug

    response = client.get(f"/sms_codes/13800138000/?{too_many_fields()}")

    assert response.status_code == 400
    assert response.json()["message"] == "请求数据格式错误"
