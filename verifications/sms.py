"""The one seam through which web code sends a verification code (the idea of
allauth's adapter.send_verification_code_sms): the code's SMS goes into the outbox, in
the same step as the code itself (services.issue_sms_code's script), and the worker is
woken to send it; only celery_tasks knows the vendor."""

import logging

from celery.utils import uuid
from kombu.exceptions import OperationalError as BrokerError

from celery_tasks.sms import outbox
from celery_tasks.sms.tasks import deliver_sms_outbox
from core import logs
from core.masking import mask_mobile

logger = logging.getLogger(__name__)

OutboxEntry = outbox.Entry
OUTBOX_ADD_LUA = outbox.ADD_LUA


class SmsQueueUnavailable(Exception):
    """The broker did not take the wake-up: the SMS was taken back out of the outbox."""


def outbox_entry(mobile: str, code: str, purpose: str) -> OutboxEntry:
    """The SMS of `code` for `purpose` (an SmsRecord.Purpose), for the outbox."""
    return outbox.new_entry(uuid(), mobile, code, str(purpose), logs.current_request_id() or "")


def outbox_keys() -> list[str]:
    """The outbox's stream and its wake flag, for a script that adds to it."""
    return [outbox.stream_key(), outbox.wake_key()]


def outbox_args(entry: OutboxEntry) -> list[str | int]:
    """The entry and the wake flag's lifetime (ms), for the same script."""
    return [entry.packed(), outbox.WAKE_TTL * 1000]


def wake_sender(mobile: str, stream_id: str) -> None:
    """Publish the worker's wake-up for the SMS to `mobile` just added as `stream_id`; if
    the broker does not take it, take the SMS back out and raise SmsQueueUnavailable."""
    try:
        deliver_sms_outbox.apply_async()
    except BrokerError as exc:
        logger.exception("could not wake the SMS worker for %s", mask_mobile(mobile))
        outbox.withdraw(stream_id)
        raise SmsQueueUnavailable from exc
