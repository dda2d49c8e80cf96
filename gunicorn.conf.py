"""gunicorn's settings for `gunicorn meiduo_mall.wsgi:application`.

gunicorn reads this file from the directory it is started in (the repository root);
options given on the command line win over it (as `-w` does in the tests and the bench).
The address is left to gunicorn:
127.0.0.1:8000, or 0.0.0.0:$PORT when PORT is set, or `-b HOST:PORT`.
"""

import os
import re

from gunicorn.glogging import Logger

from core.logs import log_format

# Processes and threads, chosen from measurement: `./bench/run gunicorn` (wrk -t2 -c16,
# DEBUG off; healthz, the count endpoints, new captchas; median of 3 rounds taken in turn)
# on this 2-core machine, req/s (a busy machine: compare the rows, not the figures):
#   -w 2: 457 / 294 / 291      -w 4: 375 / 276 / 289      -w 2 --threads 2: 1,175 / 468 / 418
#   -w 2 --threads 4: 651 / 324 / 288      -w 4 --threads 2: 524 / 304 / 315
# An earlier run of 3 rounds agreed that every threaded shape beats every sync one (the
# sync worker serves one connection at a time and closes it; a request also waits on Redis
# and the database). So one process per core, 2 threads each (gthread): the best or level
# with the best, on the least memory. WEB_CONCURRENCY / WEB_THREADS override; `-w` too.
workers = int(os.environ.get("WEB_CONCURRENCY") or len(os.sched_getaffinity(0)))
threads = int(os.environ.get("WEB_THREADS") or 2)

# SIGTERM (a deploy, `systemctl stop`, `docker stop`): stop accepting, let the requests in
# flight finish for up to this many seconds, then kill what is left. Keep the supervisor's
# own kill timeout above it (Kubernetes: 30 s; give `docker stop` `-t 30`).
graceful_timeout = 25

# A worker silent this long is killed and replaced. No request waits for the SMS vendor
# (the worker does), and Redis, the database and the broker time out after 2 s, so only
# a stuck worker or a client trickling its request this slowly gets here.
timeout = 30

# gunicorn 27's control socket is one path per user (~/.gunicorn/gunicorn.ctl): two
# sites on one machine would take it from each other, and we drive gunicorn by signals.
control_socket_disable = True

# One line per request on stdout, for the journal or the container's log; with JSON logs
# (LOG_FORMAT, core/logs.py) the site writes its own, with the request id, instead.
accesslog = None if log_format() == "json" else "-"
# No query string (it carries the captcha answer), no referer (it may carry one too).
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'

MOBILE = re.compile(r"(?<!\d)(1\d{2})\d{4}(\d{4})(?!\d)")


class MaskedAccessLogger(Logger):
    """Paths like /sms_codes/<mobile>/ logged as 139****5678, as the site logs mobiles."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = MOBILE.sub(r"\1****\2", atoms["U"] or "")
        return atoms


logger_class = MaskedAccessLogger


def post_worker_init(worker) -> None:
    """Draw the captcha's glyphs (about 0.4 s) before the worker's first request, not in it."""
    from verifications import captcha

    captcha.warm()


def on_starting(server) -> None:
    """Metrics: create PROMETHEUS_MULTIPROC_DIR and clear a previous run's files, before
    any worker writes its own (core/metrics.py)."""
    from core import metrics

    metrics.prepare_multiproc_dir()


def child_exit(server, worker) -> None:
    """Metrics: a worker that exited leaves its counters, not its live gauges."""
    from core import metrics

    metrics.mark_process_dead(worker.pid)
