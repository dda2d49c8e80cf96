"""The production start of the README, run as an operator would, driven over HTTP.

migrate, collectstatic, gunicorn and `celery -A celery_tasks.main worker` with
DJANGO_DEBUG=0 and SMS_BACKEND=yuntongxun pointed at our fake vendor; then a new
shopper goes from captcha to SMS to registration, logout, and back in by username
and by mobile.
"""

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
from tests.helpers import BASE_DIR, WorkerProcess, sms_sent_to, unique_mobile, worker_env
from verifications import constants as vc

pytestmark = pytest.mark.slow

PASSWORD = "operator2026ok"


@pytest.fixture(scope="module")
def site(fake_vendor, tmp_path_factory) -> Iterator[str]:
    workdir: Path = tmp_path_factory.mktemp("operator")
    env = worker_env(fake_vendor)
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=uuid.uuid4().hex * 2,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_COOKIES="0",  # plain HTTP on loopback in this test
        DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
        DJANGO_STATIC_ROOT=str(workdir / "static"),
    )
    python = sys.executable
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        subprocess.run(
            [python, "manage.py", *command], cwd=BASE_DIR, env=env, check=True, capture_output=True
        )
    worker = WorkerProcess(env)
    worker.start()
    port = free_port()
    web = subprocess.Popen(
        [
            python,
            "-m",
            "gunicorn",
            "meiduo_mall.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(base + "/csrf_token/", timeout=5)
            break
        except (requests.ConnectionError, requests.Timeout):  # not listening, or booting
            if web.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start") from None
            time.sleep(0.1)
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
    info = http.get(site + "/info/", headers={"Accept": "application/json"}, timeout=5)
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
        assert info.json() == {"code": 0, "message": "OK", "username": username, "mobile": mobile}
        post(http, site + "/logout/", {})
        assert (
            http.get(site + "/info/", headers={"Accept": "application/json"}, timeout=5).status_code
            == 401
        )


def test_an_unknown_page_is_a_plain_404_without_debug_details(site):
    response = requests.get(site + "/no-such-page/", timeout=5)

    assert response.status_code == 404
    assert "Traceback" not in response.text and "urlpatterns" not in response.text
