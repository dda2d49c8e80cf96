"""Every log line once, as ./run shows the worker's and the web server's output."""

import re
import sys
import uuid

import pytest
import requests

from celery_tasks.sms.tasks import ccp_send_sms_code
from devtools.devstack import worker_command
from tests.helpers import BASE_DIR, database_url_for_workers


@pytest.mark.django_db(transaction=True)
def test_the_worker_logs_a_task_s_warning_once(launch, own_env, settings):
    # The Redis and database of this test run: our task reaches the worker, which records it.
    env = {
        **own_env,
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "DATABASE_URL": database_url_for_workers(),
    }
    queue = f"logging-{uuid.uuid4().hex[:8]}"  # not the session worker's queue
    # As ./run starts it (prefork pool), on a queue of its own.
    command = worker_command("-c", "2", "-Q", queue, "-n", f"{queue}@%h", "--without-mingle")
    worker = launch(command, env, cwd=BASE_DIR)
    worker.wait_for(r" ready\.")

    ccp_send_sms_code.apply_async(("13800138000", "123456"), queue=queue)

    worker.wait_for(r"ccp_send_sms_code\[[-\w]+\] succeeded", timeout=20)
    assert worker.output.count("[SMS] mobile=13800138000 sms_code=123456") == 1, worker.output


def test_the_web_server_logs_a_request_once(launch, own_env, settings):
    port = own_env["PORT"]
    command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
    web = launch(command, {**own_env, "REDIS_URL": settings.REDIS_URL}, cwd=BASE_DIR)
    web.wait_for("Quit the server with")

    assert requests.get(f"http://127.0.0.1:{port}/x", timeout=10).status_code == 404

    web.wait_for(r'"GET /x HTTP/1\.1" 404')
    assert len(re.findall(r"Not Found: /x$", web.output, re.MULTILINE)) == 1, web.output
    assert web.output.count('"GET /x HTTP/1.1" 404') == 1
