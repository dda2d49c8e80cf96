"""The container's probe: `python scripts/healthcheck.py [/healthz|/readyz]`, exit 0 when the
local gunicorn answers 200 (Dockerfile HEALTHCHECK, compose.yaml).

Standard library only (the slim image has no curl) and no Django import (a probe every
few seconds must be cheap). It asks 127.0.0.1:$PORT with the first host of
DJANGO_ALLOWED_HOSTS as the Host header: Django answers 400 to a host it does not serve.
"""

import os
import sys
import urllib.error
import urllib.request


def probe_host(allowed_hosts: str) -> str:
    """A Host header Django accepts: the first allowed host that is a plain name."""
    for host in allowed_hosts.split(","):
        host = host.strip().lstrip(".")  # ".example.com" allows example.com itself
        if host and host != "*":
            return host
    return "127.0.0.1"


def main(argv: list[str]) -> int:
    path = argv[1] if len(argv) > 1 else "/healthz"
    url = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}{path}"
    host = probe_host(os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1"))
    request = urllib.request.Request(url, headers={"Host": host})  # noqa: S310 (loopback)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"{path}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
