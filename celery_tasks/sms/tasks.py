"""The SMS tasks: `deliver_sms_outbox` sends what the outbox holds, a batch at a time;
`ccp_send_sms_code` sends one SMS and retries it for as long as its code lives: the
batch hands it every SMS that needs more than one plain try. At least once, idempotent.
"""

import functools
import logging
import os
import random
import socket
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import task_revoked, worker_ready
from celery.worker import state as worker_state
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from celery_tasks.logs import REQUEST_ID_HEADER
from celery_tasks.main import celery_app
from celery_tasks.sms import outbox
from celery_tasks.sms.backends import get_sms_backend
from celery_tasks.sms.errors import SmsSendError, SmsTemporaryError
from core import logs, metrics
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
    record_expired(request.id, args[0], purpose, code_expires_at(request.expires))


# --- The outbox, a batch at a time ---------------------------------------------------------

# Sends in flight at once: the rate wanted times the vendor's latency (1,000 SMS/s at
# 16 ms). The vendor client keeps as many connections open (ccp_sms.POOL_SIZE).
SEND_CONCURRENCY = 16
# One run of deliver_sms_outbox takes batches for this long at most, then hands over to
# a fresh run: a worker's warm shutdown waits for one batch, not for an endless queue.
RUN_SECONDS = 2.0


@functools.cache
def _senders() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(SEND_CONCURRENCY, thread_name_prefix="sms-send")


os.register_at_fork(after_in_child=_senders.cache_clear)


def batch_lease(count: int) -> timedelta:
    """How long a batch of `count` may hold its records: every round of sends timing out
    on connect and on read, plus slack. Shorter than outbox.RECLAIM_IDLE at outbox.BATCH."""
    rounds = -(-count // SEND_CONCURRENCY)
    return timedelta(seconds=rounds * 2 * settings.YUNTONGXUN_TIMEOUT + 5)


@celery_app.task(
    name="deliver_sms_outbox",
    # A batch whose every send times out takes batch_lease(BATCH); never cut one short.
    soft_time_limit=outbox.RECLAIM_IDLE,
    time_limit=outbox.RECLAIM_IDLE + 5,
)
def deliver_sms_outbox() -> int:
    """Send the outbox's SMS until it is empty (or RUN_SECONDS have passed: then a new
    run carries on); entries a dead consumer left are handed to ccp_send_sms_code."""
    box = outbox.Outbox(f"{socket.gethostname()}-{os.getpid()}")
    stale = box.reclaim()
    hand_on(stale)
    box.done(stale)
    delivered = 0
    deadline = time.monotonic() + RUN_SECONDS
    try:
        while entries := box.take():
            deliver(entries)
            box.done(entries)
            delivered += len(entries)
            if time.monotonic() > deadline or worker_state.should_stop:
                # The wake flag is still held: nobody else publishes the next run.
                deliver_sms_outbox.apply_async()
                return delivered
    finally:
        # Entries left taken (a batch that failed here, or a consumer that died): look
        # again once they count as stale, whether or not anyone adds an SMS meanwhile.
        if box.pending():
            deliver_sms_outbox.apply_async(countdown=outbox.RECLAIM_IDLE + 1)
    return delivered


def deliver(entries: list[outbox.Entry]) -> None:
    """One try each, SEND_CONCURRENCY at a time, for entries first taken now; what needs
    more goes to ccp_send_sms_code. Sends are recorded as they finish, a group at a time:
    a worker killed mid-batch sends again only what was in flight."""
    now = time.time()
    for entry in entries:
        if entry.expires <= now:
            record_expired(entry.task_id, entry.mobile, entry.purpose, entry.expires_at)
    live = [entry for entry in entries if entry.expires > now]
    if not live:
        return
    try:
        records.claim_new(
            [(e.task_id, e.mobile, e.purpose, e.expires_at) for e in live], batch_lease(len(live))
        )
    except DatabaseError:
        # The database is away, or one of them has a record already (a copy): one task
        # each, which waits for the database and reads each record.
        logger.warning("%d SMS handed on one by one: their records could not be opened", len(live))
        hand_on(live)
        return
    sending = {_senders().submit(_send_once, entry): entry for entry in live}
    in_flight = set(sending)
    while in_flight:
        finished, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
        settle([(sending[future], future.result()) for future in finished])


def settle(outcomes: list[tuple[outbox.Entry, str | None | Exception]]) -> None:
    """Record what came of these sends; hand the ones worth another try on."""
    sent, again = [], []
    for entry, outcome in outcomes:
        if isinstance(outcome, SmsSendError) and not isinstance(outcome, SmsTemporaryError):
            records.mark_failed(entry.task_id, str(outcome))
            metrics.sms("failed", entry.purpose)
            logger.error("SMS to %s refused by the vendor: %s", mask_mobile(entry.mobile), outcome)
        elif isinstance(outcome, Exception):
            records.mark_retrying(entry.task_id, str(outcome) or type(outcome).__name__)
            metrics.sms("retried", entry.purpose)
            again.append(entry)
        else:
            sent.append((entry.task_id, outcome))
            metrics.sms("sent", entry.purpose)
    records.mark_sent_many(sent)
    hand_on(again, countdown=retry_countdown(0))


def _send_once(entry: outbox.Entry) -> str | None | Exception:
    with logs.log_context(entry.request_id or None, entry.task_id):
        try:
            return get_sms_backend().send_verification_code(
                entry.mobile, entry.code, settings.SMS_CODE_EXPIRES // 60
            )
        except Exception as exc:  # a bug too: ccp_send_sms_code's try will raise it
            return exc


def hand_on(entries: list[outbox.Entry], countdown: float | None = None) -> None:
    """One ccp_send_sms_code each, under the entry's task id (its SmsRecord's) and expiry."""
    for entry in entries:
        ccp_send_sms_code.apply_async(
            (entry.mobile, entry.code),
            {"purpose": entry.purpose},
            task_id=entry.task_id,
            expires=entry.expires_at,
            countdown=countdown,
            headers={REQUEST_ID_HEADER: entry.request_id} if entry.request_id else None,
            argsrepr=repr((mask_mobile(entry.mobile), "******")),
            kwargsrepr=repr({"purpose": entry.purpose}),
        )


def record_expired(task_id: str, mobile: str, purpose: str, expires_at: datetime) -> None:
    # Opened as queued, so that mark_expired (which moves only open records) writes the reason.
    record = records.open_record(task_id, mobile, purpose, expires_at)
    records.mark_expired(record.task_id, "验证码在队列中过期，未发送")
    metrics.sms("expired", purpose)


@worker_ready.connect
def wake_on_start(sender: object = None, **kwargs: object) -> None:
    """A worker that starts looks at the outbox: what waited for it is sent now."""
    deliver_sms_outbox.apply_async()
