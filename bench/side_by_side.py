"""This checkout's site against another's, both running at once, in short turns.

    git worktree add /tmp/before main~1
    ./bench/run side-by-side /tmp/before

On this VM the same code measured twice differs by up to ±20 % as the host's speed drifts
within minutes, more than most single changes are worth. Two gunicorns (`-w 2`, the same
settings, Redis and Python; each checkout's own code) are started side by side and wrk
loads one at a time, in turns of BENCH_SLICE seconds (3), the order swapped each round, for
BENCH_ROUNDS rounds (10): drift then hits both alike. Cases: `healthz` and `sms_request_path`
(bench/site.py's scripts; no worker). Prints, per checkout and case, the median req/s and
the machine's busy CPU per request (/proc/stat), and the ratio sms / healthz of each round.
"""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

from bench import site
from bench.site import (
    IMAGE_CODE,
    VENDOR,
    FakeYuntongxun,
    Process,
    busy_seconds,
    cpu_times,
    free_port,
    prepare,
    seed_captchas,
    site_env,
    sms_turn_over,
    start_web,
    wrk,
)

SLICE = int(os.environ.get("BENCH_SLICE", "3"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "10"))
CASES = {
    "healthz": ("get.lua", {"BENCH_PATH": "/healthz"}),
    "sms_request_path": ("sms_codes.lua", {"BENCH_IMAGE_CODE": IMAGE_CODE}),
}


def start(name: str, checkout: Path, env: dict[str, str]) -> tuple[str, Process]:
    port = free_port()
    web = start_web({**env, "PYTHONPATH": str(checkout)}, port, checkout, f"web-{name}")
    return f"http://127.0.0.1:{port}", web


def turn(base: str, case: str) -> tuple[float, float, int]:
    """req/s, the machine's busy CPU µs a request, errors."""
    script, env = CASES[case]
    before = cpu_times()
    result = wrk(base, script, SLICE, env)
    busy = busy_seconds(before)
    errors = int(result["errors"] + result["socket_errors"])
    requests = result["requests"]
    return requests / (result["duration_us"] / 1e6), 1e6 * busy / requests, errors


def main() -> None:
    if len(sys.argv) != 2 or not (Path(sys.argv[1]) / "manage.py").exists():
        raise SystemExit("usage: ./bench/run side-by-side OTHER_CHECKOUT")
    checkouts = {"other": Path(sys.argv[1]).resolve(), "this": site.BASE_DIR}
    site.SEEDED = SLICE * 5_000  # captchas per wrk thread: more than one turn uses
    results: dict[tuple[str, str], list[tuple[float, float, int]]] = {}
    with FakeYuntongxun(**VENDOR) as vendor:
        env = site_env(vendor)
        prepare(env)
        sites = {name: start(name, path, env) for name, path in checkouts.items()}
        try:
            seed_captchas()
            for base, _ in sites.values():
                turn(base, "healthz")  # warm-up, not counted
            for round_ in range(ROUNDS):
                order = list(sites.items())[:: 1 if round_ % 2 == 0 else -1]
                for case in CASES:
                    for name, (base, _) in order:
                        results.setdefault((name, case), []).append(turn(base, case))
                        if case == "sms_request_path":
                            sms_turn_over()
        finally:
            for _, web in sites.values():
                web.stop()
    print(f"{ROUNDS} rounds of {SLICE} s turns; other = {checkouts['other']}")
    print(f"{'checkout':8}  {'case':16}  {'req/s':>7}  {'CPU µs/req':>10}  errors")
    for (name, case), rows in results.items():
        rps = statistics.median(r[0] for r in rows)
        cpu = statistics.median(r[1] for r in rows)
        print(f"{name:8}  {case:16}  {rps:7,.0f}  {cpu:10,.0f}  {sum(r[2] for r in rows)}")
    for name in sites:
        pairs = zip(results[(name, "sms_request_path")], results[(name, "healthz")], strict=True)
        ratios = [sms[0] / healthz[0] for sms, healthz in pairs]
        listed = " ".join(f"{r:.2f}" for r in ratios)
        median = statistics.median(ratios)
        print(f"{name:8}  sms_request_path / healthz: median {median:.3f} ({listed})")


if __name__ == "__main__":
    main()
