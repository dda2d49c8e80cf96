import json

import pytest
from django.contrib.auth import get_user_model

from tests.helpers import PASSWORD, csrf_token, store_sms_code, unique_mobile
from tests.verifications.codes import store_purpose_code


@pytest.fixture
def post_json(client):
    """POST a JSON body with the CSRF token, as the pages' scripts do."""

    def post(path: str, data: dict):
        return client.post(
            path,
            json.dumps(data),
            content_type="application/json",
            HTTP_X_CSRFTOKEN=csrf_token(client),
        )

    return post


@pytest.fixture
def sms_code_for(redis_conn):
    """Store an SMS code for a mobile, as the SMS endpoint does after a right captcha."""

    def store(mobile: str, code: str = "123456") -> str:
        store_sms_code(redis_conn, mobile, code)
        return code

    return store


@pytest.fixture
def registration(sms_code_for) -> dict:
    mobile = unique_mobile()
    return {
        "username": "shopper_01",
        "password": PASSWORD,
        "password2": PASSWORD,
        "mobile": mobile,
        "sms_code": sms_code_for(mobile),
        "allow": True,
    }


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user(
        username="alice_2026", password=PASSWORD, mobile="13800138000"
    )


@pytest.fixture
def code_for(redis_conn):
    """Store an SMS code for a mobile and a purpose, as the SMS endpoint does after a
    right captcha (the tests that go through the endpoint and the worker are apart)."""

    def store(mobile: str, purpose: str, code: str = "123456") -> str:
        store_purpose_code(redis_conn, mobile, purpose, code)
        return code

    return store


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client
