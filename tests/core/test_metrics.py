"""/metrics: the counters of a registration (the web's and the worker's, added up from
PROMETHEUS_MULTIPROC_DIR: tests/metrics_dir.py), who may read them, and gunicorn's
workers counted together."""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from devtools.embedded import free_port
from devtools.production import start_gunicorn, wait_until_answers
from tests.helpers import BASE_DIR, PASSWORD, csrf_token, image_code_for, sms_sent_to, unique_mobile


def scrape(client, **headers) -> str:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def value(text: str, name: str, **labels: str) -> float:
    """The sample `name` with these labels (0 when absent: not counted yet)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


def wait_for_value(client, name: str, at_least: float, **labels: str) -> float:
    """The worker counts a send just after the vendor answered: look until it shows."""
    deadline = time.monotonic() + 10
    while True:
        found = value(scrape(client), name, **labels)
        if found >= at_least or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_metrics_show_the_counters_of_a_registration(
    client, redis_conn, fake_vendor, celery_worker
):
    before = scrape(client)
    mobile = unique_mobile()
    image_code_id, answer = image_code_for(client, redis_conn)
    sms = client.get(
        f"/sms_codes/{mobile}/",
        {"image_code": answer, "image_code_id": image_code_id},
        HTTP_ACCEPT="application/json",
    )
    assert sms.status_code == 200
    [message] = sms_sent_to(fake_vendor, mobile)
    registered = client.post(
        "/register/",
        json.dumps(
            {
                "username": "metrics_" + mobile[-6:],
                "password": PASSWORD,
                "password2": PASSWORD,
                "mobile": mobile,
                "sms_code": message["datas"][0],
                "allow": True,
            }
        ),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf_token(client),
    )
    assert registered.status_code == 200, registered.content

    sent = "meiduo_sms_total"
    register = {"event": "sent", "purpose": "register"}
    assert wait_for_value(client, sent, value(before, sent, **register) + 1, **register)
    after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("meiduo_captchas_issued_total") == 1
    assert grew("meiduo_sms_total", event="queued", purpose="register") == 1
    assert grew("meiduo_sms_total", event="sent", purpose="register") == 1  # the worker's
    requests_total = "meiduo_http_requests_total"
    assert grew(requests_total, view="verifications:sms_code", method="GET", status="200") == 1
    assert grew(requests_total, view="users:register", method="POST", status="200") == 1
    latency = "meiduo_http_request_duration_seconds_count"
    assert grew(latency, view="users:register", method="POST") == 1
    assert mobile not in after and mobile[-4:] + "/" not in after  # views, never paths


def test_login_failures_and_rate_limit_refusals_are_counted(client, settings, db):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "count": "1/1m/ip"}
    before = scrape(client)
    for _ in range(2):
        client.get("/usernames/someone_01/count/", HTTP_ACCEPT="application/json")
    token = csrf_token(client)
    client.post(
        "/login/", {"username": "nobody_01", "password": "wrong-pass-1"}, HTTP_X_CSRFTOKEN=token
    )
    after = scrape(client)

    refused = "meiduo_rate_limit_refusals_total"
    assert value(after, refused, rule="count") - value(before, refused, rule="count") == 1
    failures = "meiduo_login_failures_total"
    assert value(after, failures, via="password") - value(before, failures, via="password") == 1


def test_metrics_are_not_for_other_addresses(client):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 404
    assert b"meiduo_" not in response.content


def test_metrics_for_an_allowed_network(client, settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


def test_metrics_for_the_bearer_of_the_token(client, settings):
    settings.METRICS_TOKEN = "scrape-me-2026"
    elsewhere = {"REMOTE_ADDR": "203.0.113.9"}
    right = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me-2026", **elsewhere)
    assert right.status_code == 200 and b"meiduo_http_requests_total" in right.content
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer guess", **elsewhere).status_code == 403
    assert client.get("/metrics", **elsewhere).status_code == 404


def test_without_a_multiprocess_directory_a_process_shows_its_own_metrics(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    script = (
        "from core import metrics\nmetrics.captcha_issued()\nprint(metrics.exposition().decode())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert value(result.stdout, "meiduo_captchas_issued_total") == 1
    assert "process_cpu_seconds_total" in result.stdout  # the default registry's collectors


@pytest.mark.slow
def test_two_gunicorn_workers_are_counted_together(tmp_path: Path, settings):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999999.db").write_bytes(b"")  # a previous run's: cleared
    port = free_port()
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "REDIS_URL": settings.REDIS_URL,
        "LOG_FORMAT": "json",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        web = start_gunicorn(env, port, output)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(base + "/metrics", web, log)  # not /healthz: that one is counted
        hits = 40

        def hit(n: int) -> None:
            # A new connection each time: gunicorn's workers take turns accepting them.
            for i in range(n):
                headers = {"X-Request-ID": f"gunicorn-test-{threading.get_ident()}-{i}"}
                assert requests.get(base + "/healthz", timeout=10, headers=headers).ok

        def served_by() -> set[str]:
            pids = {p.stem.rsplit("_", 1)[1] for p in metrics_dir.glob("*.db")}
            return pids - {str(web.pid)}

        # Rounds of `hits` until both workers have answered some: with threads, one worker
        # may accept a whole round.
        total = 0
        while total < 10 * hits and len(served_by()) < 2:
            threads = [threading.Thread(target=hit, args=(hits // 4,)) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            total += hits
        hits = total

        pids = served_by()
        assert "999999999" not in pids
        assert len(pids) >= 2, pids  # both workers keep files there
        healthz = {"view": "core:healthz", "method": "GET", "status": "200"}
        # Whichever worker answers the scrape, it adds up both workers' counts.
        for _ in range(4):
            text = requests.get(base + "/metrics", timeout=10).text
            assert value(text, "meiduo_http_requests_total", **healthz) == hits
    finally:
        web.terminate()
        web.wait(timeout=30)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    answered = [line for line in lines if line.get("view") == "core:healthz"]
    assert len(answered) == hits  # one JSON line per request, gunicorn's own access log off
    assert all(line["request_id"].startswith("gunicorn-test-") for line in answered)
