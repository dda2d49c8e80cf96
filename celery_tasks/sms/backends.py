"""Where an SMS goes: one interface, chosen by settings.SMS_BACKEND."""

import logging
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from celery_tasks.sms.yuntongxun.ccp_sms import CCP

logger = logging.getLogger(__name__)


class SmsBackend(Protocol):
    def send_verification_code(self, mobile: str, code: str, minutes: int) -> str | None:
        """Send `code` to `mobile` and return the vendor's message id (None if it gives
        none); raise SmsSendError (or SmsTemporaryError) on failure."""


class ConsoleSmsBackend:
    """Development: the code goes to the worker's log instead of a phone."""

    def send_verification_code(self, mobile: str, code: str, minutes: int) -> None:
        logger.warning("[SMS] mobile=%s sms_code=%s (valid %d min)", mobile, code, minutes)
        return None


class YuntongxunSmsBackend:
    def __init__(self, client: CCP | None = None, template_id: str | None = None) -> None:
        self.client = client or CCP.from_settings()
        self.template_id = template_id or settings.YUNTONGXUN_TEMPLATE_ID

    def send_verification_code(self, mobile: str, code: str, minutes: int) -> str | None:
        reply = self.client.send_sms_code(mobile, code, minutes, self.template_id)
        template_sms = reply.get("templateSMS")
        return template_sms.get("smsMessageSid") if isinstance(template_sms, dict) else None


BACKENDS: dict[str, type[SmsBackend]] = {
    "console": ConsoleSmsBackend,
    "yuntongxun": YuntongxunSmsBackend,
}


def get_sms_backend() -> SmsBackend:
    try:
        backend_class = BACKENDS[settings.SMS_BACKEND]
    except KeyError:
        raise ImproperlyConfigured(
            f"SMS_BACKEND={settings.SMS_BACKEND!r}; choose one of {', '.join(BACKENDS)}"
        ) from None
    return backend_class()
