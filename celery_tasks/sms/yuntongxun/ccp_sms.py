"""Our own small client of the Yuntongxun (容联云通讯, "CCP") template-SMS REST API.

Protocol, as the vendor documents it:

    POST {base}/2013-12-26/Accounts/{sid}/SMS/TemplateSMS?sig=SIG
    SIG           = MD5(sid + token + timestamp), hex digest, upper case
    Authorization = base64("{sid}:{timestamp}")
    timestamp     = yyyyMMddHHmmss, Beijing time
    body          = {"to": ..., "appId": ..., "templateId": ..., "datas": [...]}

The reply is JSON with "statusCode": "000000" on success, another code plus
"statusMsg" on failure.

Secrets: the auth token and the signature (which is as good as the token for a
few minutes) never go into a log line or an exception message. The signature
has to travel in the URL, so we never log URLs, never chain the exceptions of
the HTTP library (their text may contain the URL) and redact it from urllib3's own
DEBUG logging.

HTTP is urllib3's (what requests is built on), used directly: one pool of kept-alive
connections per process, which its threads share (urllib3's pools are thread-safe), at
about half of requests' cost a call (requests re-reads the environment, merges settings
and cookies on every call, none of which this one fixed POST needs).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import urllib.request
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit
from zoneinfo import ZoneInfo

import certifi
import urllib3

from celery_tasks.sms.errors import SmsSendError, SmsTemporaryError
from core.masking import mask_mobile

logger = logging.getLogger(__name__)

API_VERSION = "2013-12-26"
SUCCESS = "000000"
# The vendor validates timestamps in China Standard Time, whatever our server's zone is.
BEIJING = ZoneInfo("Asia/Shanghai")

# Vendor codes that mean "our side is busy or broken", not "your request is wrong":
# 160000 system error, 111111 too many concurrent requests, 111000-111099 internal errors.
_TEMPORARY_STATUS_CODES = frozenset({"160000", "111111"} | {f"1110{n:02d}" for n in range(100)})
# Connections to the vendor kept open per client (one client per process): at least the
# worker's threads, or a send beyond it would open and close a connection of its own.
POOL_SIZE = 32


def beijing_timestamp(now: datetime | None = None) -> str:
    """The vendor's timestamp format, yyyyMMddHHmmss in Beijing time."""
    moment = now if now is not None else datetime.now(tz=BEIJING)
    if moment.tzinfo is None:
        raise ValueError("beijing_timestamp needs an aware datetime")
    return moment.astimezone(BEIJING).strftime("%Y%m%d%H%M%S")


def sign(account_sid: str, auth_token: str, timestamp: str) -> str:
    """The `sig` query parameter: MD5(sid + token + timestamp) as upper-case hex."""
    # MD5 is the vendor's choice, not ours; usedforsecurity=False keeps it usable on FIPS builds.
    raw = f"{account_sid}{auth_token}{timestamp}".encode()
    return hashlib.md5(raw, usedforsecurity=False).hexdigest().upper()


def auth_header(account_sid: str, timestamp: str) -> str:
    """The Authorization header: base64("sid:timestamp"), no scheme prefix."""
    return base64.b64encode(f"{account_sid}:{timestamp}".encode()).decode("ascii")


class _RedactSignature(logging.Filter):
    """Blank out `sig=...` in urllib3's DEBUG lines, which print the request URL."""

    _pattern = re.compile(r"(sig=)[^&\s'\"]+", re.IGNORECASE)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "sig=" in message.lower():
            record.msg = self._pattern.sub(r"\1<redacted>", message)
            record.args = ()
        return True


def _install_urllib3_redaction() -> None:
    # Logger filters only apply to records created on that very logger, so each
    # urllib3 module that logs URLs gets its own; idempotent across re-imports.
    for name in ("urllib3.connectionpool", "urllib3.util.retry", "urllib3.poolmanager"):
        target = logging.getLogger(name)
        if not any(isinstance(f, _RedactSignature) for f in target.filters):
            target.addFilter(_RedactSignature())


_install_urllib3_redaction()


def connection_pool(base_url: str, timeout: float) -> urllib3.PoolManager:
    """Up to POOL_SIZE kept-alive connections to the vendor, trusted and proxied as
    requests did it: REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE or certifi's CAs, and the
    environment's HTTP(S)_PROXY unless NO_PROXY names the host."""
    options: dict[str, Any] = {
        "maxsize": POOL_SIZE,
        # No retries here: whether a send is worth another try is the task's decision.
        "retries": False,
        "timeout": urllib3.Timeout(connect=timeout, read=timeout),
        "ca_certs": os.environ.get("REQUESTS_CA_BUNDLE")
        or os.environ.get("CURL_CA_BUNDLE")
        or certifi.where(),
    }
    url = urlsplit(base_url)
    proxy = None
    if not urllib.request.proxy_bypass(url.hostname or ""):
        proxy = urllib.request.getproxies().get(url.scheme)
    return urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)


class CCP:
    """Sends template SMS through Yuntongxun. One instance per process is enough, and
    its threads share it."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        app_id: str,
        base_url: str,
        timeout: float,
        pool: urllib3.PoolManager | None = None,
    ) -> None:
        if not (account_sid and auth_token and app_id):
            raise ValueError("account_sid, auth_token and app_id are all required")
        self.account_sid = account_sid
        self._auth_token = auth_token  # underscore: keep it out of casual reprs/debug dumps
        self.app_id = app_id
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._url = (
            f"{self.base_url}/{API_VERSION}/Accounts/{quote(self.account_sid, safe='')}"
            "/SMS/TemplateSMS"
        )
        self._pool = pool if pool is not None else connection_pool(self.base_url, timeout)

    def __repr__(self) -> str:
        return (
            f"CCP(account_sid={self.account_sid!r}, app_id={self.app_id!r}, "
            f"base_url={self.base_url!r})"
        )

    @classmethod
    def from_settings(cls) -> CCP:
        """Build a client from the YUNTONGXUN_* Django settings."""
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured

        sid = settings.YUNTONGXUN_ACCOUNT_SID
        token = settings.YUNTONGXUN_AUTH_TOKEN
        app_id = settings.YUNTONGXUN_APP_ID
        missing = [
            name
            for name, value in (
                ("YUNTONGXUN_ACCOUNT_SID", sid),
                ("YUNTONGXUN_AUTH_TOKEN", token),
                ("YUNTONGXUN_APP_ID", app_id),
            )
            if not value
        ]
        if missing:
            raise ImproperlyConfigured(
                f"SMS through Yuntongxun needs {', '.join(missing)} to be set "
                "(the account's ACCOUNT SID, AUTH TOKEN and APP ID from the vendor console)."
            )
        return cls(
            account_sid=sid,
            auth_token=token,
            app_id=app_id,
            base_url=settings.YUNTONGXUN_BASE_URL,
            timeout=settings.YUNTONGXUN_TIMEOUT,
        )

    def send_sms_code(self, mobile: str, code: str, minutes: int, template_id: str) -> dict:
        """Send a verification code; the template shows the code and its lifetime in minutes."""
        return self.send_template_sms(mobile, [code, str(minutes)], template_id)

    def send_template_sms(self, to: str, datas: list[str], template_id: str) -> dict:
        """Send one template SMS and return the vendor's parsed reply.

        Raises SmsTemporaryError when the outcome is unknown or the vendor is
        unavailable (retry later), SmsSendError when the vendor refused it.
        """
        if not isinstance(to, str) or not to:
            raise ValueError("to must be a non-empty string")
        if not all(isinstance(item, str) for item in datas):
            # The vendor rejects numbers in datas; catch the mistake before it costs a request.
            raise TypeError("datas must be a list of strings")
        masked = mask_mobile(to)
        reply = self._post_template_sms(to, datas, str(template_id), masked)
        status_code = str(reply.get("statusCode", ""))
        if status_code != SUCCESS:
            status_msg = str(reply.get("statusMsg", ""))
            logger.warning(
                "Yuntongxun refused SMS to=%s template=%s statusCode=%s statusMsg=%s",
                masked,
                template_id,
                status_code,
                status_msg,
            )
            error_class = (
                SmsTemporaryError if status_code in _TEMPORARY_STATUS_CODES else SmsSendError
            )
            raise error_class(f"Yuntongxun refused the SMS: {status_msg}", status_code or None)
        template_sms = reply.get("templateSMS")
        message_sid = template_sms.get("smsMessageSid") if isinstance(template_sms, dict) else None
        logger.info(
            "Yuntongxun accepted SMS to=%s template=%s statusCode=%s smsMessageSid=%s",
            masked,
            template_id,
            status_code,
            message_sid,
        )
        return reply

    def _post_template_sms(
        self, to: str, datas: list[str], template_id: str, masked: str
    ) -> dict[str, Any]:
        """One HTTP round trip; returns the JSON object or raises a classified error."""
        timestamp = beijing_timestamp()
        sig = urlencode({"sig": sign(self.account_sid, self._auth_token, timestamp)})
        headers = {
            "Accept": "application/json",
            "Content-Type": "application/json;charset=utf-8",
            "Authorization": auth_header(self.account_sid, timestamp),
        }
        body = {"to": to, "appId": self.app_id, "templateId": template_id, "datas": datas}
        try:
            response = self._pool.request(
                "POST",
                f"{self._url}?{sig}",
                body=json.dumps(body).encode("utf-8"),
                headers=headers,
                # A redirect would carry the signature to another host; treat it as an error.
                redirect=False,
            )
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            # Only the class name: str(exc) may contain the URL, hence the signature.
            kind = type(exc).__name__
            logger.warning(
                "Yuntongxun unreachable to=%s template=%s error=%s", masked, template_id, kind
            )
            # "from None": a chained traceback would print the URL with the signature.
            raise SmsTemporaryError(f"Yuntongxun request failed: {kind}") from None

        http_status = response.status
        if http_status >= 500 or http_status == 429:
            logger.warning(
                "Yuntongxun unavailable to=%s template=%s http_status=%s",
                masked,
                template_id,
                http_status,
            )
            raise SmsTemporaryError(f"Yuntongxun answered HTTP {http_status}")

        try:
            reply = json.loads(response.data)
        except ValueError:
            reply = None
        if not isinstance(reply, dict):
            if http_status != 200:
                # e.g. a 404 HTML page from a wrong base URL: a configuration error.
                logger.warning(
                    "Yuntongxun unexpected reply to=%s template=%s http_status=%s",
                    masked,
                    template_id,
                    http_status,
                )
                raise SmsSendError(f"Yuntongxun answered HTTP {http_status} without a status")
            # A 200 we cannot read: the message may or may not be out; let the caller retry.
            logger.warning("Yuntongxun unparseable reply to=%s template=%s", masked, template_id)
            raise SmsTemporaryError("Yuntongxun reply is not a JSON object")
        if http_status != 200 and str(reply.get("statusCode", "")) == SUCCESS:
            # The protocol's success is HTTP 200 *and* 000000; anything else is suspect.
            raise SmsSendError(f"Yuntongxun answered HTTP {http_status} with a success status")
        return reply
