"""The whole site under load, as in production: `./bench/run site` (or `./bench/run`).

gunicorn (`-w 2`, gunicorn.conf.py's threads, DEBUG off), one Celery worker (`-P threads
-c 16`, the production settings; BENCH_WORKERS=2 for two), the Redis of REDIS_URL
(`./bench/run` starts a private one), a SQLite database in a temporary folder, and the
fake vendor on 127.0.0.1. wrk (Debian's package) drives each case from its own process
with a Lua script (bench/wrk/) and counts every answer that is not the expected one as
an error. Only the per-IP limits are raised, through the documented RATE_LIMIT_*
settings; the per-mobile limits and single use stay.

Prints a table (req/s, p50, p99, errors, ratio to healthz, peak RSS of the web and the
workers, the CPU time the hypervisor stole while the case ran) and writes
bench/results/site.json and site.png.

Environment: BENCH_SECONDS (10; image_codes always runs BENCH_IMAGE_SECONDS, 30),
BENCH_QUEUED (5000 codes for sms_delivery), BENCH_USERS_BIG (1000000 for login_1m),
BENCH_SMOKE=1 (a run of a few seconds with small counts: CI's check that it works),
BENCH_CASES (a comma-separated list: only those cases and healthz; nothing is written),
BENCH_PROFILE=1 (py-spy samples the web and the worker during each case and writes where
their CPU time went to bench/results/profiles.md; its figures are not the table's).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "bench" / "results"
LUA_DIR = BASE_DIR / "bench" / "wrk"
SMOKE = os.environ.get("BENCH_SMOKE") == "1"
SECONDS = int(os.environ.get("BENCH_SECONDS", "2" if SMOKE else "10"))
IMAGE_SECONDS = int(os.environ.get("BENCH_IMAGE_SECONDS", "2" if SMOKE else "30"))
QUEUED = int(os.environ.get("BENCH_QUEUED", "200" if SMOKE else "5000"))
USERS_SMALL = 1000
USERS_BIG = int(os.environ.get("BENCH_USERS_BIG", "5000" if SMOKE else "1000000"))
PASSWORD = "bench-pass-2026"  # noqa: S105 (the bench accounts' own)
IMAGE_CODE = "ABCD"
# Captchas (and register codes) seeded per wrk thread: more than a run uses.
SEEDED = 20_000 if SMOKE else 200_000
THREADS, CONNECTIONS = 2, 16
PROFILE = os.environ.get("BENCH_PROFILE") == "1"
# BENCH_CASES=sms_delivery,login: only these (healthz always runs: the ratios need it).
CASES = set(filter(None, os.environ.get("BENCH_CASES", "").split(",")))
# Worker processes beside the web on this one machine: one, as the issue measured; a
# second delivers more but takes the web's CPU during a flood (README, Benchmarks).
WORKERS = int(os.environ.get("BENCH_WORKERS", "1"))


def wanted(case: str) -> bool:
    return not CASES or case in CASES


# The bench process talks to the same Redis and settings as the site it starts.
SECRET_KEY = uuid.uuid4().hex * 2
os.environ.update(
    DJANGO_SETTINGS_MODULE="meiduo_mall.settings",
    DJANGO_SECRET_KEY=SECRET_KEY,
    DJANGO_DEBUG="0",
)
WORKDIR = Path(tempfile.mkdtemp(prefix="meiduo-bench-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{WORKDIR / 'db.sqlite3'}")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import check_password, make_password  # noqa: E402

from celery_tasks.main import celery_app  # noqa: E402
from celery_tasks.sms import outbox  # noqa: E402
from core.redis_scripts import verify_code_redis  # noqa: E402
from devtools.devstack import WORKER_POOL, worker_command  # noqa: E402
from devtools.embedded import free_port  # noqa: E402
from devtools.production import gunicorn_command, wait_until_answers  # noqa: E402
from tests.fake_yuntongxun import FakeYuntongxun  # noqa: E402
from verifications import constants as vc  # noqa: E402
from verifications.services import sms_code_digest  # noqa: E402

VENDOR = {"account_sid": "benchsid", "auth_token": "bench-token", "app_id": "benchapp"}
arrivals: list[tuple[str, float]] = []  # (mobile, when) of every SMS the fake vendor accepts
RAISED = "100000000/1m/ip"


@dataclass
class Row:
    case: str
    what: str
    req_s: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    errors: int = 0
    requests: int = 0
    ratio: float | None = None
    web_rss_mb: float | None = None
    worker_rss_mb: float | None = None
    steal_pct: float | None = None
    extra: dict = field(default_factory=dict)


TICK = os.sysconf("SC_CLK_TCK")  # /proc's unit of CPU time


def cpu_times() -> list[int]:
    """The machine's CPU time so far by kind (/proc/stat): user, nice, system, idle, iowait,
    irq, softirq, steal, ..."""
    return [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]


def busy_seconds(before: list[int]) -> float:
    """The machine's busy CPU seconds (all but idle and iowait) since `before` (cpu_times())."""
    spent = [b - a for a, b in zip(before, cpu_times(), strict=True)]
    return (sum(spent[:8]) - spent[3] - spent[4]) / TICK


class Steal:
    """The share of CPU time the hypervisor gave to other machines while a case ran: a
    figure of a case whose steal is high is the host's, not the site's."""

    def __enter__(self) -> Steal:
        self.before = cpu_times()
        return self

    def __exit__(self, *exc: object) -> None:
        spent = [b - a for a, b in zip(self.before, cpu_times(), strict=True)]
        self.pct = 100 * spent[7] / max(sum(spent[:8]), 1)


def site_env(vendor: FakeYuntongxun) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_STATIC_ROOT": str(WORKDIR / "static"),
        "SMS_BACKEND": "yuntongxun",
        "YUNTONGXUN_ACCOUNT_SID": VENDOR["account_sid"],
        "YUNTONGXUN_AUTH_TOKEN": VENDOR["auth_token"],
        "YUNTONGXUN_APP_ID": VENDOR["app_id"],
        "YUNTONGXUN_BASE_URL": vendor.base_url,
        # Only the per-IP limits: one machine plays every shopper here.
        "RATE_LIMIT_SEND_SMS": f"5/1h/mobile,10/1d/mobile,{RAISED}",
        "RATE_LIMIT_LOGIN_FAILED": f"5/5m/account,{RAISED}",
        "RATE_LIMIT_COUNT": RAISED,
        "RATE_LIMIT_IMAGE_CODE": RAISED,
    }


class Process:
    """A server of the site (one process, or several alike: the workers), each process
    tree measured for peak RSS."""

    def __init__(
        self, name: str, commands: list[list[str]], env: dict[str, str], cwd: Path = BASE_DIR
    ) -> None:
        self.name = name
        self.log = (WORKDIR / f"{name}.log").open("w")
        self.processes = [
            subprocess.Popen(command, cwd=cwd, env=env, stdout=self.log, stderr=subprocess.STDOUT)
            for command in commands
        ]

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self.processes]

    def running(self) -> bool:
        return all(process.poll() is None for process in self.processes)

    def rss_mb(self) -> float:
        """Resident memory of the processes and their children, from /proc."""
        total = 0
        for pid in [pid for top in self.pids for pid in (top, *descendants(top))]:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        return total / 1024

    def stop(self) -> None:
        # All asked at once, so that the workers' warm shutdowns run side by side.
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.log.close()


def descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found += [child, *descendants(child)]
    return found


class PeakRss:
    """Samples the processes' RSS every 0.2 s while a case runs."""

    def __init__(self, *processes: Process | None) -> None:
        self.processes = processes
        self.peaks = [0.0] * len(processes)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for i, process in enumerate(self.processes):
                if process is not None and process.running():
                    self.peaks[i] = max(self.peaks[i], process.rss_mb())
            self._stop.wait(0.2)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class Profiler:
    """With BENCH_PROFILE=1, py-spy samples the web (gunicorn and its workers) and the
    worker while a case runs; profiles.md gets where their CPU time went."""

    found: dict[str, list[str]] = {}

    def __init__(self, case: str, *processes: Process | None) -> None:
        self.case = case
        self.processes = [p for p in processes if p is not None] if PROFILE else []
        self.spies: list[tuple[str, subprocess.Popen, Path]] = []

    def __enter__(self) -> Profiler:
        for process in self.processes:
            for n, pid in enumerate(process.pids):
                output = WORKDIR / f"{self.case}-{process.name}-{n}.txt"
                command = [str(Path(sys.executable).parent / "py-spy"), "record"]
                command += ["--format", "raw", "--rate", "250", "--nonblocking"]
                command += ["--subprocesses", "-p", str(pid), "-o", str(output)]
                spy = subprocess.Popen(
                    command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
                self.spies.append((f"{process.name} {n + 1}", spy, output))
        time.sleep(0.5 if self.spies else 0)  # py-spy attaches before the load starts
        return self

    def __exit__(self, *exc: object) -> None:
        for name, spy, output in self.spies:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=30)
            if output.exists():
                self.found.setdefault(self.case, []).append(hot_spots(name, output))


def short(frame: str) -> str:
    return frame.replace(str(BASE_DIR) + "/", "").split("site-packages/")[-1]


def hot_spots(name: str, collapsed: Path, top: int = 12) -> str:
    """The functions that held the CPU, from py-spy's collapsed stacks: each one's share of
    the samples on its own (self) and with what it called (total)."""
    own: dict[str, int] = {}
    total: dict[str, int] = {}
    samples = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        samples += n
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")[1:]]
        if frames:
            own[frames[-1]] = own.get(frames[-1], 0) + n
        for frame in set(frames):
            total[frame] = total.get(frame, 0) + n
    lines = [f"**{name}**: {samples:,} samples", "", "| self % | function | | total % | ours |"]
    lines.append("| ---: | --- | --- | ---: | --- |")
    mine = sorted(
        (f for f in total if str(BASE_DIR) in f and "/site-packages/" not in f),
        key=lambda f: -total[f],
    )
    by_self = sorted(own, key=lambda f: -own[f])[:top]
    by_total = [f for f in mine if total[f] < samples][:top]
    for i in range(max(len(by_self), len(by_total))):
        a = by_self[i] if i < len(by_self) else None
        b = by_total[i] if i < len(by_total) else None
        lines.append(
            f"| {fmt(a and 100 * own[a] / samples, '.1f')} | {short(a) if a else ''} | | "
            f"{fmt(b and 100 * total[b] / samples, '.1f')} | {short(b) if b else ''} |"
        )
    return "\n".join(lines)


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
    )


def prepare(env: dict[str, str]) -> None:
    """The database's tables and the static files, before a site is started with `env`."""
    manage("migrate", "--noinput", env=env)
    manage("collectstatic", "--noinput", env=env)


def start_web(
    env: dict[str, str], port: int, checkout: Path = BASE_DIR, name: str = "web"
) -> Process:
    """gunicorn as production starts it, serving `checkout`'s code (bench/side_by_side.py
    starts two)."""
    # wrk's 16 connections stand for a crowd of shoppers. Kept alive, all 16 are accepted
    # by whichever gunicorn process is quicker, and a run measured one core or two by luck
    # (healthz 773 or 1,987 req/s in one run): each process takes 8 at most, the even share
    # that a crowd's many short visits would come to.
    per_process = str(CONNECTIONS // 2)
    options = ("--access-logfile", "/dev/null", "--worker-connections", per_process)
    web = Process(name, [gunicorn_command(port, *options)], env, checkout)
    wait_until_answers(
        f"http://127.0.0.1:{port}/healthz", web.processes[0], WORKDIR / f"{name}.log"
    )
    return web


def start_worker(env: dict[str, str], queue: str = "celery") -> Process:
    # The notes' command as production starts it; the bench's log level: only problems.
    options = ("-l", "warning", *WORKER_POOL, "--without-mingle", "--without-gossip")
    commands = [
        [*worker_command(*options), "-Q", queue, "-n", f"bench{n}@%h"]
        for n in range(1, WORKERS + 1)
    ]
    worker = Process("worker", commands, env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        replies = celery_app.control.ping(timeout=0.5)
        if len(replies) >= WORKERS:
            return worker
    raise RuntimeError("the worker did not start: " + (WORKDIR / "worker.log").read_text())


def wrk(
    base: str,
    script: str,
    seconds: int,
    env: dict[str, str] | None = None,
    threads: int = THREADS,
    connections: int = CONNECTIONS,
) -> dict[str, float]:
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA_DIR / script),
        base,
    ]
    run_env = {**os.environ, "BENCH_LUA_DIR": str(LUA_DIR), **(env or {})}
    output = subprocess.run(command, env=run_env, capture_output=True, text=True, check=True)
    for line in output.stdout.splitlines():
        if line.startswith("BENCH-ERROR "):
            print(f"  {script}: {line}", file=sys.stderr)
        if line.startswith("BENCH "):
            values = dict(item.split("=") for item in line.split()[1:])
            return {key: float(value) for key, value in values.items()}
    raise RuntimeError("wrk said:\n" + output.stdout + output.stderr)


def measure(
    row: Row,
    base: str,
    script: str,
    seconds: int,
    web: Process,
    worker: Process | None = None,
    env: dict[str, str] | None = None,
    **options: int,
) -> Row:
    with PeakRss(web, worker) as peak, Profiler(row.case, web, worker), Steal() as steal:
        result = wrk(base, script, seconds, env, **options)
    row.steal_pct = steal.pct
    row.requests = int(result["requests"])
    row.req_s = result["requests"] / (result["duration_us"] / 1e6)
    row.p50_ms = result["p50_us"] / 1000
    row.p99_ms = result["p99_us"] / 1000
    row.errors = int(result["errors"] + result["socket_errors"])
    row.web_rss_mb, row.worker_rss_mb = peak.peaks[0] or None, peak.peaks[1] or None
    return row


def seed_captchas() -> None:
    """The captchas the sms_codes script asks with: thread t, request n."""
    redis = verify_code_redis()
    for thread in range(THREADS):
        pipe = redis.pipeline(transaction=False)
        for n in range(1, SEEDED + 1):
            image_code_id = f"00000000-0000-4000-8{thread:03x}-{n:012x}"
            pipe.set(vc.image_code_key(image_code_id), IMAGE_CODE, ex=3600)
            if n % 10_000 == 0:
                pipe.execute()
        pipe.execute()


def forget_sms_flags() -> None:
    """A second sms_codes case reuses the mobiles: lift the 60 s flags and counters."""
    redis = verify_code_redis()
    for pattern in (vc.send_flag_key("13*"), vc.sms_code_key("13*"), "rl:*"):
        keys = list(redis.scan_iter(match=pattern, count=10_000))
        for start in range(0, len(keys), 10_000):
            redis.delete(*keys[start : start + 10_000])


def sms_turn_over() -> None:
    """After a short turn of SMS requests (bench/side_by_side.py, bench/floor.py): the next
    turn reuses the mobiles and the captchas."""
    time.sleep(0.5)  # the last requests wrk left in flight
    forget_sms_flags()
    seed_captchas()


def seed_register_codes(count: int) -> None:
    redis = verify_code_redis()
    pipe = redis.pipeline(transaction=False)
    for thread in range(THREADS):
        for n in range(1, count + 1):
            mobile = f"15{thread}{n:08d}"
            key = vc.sms_code_key(mobile)
            pipe.hset(key, mapping={"digest": sms_code_digest(mobile, "123456"), "tries": 0})
            pipe.expire(key, 3600)
            if n % 5_000 == 0:
                pipe.execute()
    pipe.execute()


def seed_users(count: int) -> None:
    """`count` accounts bench_<n> (mobile 17<n:09>), one hash shared: inserting a million
    rows must not take a million hashes."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    user_model = get_user_model()
    existing = user_model.objects.filter(username__startswith="bench_").count()
    # Every column at its default but these: a field added later needs nothing here.
    given = {"password": make_password(PASSWORD), "date_joined": timezone.now(), "email": ""}
    fields = [f for f in user_model._meta.concrete_fields if not f.primary_key]
    constant = {
        f.column: f.get_db_prep_save(given.get(f.attname, f.get_default()), connection)
        for f in fields
        if f.attname not in ("username", "mobile")
    }
    columns = ["username", "mobile", *constant]
    sql = (
        f"INSERT INTO {user_model._meta.db_table} ({', '.join(columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    tail = tuple(constant.values())
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(existing, count, 50_000):
            rows = [
                (f"bench_{n}", f"17{n:09d}", *tail)
                for n in range(start, min(count, start + 50_000))
            ]
            cursor.executemany(sql, rows)


def hasher_ms(rounds: int = 7) -> tuple[float, float]:
    """The password hasher alone, in this process: (check, make) medians in ms."""
    encoded = make_password(PASSWORD)
    checks, makes = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        check_password(PASSWORD, encoded)
        checks.append(time.perf_counter() - start)
        start = time.perf_counter()
        make_password(PASSWORD)
        makes.append(time.perf_counter() - start)
    return sorted(checks)[rounds // 2] * 1000, sorted(makes)[rounds // 2] * 1000


def csrf_token(base: str) -> str:
    import urllib.request

    with urllib.request.urlopen(base + "/csrf_token/", timeout=5) as response:  # noqa: S310
        cookie = response.headers["Set-Cookie"]
    return cookie.split("csrftoken=")[1].split(";")[0]


def sms_delivery(vendor: FakeYuntongxun, env: dict[str, str], web: Process) -> Row:
    """QUEUED codes already queued, then the worker started: from the vendor's first SMS to
    its last (a worker drains a small queue before it even answers a ping, so "from ready"
    would measure nothing)."""
    row = Row("sms_delivery", f"{QUEUED} queued codes → the fake vendor has them all")
    # A queue and an outbox of their own: nothing the earlier cases left behind is counted.
    queue = "bench-delivery"
    env = {**env, "CELERY_QUEUE": queue, "SMS_OUTBOX_KEY": f"{queue}:outbox"}
    mobiles = {f"18{n:09d}" for n in range(QUEUED)}
    redis = verify_code_redis()
    redis.delete(env["SMS_OUTBOX_KEY"], f"{env['SMS_OUTBOX_KEY']}:wake")
    # What the issuing script adds, one entry per code.
    entries = [
        outbox.new_entry(uuid.uuid4().hex, mobile, "135790", "register")
        for mobile in sorted(mobiles)
    ]
    outbox.add(entries, env["SMS_OUTBOX_KEY"], redis)
    arrivals.clear()
    worker = start_worker(env, queue)
    with PeakRss(web, worker) as peak, Profiler(row.case, None, worker), Steal() as steal:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if mobiles <= {m["to"] for m in vendor.messages}:
                break
            time.sleep(0.05)
    worker.stop()
    ours = [at for to, at in arrivals if to in mobiles]
    seconds = max(ours[-1] - ours[0], 1e-3) if len(ours) > 1 else float("inf")
    received = [m["to"] for m in vendor.messages if m["to"] in mobiles]
    row.requests = len(set(received))
    row.errors = (QUEUED - row.requests) + (len(received) - len(set(received)))
    row.req_s = (len(ours) - 1) / seconds if len(ours) > 1 else 0.0
    row.worker_rss_mb = peak.peaks[1]
    row.steal_pct = steal.pct
    row.extra = {"seconds": round(seconds, 2), "duplicates": len(received) - len(set(received))}
    return row


def run() -> list[Row]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install wrk")
    rows: list[Row] = []
    with FakeYuntongxun(
        **VENDOR, on_message=lambda m: arrivals.append((m["to"], time.monotonic()))
    ) as vendor:
        env = site_env(vendor)
        prepare(env)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        web = start_web(env, port)
        worker = start_worker(env)
        try:
            seed_users(USERS_SMALL)
            seed_captchas()
            seed_register_codes(SEEDED // 10)
            token = csrf_token(base)
            auth = {"BENCH_CSRF": token, "BENCH_PASSWORD": PASSWORD}
            sms_env = {"BENCH_IMAGE_CODE": IMAGE_CODE}

            def case(row: Row, script: str, seconds: int = SECONDS, **kwargs) -> Row | None:
                if not wanted(row.case) and not row.case.startswith("healthz"):
                    return None
                row = measure(row, base, script, seconds, web, **kwargs)
                rows.append(row)
                return row

            healthz_env = {"BENCH_PATH": "/healthz"}
            # Warm-up, not counted: the first seconds of new processes are not the cheapest
            # view's capacity (one run's first case measured at half of it).
            wrk(base, "get.lua", 2, healthz_env)
            case(
                Row("healthz", "GET /healthz, the cheapest view"),
                "get.lua",
                worker=worker,
                env=healthz_env,
            )
            case(
                Row("image_codes", f"a new captcha each request, {IMAGE_SECONDS} s"),
                "image_codes.lua",
                IMAGE_SECONDS,
                worker=worker,
            )
            case(
                Row("sms_codes", "seeded captcha, new mobile; worker delivering"),
                "sms_codes.lua",
                worker=worker,
                env=sms_env,
            )
            worker.stop()
            forget_sms_flags()
            seed_captchas()
            case(
                Row("sms_request_path", "the same, worker stopped (only queued)"),
                "sms_codes.lua",
                worker=None,
                env=sms_env,
            )
            if wanted("sms_delivery"):
                rows.append(sms_delivery(vendor, env, web))

            # The hasher timed just before and just after the logins and registrations,
            # the mean of the two: this host's speed drifts within minutes.
            before = hasher_ms()
            one = {"worker": None, "threads": 1, "connections": 1}
            login = case(
                Row("login", "POST /login/ (JSON), one connection"),
                "login.lua",
                env={**auth, "BENCH_USERS": str(USERS_SMALL)},
                **one,
            )
            register = case(
                Row("register", "POST /register/ (JSON), one connection"),
                "register.lua",
                env=auth,
                **one,
            )
            after = hasher_ms()
            check_ms, make_ms = ((b + a) / 2 for b, a in zip(before, after, strict=True))
            if login:
                login.extra = {"hasher_check_ms": round(check_ms, 2)}
            if register:
                register.extra = {"hasher_make_ms": round(make_ms, 2)}
            case(
                Row("count_1k", f"count endpoints, {USERS_SMALL:,} users"),
                "count.lua",
                worker=None,
                env={"BENCH_USERS": str(USERS_SMALL)},
            )
            if wanted("login_1m") or wanted("count_1m"):
                seed_users(USERS_BIG)
            case(
                Row("login_1m", f"POST /login/, {USERS_BIG:,} users"),
                "login.lua",
                env={**auth, "BENCH_USERS": str(USERS_BIG)},
                **one,
            )
            case(
                Row("count_1m", f"count endpoints, {USERS_BIG:,} users"),
                "count.lua",
                worker=None,
                env={"BENCH_USERS": str(USERS_BIG)},
            )
            case(
                Row("healthz_end", "GET /healthz again, at the end"),
                "get.lua",
                worker=None,
                env=healthz_env,
            )
        finally:
            web.stop()
            worker.stop()
    # The better of the two healthz runs: a ratio is never flattered by a slow moment of
    # the host during the cheapest view.
    healthz = max(row.req_s for row in rows if row.case.startswith("healthz"))
    for row in rows:
        if row.req_s is not None and row.case != "sms_delivery":
            row.ratio = row.req_s / healthz
    return rows


def fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def table(rows: list[Row]) -> str:
    lines = [
        "| case | req/s | p50 ms | p99 ms | errors | ratio to healthz | web RSS MB | "
        "worker RSS MB | CPU steal % | what |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        extra = "; ".join(f"{k} {v}" for k, v in row.extra.items())
        what = row.what + (f" ({extra})" if extra else "")
        unit = " SMS/s" if row.case == "sms_delivery" else ""
        lines.append(
            f"| {row.case} | {fmt(row.req_s, ',.0f')}{unit} | {fmt(row.p50_ms, '.1f')} | "
            f"{fmt(row.p99_ms, '.1f')} | {row.errors} | {fmt(row.ratio, '.2f')} | "
            f"{fmt(row.web_rss_mb, '.0f')} | {fmt(row.worker_rss_mb, '.0f')} | "
            f"{fmt(row.steal_pct, '.0f')} | {what} |"
        )
    return "\n".join(lines)


def chart(rows: list[Row], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    shown = [row for row in rows if row.ratio is not None]
    figure, axes = pyplot.subplots(figsize=(9, 4.5))
    bars = axes.barh(
        [row.case for row in shown][::-1], [row.ratio for row in shown][::-1], color="#c0392b"
    )
    for bar, row in zip(bars, shown[::-1], strict=True):
        axes.text(
            bar.get_width() + 0.01,
            bar.get_y() + bar.get_height() / 2,
            f"{row.req_s:,.0f} req/s",
            va="center",
            fontsize=9,
        )
    axes.set_xlabel("throughput as a fraction of /healthz in the same run")
    axes.set_xlim(0, 1.25)
    delivery = next(row for row in rows if row.case == "sms_delivery")
    axes.set_title(f"Meiduo accounts under wrk (2 cores); worker: {delivery.req_s:,.0f} SMS/s")
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def main() -> None:
    rows = run()
    print(table(rows))
    if SMOKE:
        bad = [row.case for row in rows if row.errors or not row.requests]
        if bad:
            raise SystemExit(f"errors or no requests in: {', '.join(bad)}")
        return
    if CASES and not PROFILE:
        return  # a partial run: the results on disk stay those of a whole one
    RESULTS.mkdir(parents=True, exist_ok=True)
    if PROFILE:
        sections = [f"## {case}\n\n" + "\n\n".join(found) for case, found in Profiler.found.items()]
        (RESULTS / "profiles.md").write_text(
            "# Where the CPU time went (`BENCH_PROFILE=1 ./bench/run`, py-spy)\n\n"
            + "\n\n".join(sections)
            + "\n"
        )
        print(f"written: {RESULTS / 'profiles.md'}")
        return
    (RESULTS / "site.json").write_text(
        json.dumps([asdict(row) for row in rows], indent=2, ensure_ascii=False) + "\n"
    )
    chart(rows, RESULTS / "site.png")
    (RESULTS / "site.md").write_text(table(rows) + "\n")
    print(f"\nwritten: {RESULTS / 'site.json'}, {RESULTS / 'site.png'}, {RESULTS / 'site.md'}")


if __name__ == "__main__":
    main()
