"""Shared fixtures: the real Redis, a real Celery worker, the fake SMS vendor."""

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import Client
from django_redis import get_redis_connection

from core import ratelimit
from tests.fake_yuntongxun import FakeYuntongxun
from tests.helpers import VENDOR, WorkerProcess, worker_env
from verifications import constants as vc

# Every key the site writes, from the code's own key functions; the broker's keys
# (on the same server) are left alone.
OUR_KEYS = (
    vc.image_code_key("*"),
    vc.sms_code_key("*"),
    vc.send_flag_key("*"),
    ratelimit.key_pattern(),
    *(f"{settings.CACHES[alias]['KEY_PREFIX']}:*" for alias in ("default", "session")),
)


# The same on every database and broker: they start their own SQLite and Redis, or need
# neither (deploy files, translations, the captcha's OCR). CI runs them on its first leg.
STANDALONE = (
    "tests/devtools/",
    "tests/test_deploy.py",
    "tests/test_redis_roles.py",
    "tests/test_i18n.py",
    "tests/verifications/test_captcha.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The browser tests are e2e and slow; the dev tools' tests start whole process trees;
    # the fault suite kills workers and waits out outages.
    for item in items:
        if item.nodeid.startswith(STANDALONE):
            item.add_marker(pytest.mark.standalone)
        if "tests/e2e/" in item.nodeid:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.slow)
        if "tests/devtools/" in item.nodeid:
            item.add_marker(pytest.mark.slow)
        # A worker records each SMS in the test database: the database must exist, and
        # the test must not sit in a transaction the worker would wait on (SQLite).
        uses_worker = {"celery_worker", "worker"} & set(getattr(item, "fixturenames", ()))
        if uses_worker and not item.get_closest_marker("django_db"):
            item.add_marker(pytest.mark.django_db(transaction=True))
        if "tests/faults/" in item.nodeid:
            item.add_marker(pytest.mark.faults)
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def redis_conn():
    return get_redis_connection("verify_code")


@pytest.fixture(autouse=True)
def _clean_redis(redis_conn) -> Iterator[None]:
    """Each test starts without our keys (on the rate limits' Redis too, when it is
    another: REDIS_RATELIMIT_URL)."""
    clients = [redis_conn]
    if settings.CACHES["ratelimit"]["LOCATION"] != settings.CACHES["verify_code"]["LOCATION"]:
        clients.append(get_redis_connection("ratelimit"))
    for client in clients:
        for pattern in OUR_KEYS:
            for key in client.scan_iter(match=pattern, count=500):
                client.delete(key)
    yield


@pytest.fixture
def client() -> Client:
    # CSRF is enforced as in production; tests send the token like the pages do.
    return Client(enforce_csrf_checks=True)


@pytest.fixture(scope="session")
def fake_vendor() -> Iterator[FakeYuntongxun]:
    with FakeYuntongxun(**VENDOR) as vendor:
        yield vendor


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """SQLite's test database in a file, not in memory: the worker writes to it too."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(path)


@pytest.fixture(scope="session")
def celery_worker(fake_vendor: FakeYuntongxun, django_db_setup) -> Iterator[WorkerProcess]:
    # After django_db_setup: the worker records its sends in the test database.
    # JSON lines, as in production: tests/core/test_request_logs.py follows a request id.
    worker = WorkerProcess({**worker_env(fake_vendor), "LOG_FORMAT": "json"})
    worker.start()
    yield worker
    worker.stop()
