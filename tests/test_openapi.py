"""The OpenAPI document is true: it validates, it lists every JSON endpoint, and the
API answers fuzzed requests without a 5xx and within the document, in-process and from
outside (schemathesis's command against gunicorn), where only requests whose acceptance
depends on the server's state fail."""

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
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
from devtools.embedded import free_port
from devtools.processes import terminate
from devtools.production import start_gunicorn, wait_until_answers
from tests.helpers import BASE_DIR
from users.views import EmailVerificationView, FormOrJsonView, UserInfoView

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
    # The pages that also answer JSON (Accept: application/json) are part of the API.
    json_views = (ApiView, FormOrJsonView, UserInfoView, EmailVerificationView)
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


# --- From outside: schemathesis's own command against gunicorn, started the production way.

# What fails there because acceptance depends on the server's state, not on the request:
# (operation, failure code). ST202 is positive_data_acceptance ("Schema-valid request
# rejected", `st explain ST202`): a well-formed request that is refused. The same list,
# with the reasons, is in the README ("Fuzzing the API from outside").
STATE_DEPENDENT_FAILURES = {
    # a captcha drawn for image_code_id in the last 300 s, unused, reading image_code
    # (and for login / reset_password a mobile with an account, for change_mobile one free)
    ("GET /sms_codes/{mobile}/", "ST202"),
    # the SMS code last sent to the mobile; a free username and mobile
    ("POST /register/", "ST202"),
    # an account with that username or mobile, and its password
    ("POST /login/", "ST202"),
    # the login code last sent to the mobile, which an account has
    ("POST /login/sms/", "ST202"),
    # the reset_password code last sent to the mobile, which an account has
    ("POST /password/reset/", "ST202"),
    # the logged-in account's own password (the fuzzer is logged in, not told it)
    ("POST /password/", "ST202"),
    # the account's password, a free mobile and the change_mobile code sent to it
    ("POST /mobile/", "ST202"),
    # the account's password
    ("POST /account/delete/", "ST202"),
    # a token the server signed for the account's current address (B's e-mail link)
    ("GET /emails/verification/", "ST202"),
    # Not state but the run's own CSRF pair: its "csrftoken cookie missing" cases still
    # carry the cookie in the -H Cookie header (which also holds the login), so the one
    # endpoint a logged-in request can pass without any secret is accepted. The 403
    # without the pair is checked above and in tests/users.
    ("POST /emails/", "ST201"),
    ("PUT /emails/", "ST201"),
}
# Room for the fuzzer: at the default per-IP limits most answers would be 429s, leaving
# the logic behind them untested. Everything else is as in production.
ROOMY_LIMITS = {
    "RATE_LIMIT_COUNT": "100000/1m/ip",
    "RATE_LIMIT_IMAGE_CODE": "100000/1m/ip",
    "RATE_LIMIT_LOGIN_FAILED": "100000/1m/ip",
    # logged in, the fuzzer binds addresses: at the default most would be 429s
    "RATE_LIMIT_SEND_EMAIL": "100000/1m/ip",
}


# The fuzzer is logged in as this account, so that the endpoints that need a login are
# tested past their 401; it is never told the password (nothing it sends can match).
FUZZ_ACCOUNT = {"username": "fuzzer_01", "mobile": "13700000001", "password": uuid.uuid4().hex}


@pytest.fixture(scope="module")
def live_site(tmp_path_factory) -> Iterator[str]:
    """migrate, collectstatic and gunicorn with DJANGO_DEBUG=0, on this run's Redis;
    the fuzzer's account."""
    workdir = tmp_path_factory.mktemp("fuzz-site")
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": uuid.uuid4().hex * 2,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_COOKIES": "0",  # plain HTTP on loopback
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "DJANGO_STATIC_ROOT": str(workdir / "static"),
        **ROOMY_LIMITS,
    }
    create_account = (
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_user(**{FUZZ_ACCOUNT!r})"
    )
    for command in (
        ["migrate", "--noinput"],
        ["collectstatic", "--noinput"],
        ["shell", "-c", create_account],
    ):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=BASE_DIR,
            env=env,
            check=True,
            capture_output=True,
        )
    port = free_port()
    log = (workdir / "gunicorn.log").open("w")
    web = start_gunicorn(env, port, log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(base + "/healthz", web, workdir / "gunicorn.log")
    except RuntimeError:
        terminate(web)
        raise
    assert requests.get(base + "/readyz", timeout=5).status_code == 200
    yield base
    terminate(web, timeout=15)
    log.close()


@pytest.mark.slow
@pytest.mark.fuzz
def test_schemathesis_from_outside_fails_only_where_acceptance_depends_on_state(
    live_site, tmp_path
):
    # A POST needs the CSRF pair, as the document says (security scheme csrf): the run
    # sends a real one from GET /csrf_token/. So its "missing token" cases still carry
    # it, and the refusal without it is checked here instead.
    refused = requests.post(live_site + "/login/", json={}, timeout=5)
    assert refused.status_code == 403 and refused.json()["code"] == 4103
    # Logged in (login rotates the CSRF token: the pair is taken afterwards).
    browser = requests.Session()
    first = browser.get(live_site + "/csrf_token/", timeout=5).json()["csrf_token"]
    logged_in = browser.post(
        live_site + "/login/",
        json={"username": FUZZ_ACCOUNT["username"], "password": FUZZ_ACCOUNT["password"]},
        headers={"X-CSRFToken": first},
        timeout=5,
    )
    assert logged_in.status_code == 200, logged_in.text
    token = browser.cookies["csrftoken"]
    session = browser.cookies["sessionid"]

    report = tmp_path / "schemathesis.json"
    seed = [] if os.environ.get("FUZZ_RANDOM") == "1" else ["--seed", "1"]
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{live_site}/api/schema/",
        "--checks",
        "all",
        "--max-examples",
        os.environ.get("FUZZ_EXAMPLES", "50"),
        *seed,
        "--generation-database",
        "none",
        "--request-timeout",
        "10",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        "-H",
        f"X-CSRFToken: {token}",
        "-H",
        f"Cookie: csrftoken={token}; sessionid={session}",
    ]
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=400)
    output = run.stdout[-6000:] + run.stderr[-2000:]
    assert report.exists(), output
    result = json.loads(report.read_text(encoding="utf-8"))

    methods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
    operations = sum(len(methods & set(item)) for item in DOCUMENT["paths"].values())
    assert result["complete"] and result["operations"]["tested"] == operations, output
    assert result["errors"] == [], output
    # No operation answered only 401/403 (the CSRF pair was taken) or mostly 429 (the limits).
    assert {kind: found for kind, found in result["warnings"].items() if found} == {}, output
    failed = {(operation, f["code"]) for f in result["failures"] for operation in f["operations"]}
    # Equal, not just included: if one of these were ever accepted, a request that needs
    # a captcha, an SMS code or an account would have passed without one.
    assert failed == STATE_DEPENDENT_FAILURES, output
    assert run.returncode == 1, output  # failures found, and nothing else went wrong
    # The run stayed logged in: nothing it sent deleted the account or changed its password.
    info = browser.get(live_site + "/info/", headers={"Accept": "application/json"}, timeout=5)
    assert info.status_code == 200 and info.json()["username"] == FUZZ_ACCOUNT["username"]
