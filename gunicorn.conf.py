"""gunicorn's settings for `gunicorn meiduo_mall.wsgi:application`.

gunicorn reads this file from the directory it is started in (the repository root);
options given on the command line win over it. The address is left to gunicorn:
127.0.0.1:8000, or 0.0.0.0:$PORT when PORT is set, or `-b HOST:PORT`.
"""

import re

from gunicorn.glogging import Logger

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

# One line per request on stdout, for the journal or the container's log.
accesslog = "-"
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
