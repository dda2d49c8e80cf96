"""Scenario 5 of the fault suite: 20 concurrent registrations of one username (20 mobiles),
and of one mobile (20 usernames). Exactly one account each time; the other 19 get a clear
400 naming the field, never a 500.

The registrations go over HTTP to gunicorn (2 processes × 20 threads), released together by
a barrier, so they are real concurrent transactions on the tests' database (SQLite in a
file, as `./run` uses it, PostgreSQL or MariaDB). The race is wide: each request
checks that the name and mobile are free, then spends a few hundred ms hashing the password
before it inserts, so most of the 20 pass the check and meet the unique index instead.

A loser's SMS code is not spent: the code proves the mobile, and the refusal is about
something else (a refusal never spends a code). Who lost the username can register at once
under another name with the code already received, with no new SMS (that would cost a 60 s
wait and one of five an hour). One mobile has one code, so when the mobile is what was
raced, the winner's registration spends it, and nothing else could use it: the mobile is
taken.
"""

import os
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django.contrib.auth import get_user_model

from devtools.embedded import free_port
from devtools.processes import terminate
from devtools.production import start_gunicorn, wait_until_answers
from tests.helpers import (
    PASSWORD,
    database_url_for_workers,
    store_sms_code,
    unique_mobile,
)
from verifications import constants as vc

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.race]
User = get_user_model()

RACERS = 20
SMS_CODE = "123456"


@dataclass
class Site:
    url: str
    log: Path


def accounts(field: str, values: list[str]) -> list[tuple[str, str]]:
    """(username, mobile) of every account whose `field` is one of `values`."""
    return list(User.objects.filter(**{f"{field}__in": values}).values_list("username", "mobile"))


@pytest.fixture(scope="module")
def site(django_db_setup, tmp_path_factory) -> Iterator[Site]:
    workdir: Path = tmp_path_factory.mktemp("race")
    # The server writes to the tests' database, one connection a request.
    env = dict(os.environ, DATABASE_CONN_MAX_AGE="0", DATABASE_URL=database_url_for_workers())
    port = free_port()
    log = workdir / "gunicorn.log"
    with log.open("w") as log_file:
        web = start_gunicorn(env, port, log_file, options=("-k", "gthread", "--threads", "20"))
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(url + "/healthz", web, log)
        yield Site(url, log)
    finally:
        terminate(web, timeout=15)


def register_together(site: Site, registrations: list[dict]) -> list[requests.Response]:
    """POST each registration as the page's script does, each from its own browser
    session, all released at the same instant."""
    sessions = [requests.Session() for _ in registrations]
    tokens = [s.get(site.url + "/csrf_token/", timeout=10).json()["csrf_token"] for s in sessions]
    barrier = threading.Barrier(len(registrations))

    def register(i: int) -> requests.Response:
        barrier.wait()
        return sessions[i].post(
            site.url + "/register/",
            json=registrations[i],
            headers={"X-CSRFToken": tokens[i]},
            timeout=60,
        )

    with ThreadPoolExecutor(max_workers=len(registrations)) as pool:
        return list(pool.map(register, range(len(registrations))))


def registration(username: str, mobile: str) -> dict:
    return {
        "username": username,
        "password": PASSWORD,
        "password2": PASSWORD,
        "mobile": mobile,
        "sms_code": SMS_CODE,
        "allow": True,
    }


def answers(responses: list[requests.Response]) -> Counter:
    """(status, field, message) of each answer, counted."""
    counted: Counter = Counter()
    for response in responses:
        try:
            body = response.json()
        except ValueError:  # a 500 page, say
            body = {"message": response.text[:60]}
        counted[(response.status_code, body.get("field"), body.get("message"))] += 1
    return counted


def report(fault_report, scenario: str, counted: Counter, made: int) -> None:
    note = "; ".join(
        f"{n} × {status} {message}" for (status, _, message), n in counted.items() if status != 200
    )
    fault_report(
        scenario,
        sent=RACERS,
        delivered=min(made, 1),
        lost=1 - min(made, 1),
        duplicated=max(made - 1, 0),
        note=note,
    )


def test_20_concurrent_registrations_of_one_username_make_one_account(
    site, redis_conn, fault_report
):
    username = "race_" + uuid.uuid4().hex[:10]
    mobiles = [unique_mobile() for _ in range(RACERS)]
    for mobile in mobiles:
        store_sms_code(redis_conn, mobile, SMS_CODE)
    registrations = [registration(username, mobile) for mobile in mobiles]

    responses = register_together(site, registrations)

    counted = answers(responses)
    made = accounts("mobile", mobiles)  # every account any of the 20 made
    report(fault_report, "5a. 20 concurrent registrations, one username", counted, len(made))
    assert counted == {
        (200, None, "注册成功"): 1,
        (400, "username", "用户名已存在"): RACERS - 1,
    }, site.log.read_text()[-3000:]
    [winner] = [r for r, resp in zip(registrations, responses, strict=True) if resp.ok]
    assert made == [(username, winner["mobile"])]
    losers = [r for r in registrations if r is not winner]
    # The winner's code is spent; each loser's is still there, no try counted against it...
    assert not redis_conn.exists(vc.sms_code_key(winner["mobile"]))
    for loser in losers:
        assert redis_conn.hget(vc.sms_code_key(loser["mobile"]), "tries") == b"0"
    # ...so a loser registers under another name with the code it already has.
    retry = {**losers[0], "username": username + "_2"}
    assert [r.status_code for r in register_together(site, [retry])] == [200]
    assert accounts("mobile", [retry["mobile"]]) == [(retry["username"], retry["mobile"])]


def test_20_concurrent_registrations_of_one_mobile_make_one_account(site, redis_conn, fault_report):
    mobile = unique_mobile()
    usernames = [f"race_{uuid.uuid4().hex[:10]}" for _ in range(RACERS)]
    store_sms_code(redis_conn, mobile, SMS_CODE)
    registrations = [registration(username, mobile) for username in usernames]

    responses = register_together(site, registrations)

    counted = answers(responses)
    made = accounts("username", usernames)  # every account any of the 20 made
    report(fault_report, "5b. 20 concurrent registrations, one mobile", counted, len(made))
    assert counted == {
        (200, None, "注册成功"): 1,
        (400, "mobile", "手机号已注册"): RACERS - 1,
    }, site.log.read_text()[-3000:]
    [winner] = [r for r, resp in zip(registrations, responses, strict=True) if resp.ok]
    assert made == [(winner["username"], mobile)]
    assert accounts("mobile", [mobile]) == made
    # The mobile's one code served the winner's registration; no one else can use it.
    assert not redis_conn.exists(vc.sms_code_key(mobile))
