import logging

from django.conf import settings

from celery_tasks.main import celery_app
from celery_tasks.sms.backends import get_sms_backend
from celery_tasks.sms.errors import SmsTemporaryError

logger = logging.getLogger(__name__)


@celery_app.task(
    name="ccp_send_sms_code",
    # Only failures worth retrying; a refusal by the vendor is final.
    autoretry_for=(SmsTemporaryError,),
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=5,
    # A code older than its lifetime is useless: drop the message rather than send it late.
    expires=settings.SMS_CODE_EXPIRES,
)
def ccp_send_sms_code(mobile: str, sms_code: str) -> None:
    """Send a verification code. A retry resends the same code, so a duplicate is harmless."""
    get_sms_backend().send_verification_code(mobile, sms_code, settings.SMS_CODE_EXPIRES // 60)
