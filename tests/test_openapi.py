"""The OpenAPI document is true: it validates, it lists every JSON endpoint, and the
API answers fuzzed requests without a 5xx and within the document."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import schemathesis
import yaml
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from schemathesis.specs.openapi.checks import positive_data_acceptance

from core.api import ApiView
from core.views import OPENAPI_PATH
from users.views import FormOrJsonView, UserInfoView

DOCUMENT = yaml.safe_load(Path(OPENAPI_PATH).read_text(encoding="utf-8"))


def django_paths() -> dict[str, type]:
    """Every route of the URLconf, in OpenAPI's {param} spelling, with its view class."""
    found: dict[str, type] = {}

    def walk(patterns, prefix: str) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern).replace("<str:", "{").replace(">", "}")
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern):
                found["/" + route] = getattr(entry.callback, "view_class", None)

    walk(get_resolver().url_patterns, "")
    return found


def test_the_document_is_valid_openapi_3():
    validate(DOCUMENT)
    assert DOCUMENT["openapi"].startswith("3.")


def test_every_json_endpoint_is_documented_and_every_documented_path_exists():
    json_views = (ApiView, FormOrJsonView, UserInfoView)
    routes = django_paths()
    json_routes = {path for path, view in routes.items() if view and issubclass(view, json_views)}

    assert json_routes == set(DOCUMENT["paths"])


def test_the_schema_and_its_docs_page_are_served(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert yaml.safe_load(schema.content) == DOCUMENT

    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui-bundle.js" in docs and 'data-schema-url="/api/schema/"' in docs


def test_a_post_without_the_csrf_token_gets_a_json_refusal(client):
    response = client.post("/login/", "{}", content_type="application/json")

    assert response.status_code == 403
    assert response.json() == {"code": 4103, "message": "请求已过期或来源不明，请刷新页面后重试"}


fuzzed = schemathesis.openapi.from_path(OPENAPI_PATH)
fuzzed.app = get_wsgi_application()  # in-process, against the real Redis and database


@contextmanager
def keep_test_transaction() -> Iterator[None]:
    """What Django's test client does around a request: the per-request
    close_old_connections would close the connection that holds the test's
    transaction (on PostgreSQL and MariaDB)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def roomy_limits(settings) -> None:
    # Room for the fuzzer; the limits themselves are tested in their own files.
    settings.RATE_LIMITS = {action: "10000/1m/ip" for action in settings.RATE_LIMITS}


@fuzzed.parametrize()
@settings(
    # Repeatable by default, so CI is; FUZZ_RANDOM=1 FUZZ_EXAMPLES=500 for a wider search.
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")),
    derandomize=os.environ.get("FUZZ_RANDOM") != "1",
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.slow
@pytest.mark.django_db
def test_the_api_answers_fuzzed_requests_without_5xx_and_as_documented(case, client, roomy_limits):
    headers = {}
    if case.method == "POST":
        headers["X-CSRFToken"] = client.get("/csrf_token/").json()["csrf_token"]
        case.cookies = {**(case.cookies or {}), "csrftoken": client.cookies["csrftoken"].value}
    # Whether a well-formed registration or login is accepted depends on state (an SMS
    # code, an account), not on the request's shape, so that one check does not apply.
    with keep_test_transaction():
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])


@pytest.mark.django_db
def test_an_unparseable_form_body_gets_a_chinese_400_not_a_crash(client):
    token = client.get("/csrf_token/").json()["csrf_token"]

    response = client.post(
        "/login/", b"--no-boundary", content_type="multipart/form-data", HTTP_X_CSRFTOKEN=token
    )

    assert response.status_code == 400
    assert "请求数据格式错误" in response.content.decode()
