"""The web started the way production starts it (gunicorn reading gunicorn.conf.py from the
repository root), for the bench and the tests that need a real server."""

import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import IO

BASE_DIR = Path(__file__).resolve().parent.parent


def gunicorn_command(port: int, *options: str, workers: int = 2) -> list[str]:
    """`gunicorn meiduo_mall.wsgi:application` on 127.0.0.1:`port` with `workers` processes
    (2: the 2-core machines' count), and `options` after (they win over gunicorn.conf.py's)."""
    return [
        sys.executable,
        *("-m", "gunicorn", "meiduo_mall.wsgi:application"),
        *("-b", f"127.0.0.1:{port}", "-w", str(workers)),
        *options,
    ]


def start_gunicorn(
    env: dict[str, str],
    port: int,
    stdout: IO | int | None,
    stderr: IO | int | None = subprocess.STDOUT,
    options: Sequence[str] = (),
) -> subprocess.Popen:
    return subprocess.Popen(
        gunicorn_command(port, *options),
        cwd=BASE_DIR,  # where gunicorn finds gunicorn.conf.py
        env=env,
        stdout=stdout,
        stderr=stderr,
    )


def wait_until_answers(
    url: str, process: subprocess.Popen, log: Path | None = None, timeout: float = 30
) -> None:
    """Until `url` answers (any HTTP status: the server is up). RuntimeError, with the log
    when there is one, if `process` exits first or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 (our loopback URL)
                return
        except urllib.error.HTTPError:
            return  # an answer, if not a 200
        except OSError:
            pass  # not listening yet, or booting
        if process.poll() is not None or time.monotonic() > deadline:
            said = f":\n{log.read_text()}" if log is not None and log.exists() else ""
            raise RuntimeError(f"{url} did not answer{said}")
        time.sleep(0.1)
