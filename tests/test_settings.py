"""Security settings as an operator gets them from the environment."""

import json
import os
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model

from tests.helpers import BASE_DIR

PRINT_SETTINGS = (
    "import json, django; from django.conf import settings; django.setup(); print(json.dumps({"
    "k: getattr(settings, k) for k in ('DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE',"
    " 'SESSION_COOKIE_HTTPONLY', 'SESSION_COOKIE_SAMESITE', 'CSRF_COOKIE_SAMESITE',"
    " 'TRUSTED_PROXY_COUNT')}))"
)


def load_settings(**env: str) -> subprocess.CompletedProcess:
    """Import the settings in a fresh process with exactly these DJANGO_* overrides."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "meiduo_mall.settings", **env}
    for name in ("DJANGO_DEBUG", "DJANGO_SECURE_COOKIES", "DJANGO_SECRET_KEY"):
        if name not in env:
            environment.pop(name, None)
    command = [sys.executable, "-c", PRINT_SETTINGS]
    return subprocess.run(
        command, env=environment, cwd=BASE_DIR, capture_output=True, text=True, check=False
    )


def settings_under(**env: str) -> dict:
    result = load_settings(**env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_cookies_are_secure_httponly_and_samesite_lax_by_default():
    production = settings_under(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x" * 50)

    assert production["SESSION_COOKIE_SECURE"] and production["CSRF_COOKIE_SECURE"]
    assert production["SESSION_COOKIE_HTTPONLY"]
    assert production["SESSION_COOKIE_SAMESITE"] == production["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert production["TRUSTED_PROXY_COUNT"] == 0


def test_development_serves_cookies_over_plain_http():
    development = settings_under()

    assert development["DEBUG"] and not development["SESSION_COOKIE_SECURE"]


def test_secure_cookies_can_be_switched_off_for_a_plain_http_deployment():
    plain_http = settings_under(
        DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x" * 50, DJANGO_SECURE_COOKIES="0"
    )

    assert not plain_http["SESSION_COOKIE_SECURE"]


def test_production_refuses_to_start_without_a_secret_key():
    result = load_settings(DJANGO_DEBUG="0")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_the_username_cookie_follows_the_secure_setting(client, settings):
    settings.SECURE_COOKIES = True
    get_user_model().objects.create_user("secure_01", password="secure2026ok", mobile="13812345678")
    token = client.get("/csrf_token/").json()["csrf_token"]

    response = client.post(
        "/login/",
        {"username": "secure_01", "password": "secure2026ok", "csrfmiddlewaretoken": token},
    )

    assert response.cookies["username"]["secure"]
    assert response.cookies["username"]["samesite"] == "Lax"
