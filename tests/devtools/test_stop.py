"""Ctrl-C, SIGINT and SIGTERM (kill, timeout, systemd, an IDE's stop button) stop all that
./run and ./test started: the web server, the worker, the private Redis."""

import signal
import sys
import textwrap

import pytest

from tests.devtools.processes import (
    accepts_connections,
    descendants,
    running,
    wait_for_child,
    wait_until_accepts,
)
from tests.helpers import BASE_DIR

SITE_STOPS_WITHIN = 30  # seconds; the worker's warm shutdown takes a few
REDIS_LINE = r"embedded Redis at redis://127\.0\.0\.1:(\d+)/0"


@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT", "Ctrl-C in a terminal"])
def test_the_site_stops_with_everything_it_started(launch, own_env, how):
    site = launch(
        [sys.executable, "-m", "devtools.devstack"],
        env=own_env,
        cwd=BASE_DIR,
        tty=how.startswith("Ctrl-C"),
    )
    redis_port = int(site.wait_for(r"\[devstack\] " + REDIS_LINE).group(1))
    web_port = int(own_env["PORT"])
    wait_until_accepts(web_port, site)
    site.wait_for(r"celery@\S+ ready\.")
    started = descendants(site.pid)
    assert len(started) >= 3, "Redis, web and the worker (one process: -P threads)"

    if how == "SIGTERM":
        site.process.send_signal(signal.SIGTERM)
    elif how == "SIGINT":
        site.process.send_signal(signal.SIGINT)
    else:
        site.ctrl_c()

    assert site.wait(SITE_STOPS_WITHIN) == 0
    assert not accepts_connections(web_port)
    assert not accepts_connections(redis_port)
    assert [pid for pid in started if running(pid)] == []
    assert site.output.count("Warm shutdown") == 1, "the worker was asked once"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_test_command_passes_a_signal_on_and_stops_its_redis(launch, own_env, signum):
    wrapped = launch([sys.executable, "-m", "devtools.embedded", "--", "sleep", "60"], own_env)
    redis_port = int(wrapped.wait_for(REDIS_LINE).group(1))
    sleep = wait_for_child(wrapped, "sleep")
    started = descendants(wrapped.pid)

    wrapped.process.send_signal(signum)

    # The status a shell reports for a command killed by that signal.
    assert wrapped.wait(10) == 128 + signum
    assert not running(sleep)
    assert not accepts_connections(redis_port)
    assert [pid for pid in started if running(pid)] == []


def test_ctrl_c_reaches_the_tests_once_and_redis_outlives_them(launch, own_env):
    # pytest, hit by Ctrl-C twice, would abandon its clean-up (and the Redis it uses).
    counts_ctrl_c = textwrap.dedent(
        """
        import os, signal, sys, time
        import redis
        received = []
        signal.signal(signal.SIGINT, lambda *_: received.append(1))
        print("ready", flush=True)
        while not received:
            time.sleep(0.01)
        time.sleep(0.5)  # a second SIGINT would arrive meanwhile
        redis.Redis.from_url(os.environ["REDIS_URL"]).ping()  # still there for clean-up
        sys.exit(len(received))
        """
    )
    wrapped = launch(
        [sys.executable, "-m", "devtools.embedded", "--", sys.executable, "-c", counts_ctrl_c],
        own_env,
        cwd=BASE_DIR,
        tty=True,
    )
    redis_port = int(wrapped.wait_for(REDIS_LINE).group(1))
    wrapped.wait_for(r"\bready\b")

    wrapped.ctrl_c()

    assert wrapped.wait(10) == 1, wrapped.output
    assert not accepts_connections(redis_port)
