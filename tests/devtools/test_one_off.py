"""One-off commands: `manage.py` without a Redis says what to do in one line, and
`./run manage.py COMMAND` runs the command with a private Redis instead of the site."""

import subprocess
import sys

from tests.helpers import BASE_DIR


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


def test_manage_py_without_redis_url_says_so_in_one_line(own_env):
    for command in (["check"], ["createsuperuser", "--noinput"], ["shell", "-c", "1"]):
        result = manage("manage.py", *command, env=own_env)

        assert result.returncode == 2, result
        assert "Traceback" not in result.stderr
        [line] = result.stderr.splitlines()
        assert line.startswith("error: REDIS_URL is not set")
        assert "./run manage.py COMMAND" in line


def test_run_with_a_command_runs_it_with_a_private_redis(own_env):
    result = manage("-m", "devtools.devstack", "manage.py", "check", env=own_env)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_run_passes_the_command_s_arguments_and_exit_status(own_env):
    shows_redis = "from django.conf import settings; print(settings.REDIS_URL)"
    shown = manage("-m", "devtools.devstack", "manage.py", "shell", "-c", shows_redis, env=own_env)
    failed = manage("-m", "devtools.devstack", "manage.py", "no_such_command", env=own_env)
    missing = manage("-m", "devtools.devstack", "no-such-program", env=own_env)

    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[-1].startswith("redis://127.0.0.1:")
    assert failed.returncode == 1
    assert "Unknown command: 'no_such_command'" in failed.stderr
    assert missing.returncode == 127
    assert missing.stderr.startswith("error: cannot run no-such-program")
