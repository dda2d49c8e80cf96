"""The one seam through which web code sends a verification code (the idea of
allauth's adapter.send_verification_code_sms): it hands the code to the Celery task;
only the task and its backends know the vendor."""

import logging

from kombu.exceptions import OperationalError as BrokerError

from celery_tasks.sms.tasks import ccp_send_sms_code
from core.masking import mask_mobile

logger = logging.getLogger(__name__)


class SmsQueueUnavailable(Exception):
    """The broker did not take the message: nothing was queued."""


def send_verification_code_sms(mobile: str, code: str, purpose: str = "register") -> None:
    """Queue the SMS of `code` for `purpose` (an SmsRecord.Purpose, recorded by the task)."""
    try:
        ccp_send_sms_code.delay(mobile, code, purpose=str(purpose))
    except BrokerError as exc:
        logger.exception("could not queue the SMS for %s", mask_mobile(mobile))
        raise SmsQueueUnavailable from exc
