"""The production start of the README, run as an operator would, driven over HTTP.

migrate, collectstatic, gunicorn and `celery -A celery_tasks.main worker` with
DJANGO_DEBUG=0 and SMS_BACKEND=yuntongxun pointed at our fake vendor; then a new
shopper goes from captcha to SMS to registration, logout, and back in by username
and by mobile; then every account flow once, codes from the fake vendor and the e-mail
from a real SMTP server on 127.0.0.1. The flows' requests and answers are written to
var/account-flows.md.
"""

import json
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from devtools.embedded import free_port
from devtools.production import start_gunicorn, wait_until_answers
from tests.helpers import BASE_DIR, WorkerProcess, sms_sent_to, unique_mobile, worker_env
from tests.smtp_server import SmtpServer
from verifications import constants as vc

pytestmark = pytest.mark.slow

PASSWORD = "operator2026ok"


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def site(fake_vendor, smtp, tmp_path_factory) -> Iterator[str]:
    workdir: Path = tmp_path_factory.mktemp("operator")
    port = free_port()
    env = worker_env(fake_vendor)
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=uuid.uuid4().hex * 2,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_COOKIES="0",  # plain HTTP on loopback in this test
        DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
        DJANGO_STATIC_ROOT=str(workdir / "static"),
        EMAIL_HOST=smtp.host,
        EMAIL_PORT=str(smtp.port),
        DJANGO_SITE_URL=f"http://127.0.0.1:{port}",
        # A queue of its own: the tests' other workers (console mail) must not take its tasks.
        CELERY_QUEUE=f"operator-{uuid.uuid4().hex[:8]}",
    )
    env["SMS_OUTBOX_KEY"] = f"{env['CELERY_QUEUE']}:outbox"  # and an outbox, as a site has
    python = sys.executable
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        subprocess.run(
            [python, "manage.py", *command], cwd=BASE_DIR, env=env, check=True, capture_output=True
        )
    worker = WorkerProcess(env, queue=env["CELERY_QUEUE"])
    worker.start()
    web = start_gunicorn(env, port, subprocess.DEVNULL, subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_until_answers(base + "/healthz", web)
    yield base
    web.terminate()
    web.wait(timeout=15)
    worker.stop()


def post(http: requests.Session, url: str, data: dict) -> requests.Response:
    token = http.get(url.rsplit("/", 2)[0] + "/csrf_token/", timeout=5).json()["csrf_token"]
    return http.post(
        url,
        data={**data, "csrfmiddlewaretoken": token},
        timeout=5,
        headers={"Referer": url},
        allow_redirects=False,
    )


def whoami(http: requests.Session, site: str) -> str | None:
    info = record(http.get(site + "/info/", headers={"Accept": "application/json"}, timeout=5))
    return info.json()["username"] if info.status_code == 200 else None


def test_a_shopper_registers_logs_out_and_logs_back_in(site, fake_vendor, redis_conn):
    http = requests.Session()
    mobile = unique_mobile()
    username = "op_" + uuid.uuid4().hex[:10]

    register_page = http.get(site + "/register/", timeout=5)
    assert register_page.status_code == 200
    css = re.search(r'href="(/static/css/main\.[0-9a-f]+\.css)"', register_page.text)
    assert css, "collectstatic's hashed files are served"
    assert http.get(site + css.group(1), timeout=5).status_code == 200
    vue = re.search(
        r'"vue": "(/static/vendor/vue/vue\.esm-browser\.prod\.[0-9a-f]+\.js)"', register_page.text
    )
    assert vue, "Vue from node_modules is collected and served"
    assert "createApp" in http.get(site + vue.group(1), timeout=5).text

    image_code_id = str(uuid.uuid4())
    png = http.get(f"{site}/image_codes/{image_code_id}/", timeout=5)
    assert png.headers["Content-Type"] == "image/png"
    answer = redis_conn.get(vc.image_code_key(image_code_id)).decode()

    sms = http.get(
        f"{site}/sms_codes/{mobile}/",
        params={"image_code": answer, "image_code_id": image_code_id},
        timeout=5,
    )
    assert sms.json() == {"code": 0, "message": "发送短信成功"}
    [message] = sms_sent_to(fake_vendor, mobile)
    sms_code = message["datas"][0]

    registered = post(
        http,
        site + "/register/",
        {
            "username": username,
            "password": PASSWORD,
            "password2": PASSWORD,
            "mobile": mobile,
            "sms_code": sms_code,
            "allow": "on",
        },
    )
    assert registered.status_code == 302 and registered.headers["Location"] == "/"
    assert http.cookies["username"] == username
    assert whoami(http, site) == username

    http.get(site + "/logout/", timeout=5)
    assert "username" not in http.cookies
    assert whoami(http, site) is None

    for account in (username, mobile):
        logged_in = post(http, site + "/login/", {"username": account, "password": PASSWORD})
        assert logged_in.status_code == 302
        info = http.get(site + "/info/", headers={"Accept": "application/json"}, timeout=5)
        assert info.json() == {
            "code": 0,
            "message": "OK",
            "username": username,
            "mobile": mobile,
            "email": "",
            "email_active": False,
        }
        post(http, site + "/logout/", {})
        assert (
            http.get(site + "/info/", headers={"Accept": "application/json"}, timeout=5).status_code
            == 401
        )


def test_an_unknown_page_is_a_plain_404_without_debug_details(site):
    response = requests.get(site + "/no-such-page/", timeout=5)

    assert response.status_code == 404
    assert "Traceback" not in response.text and "urlpatterns" not in response.text


def sms_code(http: requests.Session, site: str, vendor, redis_conn, mobile: str, purpose: str):
    """A code for `purpose`, through the captcha and the worker, as the pages get one."""
    before = len([m for m in vendor.messages if m["to"] == mobile])
    image_code_id = str(uuid.uuid4())
    http.get(f"{site}/image_codes/{image_code_id}/", timeout=5)
    answer = redis_conn.get(vc.image_code_key(image_code_id)).decode()
    sent = http.get(
        f"{site}/sms_codes/{mobile}/",
        params={"image_code": answer, "image_code_id": image_code_id, "purpose": purpose},
        timeout=5,
    )
    record(sent)
    assert sent.json() == {"code": 0, "message": "发送短信成功"}, sent.text
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        messages = [m for m in vendor.messages if m["to"] == mobile]
        if len(messages) > before:
            redis_conn.delete(vc.send_flag_key(mobile))  # as if the 60 s had passed
            return messages[-1]["datas"][0]
        time.sleep(0.05)
    raise AssertionError("no SMS")


TRANSCRIPT: list[str] = []
SECRET_FIELDS = {"password", "password2", "old_password", "new_password", "new_password2"}


def record(response: requests.Response, sent: dict | None = None) -> requests.Response:
    """One line of var/account-flows.md: the request as sent (passwords hidden) and the
    answer as received."""
    request = response.request
    path = request.path_url.split("?token=")[0] + ("?token=…" if "?token=" in request.url else "")
    shown = {k: ("…" if k in SECRET_FIELDS else v) for k, v in (sent or {}).items()}
    body = f" {json.dumps(shown, ensure_ascii=False)}" if sent is not None else ""
    answer = response.text if "json" in response.headers.get("Content-Type", "") else "(page)"
    TRANSCRIPT.append(f"{request.method} {path}{body}\n  → {response.status_code} {answer}")
    return response


def post_json(
    http: requests.Session, site: str, path: str, data: dict, method: str = "POST"
) -> requests.Response:
    token = http.get(site + "/csrf_token/", timeout=5).json()["csrf_token"]
    response = http.request(
        method, site + path, json=data, headers={"X-CSRFToken": token}, timeout=10
    )
    return record(response, data)


def test_the_account_flows_over_http(site, fake_vendor, smtp, redis_conn):
    """Login by code, 找回密码 (the other session dies), change password, change mobile,
    bind and verify an e-mail, delete; each once, over HTTP against gunicorn and the
    worker."""
    TRANSCRIPT.clear()
    http, other = requests.Session(), requests.Session()
    mobile, username = unique_mobile(), "acct_" + uuid.uuid4().hex[:10]
    code = sms_code(http, site, fake_vendor, redis_conn, mobile, "register")
    registration = {"username": username, "password": PASSWORD, "password2": PASSWORD}
    registration |= {"mobile": mobile, "sms_code": code, "allow": True}
    assert post_json(http, site, "/register/", registration).json()["code"] == 0
    http.get(site + "/logout/", timeout=5)

    code = sms_code(http, site, fake_vendor, redis_conn, mobile, "login")
    answer = post_json(http, site, "/login/sms/", {"mobile": mobile, "sms_code": code})
    assert answer.json() == {"code": 0, "message": "登录成功"}
    assert whoami(http, site) == username
    assert http.get(site + "/password/reset/", timeout=5).status_code == 200

    code = sms_code(other, site, fake_vendor, redis_conn, mobile, "reset_password")
    reset = {
        "mobile": mobile,
        "sms_code": code,
        "password": "reset-2026-ok",
        "password2": "reset-2026-ok",
    }
    answer = post_json(other, site, "/password/reset/", reset)
    assert answer.json() == {"code": 0, "message": "密码已重置，请重新登录"}
    assert whoami(http, site) is None  # the first session ended with the reset

    login = {"username": username, "password": "reset-2026-ok"}
    assert post_json(http, site, "/login/", login).json()["code"] == 0
    change = {"old_password": "reset-2026-ok", "new_password": "change-2026-ok"}
    change["new_password2"] = change["new_password"]
    assert post_json(http, site, "/password/", change).json()["code"] == 0
    assert whoami(http, site) == username  # this session stays

    new_mobile = unique_mobile()
    code = sms_code(http, site, fake_vendor, redis_conn, new_mobile, "change_mobile")
    move = {"password": "change-2026-ok", "mobile": new_mobile, "sms_code": code}
    answer = post_json(http, site, "/mobile/", move)
    assert answer.json() == {"code": 0, "message": "手机号已更换", "mobile": new_mobile}

    address = f"{username}@example.com"
    answer = post_json(http, site, "/emails/", {"email": address}, method="PUT")
    assert answer.json()["code"] == 0
    link = re.search(
        r"http://\S+/emails/verification/\?token=\S+",
        smtp.mails_to(address)[0].get_body(("plain",)).get_content(),
    ).group(0)
    assert link.startswith(site)  # DJANGO_SITE_URL, not the request's Host
    verified = record(requests.get(link, headers={"Accept": "application/json"}, timeout=5))
    assert verified.json()["code"] == 0
    info = record(http.get(site + "/info/", headers={"Accept": "application/json"}, timeout=5))
    assert info.json()["email_active"] is True

    answer = post_json(http, site, "/account/delete/", {"password": "change-2026-ok"})
    assert answer.json() == {"code": 0, "message": "账号已注销"}
    assert whoami(http, site) is None
    for account in (username, new_mobile):
        login = {"username": account, "password": "change-2026-ok"}
        assert post_json(http, site, "/login/", login).status_code == 400
    image_code_id = str(uuid.uuid4())
    http.get(f"{site}/image_codes/{image_code_id}/", timeout=5)
    answer = redis_conn.get(vc.image_code_key(image_code_id)).decode()
    by_code = {"image_code": answer, "image_code_id": image_code_id, "purpose": "login"}
    refused = record(http.get(f"{site}/sms_codes/{new_mobile}/", params=by_code, timeout=5))
    assert refused.status_code == 400  # no login code for a deleted account, and no SMS
    count = record(http.get(f"{site}/mobiles/{new_mobile}/count/", timeout=5)).json()
    assert count["count"] == 0  # the number is free again

    # The operator's counters (core/metrics.py), the worker's included: web and worker
    # share PROMETHEUS_MULTIPROC_DIR, as on one host.
    metrics = http.get(site + "/metrics", timeout=5)
    shown = [
        line
        for line in metrics.text.splitlines()
        if line.startswith(("meiduo_sms_total{", "meiduo_login_failures_total{"))
        or line.startswith("meiduo_http_requests_total{")
        and "users:register" in line
    ]
    TRANSCRIPT.append(
        "GET /metrics (the meiduo_ lines of this run)\n  → 200\n    " + "\n    ".join(shown)
    )
    sent = [line for line in shown if 'event="sent"' in line and 'purpose="register"' in line]
    assert sent and float(sent[0].split()[-1]) >= 1, shown
    assert any("users:register" in line and 'status="200"' in line for line in shown), shown
    (BASE_DIR / "var").mkdir(exist_ok=True)
    (BASE_DIR / "var" / "account-flows.md").write_text("\n".join(TRANSCRIPT) + "\n")
