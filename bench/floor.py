"""How close the SMS code's request is to what the machine allows it: `./bench/run floor`.

No request for an SMS code can be cheaper than the cheapest view plus one round trip to
Redis. One gunicorn (`-w 2`, as bench/site.py starts it; its settings add one URL,
bench/floor_urls.py) serves the cases, loaded by wrk one at a time in turns of BENCH_SLICE
seconds (3), in an order that rotates each round, for BENCH_ROUNDS rounds (10):

- `healthz`: GET /healthz, the cheapest view;
- `round_trip`: the same answer after one Redis script that does nothing, sent as the
  SMS code's script is (core/redis_scripts.run_script);
- `sms_request_path`: bench/site.py's case (a seeded captcha, a new mobile each request,
  no worker: the SMS is only queued);
- `sms_lean`: the same requests to a view that does the same in Redis with the least
  Python (no form, checks, metrics, translation or JSON encoding).

Then the worker is started and BENCH_ROUNDS // 2 rounds of `healthz` and `sms_codes` (the
same requests, the worker delivering to the fake vendor beside them) follow; each SMS
turn waits for the vendor to have every SMS before the next turn starts.

Prints per case the median req/s, the median of each round's ratio to healthz, and the
machine's CPU per request: all of it (/proc/stat) and each process's share (web: gunicorn,
worker: Celery, redis, wrk, vendor: this process, which serves the fake vendor).
"""

from __future__ import annotations

import os
import resource
import statistics
import time
from collections import Counter
from pathlib import Path

from bench import side_by_side, site
from bench.side_by_side import ROUNDS, SLICE
from bench.site import (
    TICK,
    VENDOR,
    FakeYuntongxun,
    busy_seconds,
    cpu_times,
    free_port,
    prepare,
    seed_captchas,
    site_env,
    sms_turn_over,
    start_web,
    start_worker,
    wrk,
)
from celery_tasks.sms import outbox
from core.redis_scripts import verify_code_redis

SMS_SCRIPT, SMS_ENV = side_by_side.CASES["sms_request_path"]
CASES = {
    **side_by_side.CASES,  # healthz, sms_request_path
    "round_trip": ("get.lua", {"BENCH_PATH": "/bench/round-trip"}),
    "sms_lean": (SMS_SCRIPT, {**SMS_ENV, "BENCH_SMS_PREFIX": "/bench/sms_lean/"}),
    "sms_codes": (SMS_SCRIPT, SMS_ENV),
}
WITHOUT_WORKER = ["healthz", "round_trip", "sms_lean", "sms_request_path"]
WITH_WORKER = ["healthz", "sms_codes"]
ROUNDS_WITH_WORKER = max(ROUNDS // 2, 1)
SHARES = ("web", "worker", "redis", "wrk", "vendor")
PROCESS_KINDS = {"gunicorn": "web", "celery": "worker", "redis-server": "redis"}


def process_seconds() -> Counter[str]:
    """CPU seconds so far of the site's processes by kind, this process's as "vendor" and
    its finished children's (wrk) as "wrk"."""
    spent: Counter[str] = Counter()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        kind = next((k for word, k in PROCESS_KINDS.items() if word.encode() in command), None)
        if kind:
            spent[kind] += (int(fields[11]) + int(fields[12])) / TICK  # utime + stime
    own = os.times()
    spent["vendor"] = own.user + own.system
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    spent["wrk"] = children.ru_utime + children.ru_stime
    return spent


def turn(base: str, case: str, vendor: FakeYuntongxun) -> dict[str, float]:
    """One wrk run of `case`: req/s, errors and CPU µs a request (all, and by process)."""
    script, env = CASES[case]
    before, sent_before = cpu_times(), len(vendor.messages)
    shares_before = process_seconds()
    result = wrk(base, script, SLICE, env)
    if case == "sms_codes":  # the worker's share: until the vendor has every SMS
        while True:
            sent = len(vendor.messages)
            time.sleep(0.5)
            if len(vendor.messages) == sent:
                break
    busy = busy_seconds(before)
    shares = process_seconds() - shares_before
    requests = result["requests"]
    row = {
        "req_s": requests / (result["duration_us"] / 1e6),
        "errors": result["errors"] + result["socket_errors"],
        "cpu": 1e6 * busy / requests,
        **{kind: 1e6 * shares[kind] / requests for kind in SHARES},
    }
    if case == "sms_codes":  # and every good answer's SMS must have reached the vendor
        unsent = requests - row["errors"] - (len(vendor.messages) - sent_before)
        row["errors"] += max(unsent, 0)
    if case.startswith("sms"):
        sms_turn_over()
    return row


def rounds(base: str, cases: list[str], count: int, vendor: FakeYuntongxun) -> dict:
    results: dict[str, list[dict[str, float]]] = {case: [] for case in cases}
    for round_ in range(count):
        shift = round_ % len(cases)
        for case in cases[shift:] + cases[:shift]:
            results[case].append(turn(base, case, vendor))
    return results


def print_table(results: dict[str, list[dict[str, float]]]) -> None:
    def median(case: str, key: str) -> float:
        return statistics.median(row[key] for row in results[case])

    header = f"{'case':16}  {'req/s':>7}  {'ratio':>5}  {'CPU µs/req':>10}"
    print(header + "".join(f"  {kind:>6}" for kind in SHARES) + "  errors")
    for case, rows in results.items():
        pairs = zip(rows, results["healthz"], strict=True)
        ratio = statistics.median(row["req_s"] / healthz["req_s"] for row, healthz in pairs)
        line = (
            f"{case:16}  {median(case, 'req_s'):7,.0f}  {ratio:5.3f}  {median(case, 'cpu'):10,.0f}"
        )
        shares = "".join(f"  {median(case, kind):6,.0f}" for kind in SHARES)
        print(line + shares + f"  {sum(row['errors'] for row in rows):.0f}")


def main() -> None:
    site.SEEDED = SLICE * 5_000  # captchas per wrk thread: more than one turn uses
    with FakeYuntongxun(**VENDOR) as vendor:
        env = {**site_env(vendor), "DJANGO_SETTINGS_MODULE": "bench.floor_settings"}
        prepare(env)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        web = start_web(env, port)
        worker = None
        try:
            seed_captchas()
            turn(base, "healthz", vendor)  # warm-up, not counted
            alone = rounds(base, WITHOUT_WORKER, ROUNDS, vendor)
            # The SMS queued so far are not the worker's to send: it delivers beside its turns.
            verify_code_redis().delete(outbox.stream_key(), outbox.wake_key())
            worker = start_worker(env)
            beside = rounds(base, WITH_WORKER, ROUNDS_WITH_WORKER, vendor)
        finally:
            web.stop()
            if worker:
                worker.stop()
    print(f"{SLICE} s turns, one site (`-w 2`), cases in rotating order; ratio: to healthz")
    print("in the same round; CPU: the machine's µs a request, then each process's share\n")
    print(f"{ROUNDS} rounds, no worker:")
    print_table(alone)
    print(f"\n{ROUNDS_WITH_WORKER} rounds, the worker started (healthz beside an idle one):")
    print_table(beside)


if __name__ == "__main__":
    main()
