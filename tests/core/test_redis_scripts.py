"""Scripts run over each thread's own connection: they survive a server that forgot them
or dropped the connection, and two threads never share one."""

import threading
import uuid

import pytest

from core.redis_scripts import run_script, verify_code_redis

# Counts in a key of the test's own, and says which connection ran it.
COUNT = "return {redis.call('INCR', KEYS[1]), ARGV[1]}"


@pytest.fixture
def key():
    name = f"test:script:{uuid.uuid4().hex}"
    yield name
    verify_code_redis().delete(name)


def test_a_script_the_server_forgot_is_loaded_again(key):
    assert run_script(COUNT, [key], ["a"]) == [1, "a"]
    verify_code_redis().script_flush()
    assert run_script(COUNT, [key], ["b"]) == [2, "b"]


def test_a_connection_the_server_dropped_is_opened_again(key):
    assert run_script(COUNT, [key], ["a"]) == [1, "a"]
    redis = verify_code_redis()
    # Every normal connection but the one asking: the script's own goes too.
    redis.client_kill_filter(_type="normal", skipme=True)
    assert run_script(COUNT, [key], ["b"]) == [2, "b"]
    assert int(redis.get(key)) == 2  # ran once each time, not twice


def test_each_thread_runs_scripts_over_a_connection_of_its_own(key):
    redis = verify_code_redis()
    run_script(COUNT, [key], ["warm"])
    before = {client["id"] for client in redis.client_list()}
    ran, done = threading.Barrier(4), threading.Event()
    results = []

    def work(name: str) -> None:
        results.append(run_script(COUNT, [key], [name]))
        ran.wait()
        done.wait()  # alive, and its connection open, while the clients are listed

    threads = [threading.Thread(target=work, args=(n,)) for n in ("t1", "t2", "t3")]
    for thread in threads:
        thread.start()
    ran.wait()
    new = {c["id"] for c in redis.client_list() if c["cmd"] in ("evalsha", "eval")} - before
    done.set()
    for thread in threads:
        thread.join()
    assert sorted(r[1] for r in results) == ["t1", "t2", "t3"]
    assert len(new) == 3  # one each, none borrowed from another thread or the pool
