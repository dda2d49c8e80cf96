"""gunicorn's workers and threads, measured: `./bench/run gunicorn`.

Starts gunicorn the production way (DEBUG off, collectstatic, the repository's
gunicorn.conf.py) once per shape (`-w N`, and `--threads T` for gthread), loads it with wrk
(bench/wrk/, the site bench's scripts) on three cases that differ in what a request waits
on: `healthz` (nothing), `count` (Redis for the limit, then the database) and
`image_codes` (a captcha: CPU), and prints req/s and p99 per case. The per-IP limits are
off (one machine plays every shopper). gunicorn.conf.py's default comes from this table.

The shapes run in turn, BENCH_ROUNDS times (A B C A B C ...), and each cell is the median
of its rounds: on a shared machine the load drifts, and taking turns spreads the drift.

Environment: BENCH_SECONDS (8 per case), BENCH_ROUNDS (3), BENCH_SHAPES (e.g.
"2x1,4x1,2x4": workers x threads; the default list below).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from devtools.embedded import free_port
from devtools.processes import popen, terminate
from devtools.production import gunicorn_command, wait_until_answers

BASE_DIR = Path(__file__).resolve().parent.parent
LUA_DIR = BASE_DIR / "bench" / "wrk"
SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SHAPES = os.environ.get("BENCH_SHAPES", "1x1,2x1,3x1,4x1,5x1,2x2,2x4,4x2")
CASES = {
    "healthz": ("get.lua", {"BENCH_PATH": "/healthz"}),
    "count": ("count.lua", {"BENCH_USERS": "1000"}),
    "image_codes": ("image_codes.lua", {}),
}
CONNECTIONS = 16  # as bench/site.py


def site_env(workdir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": uuid.uuid4().hex * 2,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_COOKIES": "0",
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "DJANGO_STATIC_ROOT": str(workdir / "static"),
        "RATE_LIMIT_COUNT": "",
        "RATE_LIMIT_IMAGE_CODE": "",
    }


def wrk(base: str, script: str, extra: dict[str, str]) -> tuple[float, float, int]:
    """req/s, p99 ms and errors, from common.lua's BENCH line."""
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--timeout", "10s"]
    command += ["-s", str(LUA_DIR / script), base]
    env = {**os.environ, "BENCH_LUA_DIR": str(LUA_DIR), **extra}
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith("BENCH "):
            values = {k: int(v) for k, v in (item.split("=") for item in line.split()[1:])}
            rps = values["requests"] / (values["duration_us"] / 1e6)
            return rps, values["p99_us"] / 1000, values["errors"] + values["socket_errors"]
    raise RuntimeError("wrk said:\n" + out)


def measure(env: dict[str, str], workers: int, threads: int) -> dict[str, tuple]:
    port = free_port()
    options = ("--threads", str(threads), "--access-logfile", "/dev/null")
    command = gunicorn_command(port, *options, workers=workers)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    server = popen(command, own_group=True, cwd=BASE_DIR, env=env, **quiet)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_answers(base + "/healthz", server)
        return {case: wrk(base, script, extra) for case, (script, extra) in CASES.items()}
    finally:
        terminate(server)


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="meiduo-gunicorn-bench-"))
    try:
        env = site_env(workdir)
        for args in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
            manage = [sys.executable, "manage.py", *args]
            subprocess.run(manage, cwd=BASE_DIR, env=env, check=True, capture_output=True)
        print(
            f"gunicorn shapes on {os.cpu_count()} cores, wrk -t2 -c{CONNECTIONS} -d{SECONDS}s,"
            f" median of {ROUNDS} rounds taken in turn"
        )
        shapes = [tuple(int(n) for n in shape.split("x")) for shape in SHAPES.split(",")]
        runs: dict[tuple[int, int], list[dict[str, tuple]]] = {shape: [] for shape in shapes}
        for round_ in range(ROUNDS):
            for workers, threads in shapes:
                runs[workers, threads].append(measure(env, workers, threads))
            print(f"round {round_ + 1} of {ROUNDS} done", file=sys.stderr, flush=True)
        print(f"{'shape':<18}" + "".join(f"{case + ' req/s (p99 ms)':>28}" for case in CASES))
        for (workers, threads), results in runs.items():
            label = f"-w {workers}" + (f" --threads {threads}" if threads > 1 else "")
            cells = ""
            for case in CASES:
                rps = statistics.median(result[case][0] for result in results)
                p99 = statistics.median(result[case][1] for result in results)
                errors = sum(result[case][2] for result in results)
                cell = f"{rps:,.0f} ({p99:.0f})" + (f" err {errors}" if errors else "")
                cells += f"{cell:>28}"
            print(f"{label:<18}{cells}", flush=True)
        return 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
