"""Scripts run over each thread's own connection: they survive a server that forgot them
or dropped the connection, and two threads never share one."""

import threading
import uuid

import pytest

from core import redis_scripts
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
    ran, done = threading.Barrier(4), threading.Event()
    ids, ran_as = {}, {}

    def work(name: str) -> None:
        ran_as[name] = run_script(COUNT, [key], [name])[1]
        # The server's id of the connection this thread's script just went over.
        connection = redis_scripts._connections.get(redis)
        connection.send_command("CLIENT", "ID")
        ids[name] = connection.read_response()
        ran.wait(timeout=10)
        done.wait(timeout=10)  # alive, its connection open, until every thread has asked

    threads = [threading.Thread(target=work, args=(n,)) for n in ("t1", "t2", "t3")]
    for thread in threads:
        thread.start()
    ran.wait(timeout=10)
    done.set()
    for thread in threads:
        thread.join()
    assert ran_as == {"t1": "t1", "t2": "t2", "t3": "t3"}
    assert len(set(ids.values())) == 3  # one each, none shared
    main_thread = redis_scripts._connections.get(redis)
    main_thread.send_command("CLIENT", "ID")
    assert main_thread.read_response() not in ids.values()
