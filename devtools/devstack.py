"""The whole site on one machine: Redis (embedded unless REDIS_URL is set), migrations,
the web server and a Celery worker. Ctrl-C or SIGTERM stops everything it started.

`./run` starts the site; `./run COMMAND [ARGS]` runs one command instead, e.g.
`./run manage.py createsuperuser`, with the virtualenv's programs first on PATH and a
throwaway private Redis (or REDIS_URL when set).

Environment: PORT (8000), DEVSTACK_REDIS_DIR (var/redis: where the site's Redis keeps
sessions across restarts), PROMETHEUS_MULTIPROC_DIR (var/metrics: the metrics files of the
web and the worker, emptied at each start).
"""

import os
import subprocess
import sys
from pathlib import Path

from devtools import processes
from devtools.embedded import EmbeddedRedis, run

BASE_DIR = Path(__file__).resolve().parent.parent


# The production pool (README): sends wait on the vendor, so threads (celery_tasks/config.py).
WORKER_POOL = ("-P", "threads", "-c", "16")


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


def one_off(args: list[str]) -> int:
    """`./run manage.py check`, `./run celery ...`: one command with the venv and a Redis."""
    env = dict(os.environ)
    # The venv's bin first: `./run python`, `./run celery` are the project's, not the system's.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    command = [sys.executable, *args] if args[0].endswith(".py") else args
    return run(command, env=env, announce=False)


def prepare_metrics_dir(env: dict[str, str]) -> Path:
    """The web and the worker write their metrics to one directory, which /metrics adds
    up (core/metrics.py): var/metrics unless PROMETHEUS_MULTIPROC_DIR names another.
    Emptied of the last run's files: ./run starts every process that writes there."""
    default = BASE_DIR / "var" / "metrics"
    directory = Path(env.setdefault("PROMETHEUS_MULTIPROC_DIR", str(default)))
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):  # only the library's files, whatever the path
        stale.unlink(missing_ok=True)
    return directory


def start_site(signals: processes.StopSignals) -> int:
    env = dict(os.environ)
    embedded = None
    children: list[subprocess.Popen] = []
    names: dict[int, str] = {}
    python = sys.executable
    address = f"127.0.0.1:{env.get('PORT', '8000')}"

    def start(name: str, command: list[str]) -> subprocess.Popen:
        # Own process groups: Ctrl-C reaches only us, and we stop each child once.
        child = processes.popen(command, own_group=True, cwd=BASE_DIR, env=env)
        children.append(child)
        names[child.pid] = name
        if name != "migrate":
            command_line = " ".join(command[1:])
            print(f"[devstack] started {name} (pid {child.pid}): {command_line}", flush=True)
        return child

    try:
        if not env.get("REDIS_URL"):
            data_dir = Path(env.get("DEVSTACK_REDIS_DIR") or BASE_DIR / "var" / "redis")
            embedded = EmbeddedRedis(data_dir=data_dir)
            env["REDIS_URL"] = embedded.start()
            print(f"[devstack] embedded Redis at {env['REDIS_URL']}", flush=True)
        prepare_metrics_dir(env)
        migrate = start("migrate", [python, "manage.py", "migrate", "--noinput"])
        exited, request = processes.wait_any([migrate], signals)
        if exited is not None:
            children.remove(migrate)
            if migrate.returncode:
                return processes.exit_status(migrate.returncode)
            start("web", [python, "manage.py", "runserver", address, "--noreload"])
            start("worker", worker_command(*WORKER_POOL))
            print(f"[devstack] open http://{address}/  (Ctrl-C stops all)", flush=True)
            exited, request = processes.wait_any(children, signals)
        if request is None:
            print(f"[devstack] {names[exited.pid]} exited; stopping the rest", flush=True)
            return 1
        print(f"\n[devstack] {request.name}: stopping (again to kill at once)", flush=True)
        return 0
    finally:
        processes.stop(children, signals)
        if embedded:
            embedded.stop()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    if args:
        return one_off(args)
    with processes.StopSignals() as signals:
        return start_site(signals)


if __name__ == "__main__":
    sys.exit(main())
