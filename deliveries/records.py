"""The life of an SmsRecord: opened (already claimed) when the worker first sees a
message, claimed again before each later call to the vendor, closed as sent, failed or
expired.

The worker's hot path is two statements per SMS, written as plain SQL: the INSERT that
opens and claims the record, and the UPDATE that marks it sent: through the ORM the
same two cost about three times the CPU (compiling the queries, preparing each field).
Plain lower-case names, quoted nowhere, plain str values and datetimes adapted by the
backend: the same SQL on SQLite, PostgreSQL and MariaDB/MySQL.

The claim is what makes a send idempotent: a redelivered or retried message finds
the record sent and stops, or finds another worker's claim and waits it out.
"""

import enum
from contextlib import nullcontext
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from core.masking import mask_mobile
from deliveries.models import SmsRecord

Status = SmsRecord.Status
OPEN = (Status.QUEUED, Status.RETRYING)
ERROR_LENGTH = SmsRecord._meta.get_field("error").max_length

# SmsRecord's table and columns (models.py), by name.
_INSERT_CLAIMED = (
    "INSERT INTO tb_sms_records (task_id, mobile, mobile_digest, purpose, status, attempts,"
    " vendor_message_id, error, created_at, updated_at, expires_at, claimed_until)"
    " VALUES (%s, %s, %s, %s, %s, 1, '', '', %s, %s, %s, %s)"
)
_MARK_SENT = (
    "UPDATE tb_sms_records SET status = %s, claimed_until = NULL, updated_at = %s, sent_at = %s,"
    " vendor_message_id = %s, error = '' WHERE task_id = %s AND status IN (%s, %s)"
)


def mobile_digest(mobile: str) -> str:
    """What lets the admin find a full number without the database keeping it."""
    return salted_hmac("deliveries.mobile", mobile, algorithm="sha256").hexdigest()


def open_record(task_id: str, mobile: str, purpose: str, expires_at: datetime) -> SmsRecord:
    """The record of this message, created queued on first sight (a redelivery finds it)."""
    defaults = {
        "mobile": mask_mobile(mobile),
        "mobile_digest": mobile_digest(mobile),
        "purpose": purpose,
        "expires_at": expires_at,
    }
    try:
        with transaction.atomic():
            record, _ = SmsRecord.objects.get_or_create(task_id=task_id, defaults=defaults)
    except IntegrityError:
        # Two deliveries of one message raced to create it: the other one won.
        record = SmsRecord.objects.get(task_id=task_id)
    return record


class Claim(enum.Enum):
    GRANTED = "granted"  # ours: call the vendor
    DONE = "done"  # sent, failed or expired already: nothing to do
    BUSY = "busy"  # another worker is calling the vendor for it right now


def claim(
    task_id: str,
    mobile: str,
    purpose: str,
    expires_at: datetime,
    lease: timedelta,
    *,
    first_try: bool = True,
) -> tuple[Claim, SmsRecord]:
    """Open the message's record if need be and take the right to call the vendor for it,
    for `lease` at most.

    A message's first try creates its record already claimed: one INSERT, and the record
    returned is built in memory (task_id, status, attempts, expires_at, claimed_until; no
    pk: records are addressed by task_id). A retry, or a redelivery that finds the record,
    claims it with one conditional UPDATE instead, and reads it back.
    """
    now = timezone.now()
    if first_try:
        adapt = connection.ops.adapt_datetimefield_value
        params = [
            *(task_id, mask_mobile(mobile), mobile_digest(mobile), purpose, Status.QUEUED.value),
            *(adapt(now), adapt(now), adapt(expires_at), adapt(now + lease)),
        ]
        try:
            # A savepoint inside a caller's transaction keeps it usable after a duplicate
            # key; the worker has none, and its INSERT is a transaction of its own.
            with transaction.atomic() if connection.in_atomic_block else nullcontext():
                with connection.cursor() as cursor:
                    cursor.execute(_INSERT_CLAIMED, params)
            record = SmsRecord(
                task_id=task_id,
                status=Status.QUEUED,
                attempts=1,
                expires_at=expires_at,
                claimed_until=now + lease,
            )
            return Claim.GRANTED, record
        except IntegrityError:
            pass  # a redelivered message: its record exists
    taken = SmsRecord.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        task_id=task_id,
        status__in=OPEN,
    ).update(claimed_until=now + lease, attempts=F("attempts") + 1, updated_at=now)
    try:
        record = SmsRecord.objects.get(task_id=task_id)
    except SmsRecord.DoesNotExist:
        # A retry whose first try never wrote its record (the database was away then).
        return claim(task_id, mobile, purpose, expires_at, lease)
    if taken:
        return Claim.GRANTED, record
    if record.status in OPEN:
        return Claim.BUSY, record
    return Claim.DONE, record


def claim_new(messages: list[tuple[str, str, str, datetime]], lease: timedelta) -> None:
    """open_record and claim for many first sights at once: (task id, mobile, purpose,
    expiry) each, one executemany of the INSERT, in one transaction. Raises
    IntegrityError, having written nothing, if any of them has a record already."""
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    claimed_until = now + lease
    stamps = (adapt(now), adapt(now))
    rows = [
        (task_id, mask_mobile(mobile), mobile_digest(mobile), purpose, Status.QUEUED.value)
        + stamps
        + (adapt(expires_at), adapt(claimed_until))
        for task_id, mobile, purpose, expires_at in messages
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(_INSERT_CLAIMED, rows)


def mark_sent_many(sent: list[tuple[str, str | None]]) -> None:
    """mark_sent for many (task id, vendor message id) pairs, in one transaction."""
    if not sent:
        return
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    open_statuses = [status.value for status in OPEN]
    rows = [
        [Status.SENT.value, now, now, message_id or "", task_id, *open_statuses]
        for task_id, message_id in sent
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(_MARK_SENT, rows)


def mark_sent(task_id: str, vendor_message_id: str | None) -> None:
    """The vendor took it. Like every mark, this moves only an open record: a late worker
    never turns "sent" back into "retrying"."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params = [Status.SENT.value, now, now, vendor_message_id or "", task_id]
    with connection.cursor() as cursor:
        cursor.execute(_MARK_SENT, params + [status.value for status in OPEN])


def _release(task_id: str, **fields) -> None:
    SmsRecord.objects.filter(task_id=task_id, status__in=OPEN).update(
        claimed_until=None, updated_at=timezone.now(), **fields
    )


def mark_retrying(task_id: str, error: str) -> None:
    _release(task_id, status=Status.RETRYING, error=error[:ERROR_LENGTH])


def mark_failed(task_id: str, error: str) -> None:
    _release(task_id, status=Status.FAILED, error=error[:ERROR_LENGTH])


def mark_expired(task_id: str, error: str) -> None:
    _release(task_id, status=Status.EXPIRED, error=error[:ERROR_LENGTH])
