"""The whole site on one machine: Redis (embedded unless REDIS_URL is set), migrations,
the web server and a Celery worker. Ctrl-C stops everything it started."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from devtools.embedded import EmbeddedRedis

BASE_DIR = Path(__file__).resolve().parent.parent


def worker_command(*options: str) -> list[str]:
    """The notes' consumer: `celery -A celery_tasks.main worker -l info`, plus options."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "celery_tasks.main",
        "worker",
        "-l",
        "info",
        *options,
    ]


def main() -> int:
    env = dict(os.environ)
    embedded = None
    if not env.get("REDIS_URL"):
        embedded = EmbeddedRedis(data_dir=BASE_DIR / "var" / "redis")
        env["REDIS_URL"] = embedded.start()
        print(f"[devstack] embedded Redis at {env['REDIS_URL']}", flush=True)
    python = sys.executable
    address = f"127.0.0.1:{env.get('PORT', '8000')}"
    children: list[subprocess.Popen[bytes]] = []
    try:
        subprocess.run(
            [python, "manage.py", "migrate", "--noinput"],
            cwd=BASE_DIR,
            env=env,
            check=True,
        )
        commands = {
            "web": [python, "manage.py", "runserver", address, "--noreload"],
            "worker": worker_command("-c", "2"),
        }
        for name, command in commands.items():
            children.append(subprocess.Popen(command, cwd=BASE_DIR, env=env))
            print(f"[devstack] started {name}: {' '.join(command[1:])}", flush=True)
        print(f"[devstack] open http://{address}/  (Ctrl-C stops all)", flush=True)
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("[devstack] a process exited; stopping the rest", flush=True)
        return 1
    except KeyboardInterrupt:
        print("\n[devstack] stopping", flush=True)
        return 0
    except subprocess.CalledProcessError as exc:
        return exc.returncode
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        if embedded:
            embedded.stop()


if __name__ == "__main__":
    sys.exit(main())
