"""Where an SMS goes: one interface, chosen by settings.SMS_BACKEND."""

import functools
import logging
import os
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

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


@functools.cache
def get_sms_backend() -> SmsBackend:
    """The process's backend, built once: the vendor client keeps its connections open
    (keep-alive) from one send to the next, and its threads share them."""
    try:
        backend_class = BACKENDS[settings.SMS_BACKEND]
    except KeyError:
        raise ImproperlyConfigured(
            f"SMS_BACKEND={settings.SMS_BACKEND!r}; choose one of {', '.join(BACKENDS)}"
        ) from None
    return backend_class()


def _forget_backend(*, setting: str, **kwargs: object) -> None:
    # Tests change the backend or the vendor's settings: build it again from the new ones.
    if setting == "SMS_BACKEND" or setting.startswith("YUNTONGXUN_"):
        get_sms_backend.cache_clear()


setting_changed.connect(_forget_backend)
# A forked child (prefork pool) must open connections of its own, never share its parent's.
os.register_at_fork(after_in_child=get_sms_backend.cache_clear)
