"""Hostile bodies get a 400 JSON answer with a Chinese message, never a 500."""

import pytest

from tests.helpers import csrf_token

pytestmark = pytest.mark.django_db
ENDPOINTS = ["/login/", "/register/"]


def post(client, path: str, body: bytes):
    return client.post(
        path, body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf_token(client)
    )


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "请求数据不是有效的JSON"),
        (b'{"username": {"a": ' * 1_000 + b"1" + b"}" * 1_001, "请求数据不是有效的JSON"),
        (b'{"username": "\xff\xfe"}', "请求数据不是有效的JSON"),
        (b'{"username": "a", "username": "b"}', "请求数据中有重复的字段"),
        (b'["username"]', "请求数据应为JSON对象"),
    ],
    ids=["nested-100000", "nested-objects-1000", "not-utf8", "duplicate-keys", "array"],
)
def test_a_hostile_body_is_a_400_with_a_chinese_message(client, path, body, message):
    response = post(client, path, body)

    assert response.status_code == 400
    assert response.json() == {"code": 5006, "message": message}


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_field_of_the_wrong_json_type_is_refused_as_missing(client, path):
    response = post(client, path, b'{"username": 12345, "password": ["x"]}')

    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "username"
    assert body["code"] == 4003
