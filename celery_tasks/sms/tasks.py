"""The SMS task: at least once, idempotent, retried for as long as the code lives."""

import logging
import random
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import task_revoked
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from celery_tasks.main import celery_app
from celery_tasks.sms.backends import get_sms_backend
from celery_tasks.sms.errors import SmsSendError, SmsTemporaryError
from core import metrics
from core.masking import mask_mobile
from deliveries import records
from deliveries.models import SmsRecord

logger = logging.getLogger(__name__)

# Exponential backoff between tries: 1, 2, 4, 8, 16, then 20 s, each jittered down to
# half so that a queue of codes failed together does not come back together. The
# maximum must stay below the Redis visibility timeout minus the time limit (config.py).
RETRY_BACKOFF_BASE = 1
RETRY_BACKOFF_MAX = 20


def retry_countdown(retries: int) -> float:
    ceiling = min(RETRY_BACKOFF_MAX, RETRY_BACKOFF_BASE * 2**retries)
    return random.uniform(ceiling / 2, ceiling)


def claim_lease() -> timedelta:
    """How long one try may hold a record: the hard time limit, plus slack."""
    return timedelta(seconds=celery_app.conf.task_time_limit + 5)


def code_expires_at(expires: datetime | str | None) -> datetime:
    """The message's expiry (set by the producer: the code's lifetime), else now + lifetime."""
    if isinstance(expires, str):
        expires = datetime.fromisoformat(expires)
    return expires or timezone.now() + timedelta(seconds=settings.SMS_CODE_EXPIRES)


@celery_app.task(
    bind=True,
    name="ccp_send_sms_code",
    # The database being away is worth waiting for, like the vendor (the code lives on).
    autoretry_for=(DatabaseError,),
    retry_backoff=RETRY_BACKOFF_BASE,
    retry_backoff_max=RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=None,  # bounded by the code's lifetime instead (expires)
    # A message still queued when its code is dead is dropped unsent (and recorded).
    expires=settings.SMS_CODE_EXPIRES,
)
def ccp_send_sms_code(
    self, mobile: str, sms_code: str, purpose: str = SmsRecord.Purpose.REGISTER
) -> None:
    """Send a verification code once, retrying transient failures until the code expires."""
    outcome, record = records.claim(
        self.request.id,
        mobile,
        purpose,
        code_expires_at(self.request.expires),
        claim_lease(),
        first_try=not self.request.retries,
    )
    if outcome is records.Claim.DONE:
        logger.info("SMS %s already %s, not sent again", record.task_id, record.status)
        return
    if outcome is records.Claim.BUSY:
        # A redelivered copy while the first is still with the vendor: look again later.
        wait = (record.claimed_until - timezone.now()).total_seconds() + 1
        raise self.retry(countdown=max(wait, 1))

    try:
        message_id = get_sms_backend().send_verification_code(
            mobile, sms_code, settings.SMS_CODE_EXPIRES // 60
        )
    except (SmsTemporaryError, SoftTimeLimitExceeded) as exc:
        error = str(exc) or type(exc).__name__
        countdown = retry_countdown(self.request.retries)
        if timezone.now() + timedelta(seconds=countdown) >= record.expires_at:
            records.mark_expired(record.task_id, error)
            metrics.sms("expired", purpose)
            logger.error(
                "SMS to %s given up: the code expires before the next try (%s)",
                mask_mobile(mobile),
                error,
            )
            return
        records.mark_retrying(record.task_id, error)
        metrics.sms("retried", purpose)
        raise self.retry(countdown=countdown, exc=exc) from None
    except SmsSendError as exc:
        records.mark_failed(record.task_id, str(exc))
        metrics.sms("failed", purpose)
        raise
    records.mark_sent(record.task_id, message_id)
    metrics.sms("sent", purpose)


@task_revoked.connect(sender=ccp_send_sms_code)
def record_expired_message(request, expired: bool = False, **kwargs) -> None:
    """The worker drops a message whose code expired in the queue: say so in its record."""
    if not expired:
        return
    args = list(request.args or [])
    if not args:
        return
    purpose = (request.kwargs or {}).get("purpose", SmsRecord.Purpose.REGISTER)
    # Opened as queued, so that mark_expired (which moves only open records) writes the reason.
    record = records.open_record(request.id, args[0], purpose, code_expires_at(request.expires))
    records.mark_expired(record.task_id, "验证码在队列中过期，未发送")
    metrics.sms("expired", purpose)
