"""The one seam through which web code sends a verification code (the idea of
allauth's adapter.send_verification_code_sms): it hands the code to the Celery task;
only the task and its backends know the vendor.

Two ways to hand it over. When the broker is the Redis that keeps the codes (the default),
`queued_sms` gives the task's message ready made, and the script that issues the code
pushes it in the same round trip (celery_tasks/sms/enqueue.py says why). With any other
broker, `send_verification_code_sms` publishes it through Celery once the code is issued."""

import logging

from kombu.exceptions import OperationalError as BrokerError

from celery_tasks.sms.enqueue import RedisMessage, redis_message, send_task_reprs
from celery_tasks.sms.tasks import ccp_send_sms_code
from core.masking import mask_mobile

logger = logging.getLogger(__name__)


class SmsQueueUnavailable(Exception):
    """The broker did not take the message: nothing was queued."""


def send_verification_code_sms(mobile: str, code: str, purpose: str = "register") -> None:
    """Queue the SMS of `code` for `purpose` (an SmsRecord.Purpose, recorded by the task)."""
    try:
        ccp_send_sms_code.apply_async(
            (mobile, code), {"purpose": str(purpose)}, **send_task_reprs(mobile, str(purpose))
        )
    except BrokerError as exc:
        logger.exception("could not queue the SMS for %s", mask_mobile(mobile))
        raise SmsQueueUnavailable from exc


def queued_sms(mobile: str, code: str, purpose: str = "register") -> RedisMessage | None:
    """The SMS of `code` as a message for the codes' Redis to queue with the code, or
    None when the broker is elsewhere (then send_verification_code_sms publishes it)."""
    return redis_message(mobile, code, str(purpose))
