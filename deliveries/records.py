"""The life of an SmsRecord: opened when the worker first sees a message, claimed
before each call to the vendor, closed as sent, failed or expired.

The claim is what makes a send idempotent: a redelivered or retried message finds
the record sent and stops, or finds another worker's claim and waits it out.
"""

import enum
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from core.masking import mask_mobile
from deliveries.models import SmsRecord

Status = SmsRecord.Status
OPEN = (Status.QUEUED, Status.RETRYING)
ERROR_LENGTH = SmsRecord._meta.get_field("error").max_length


def mobile_digest(mobile: str) -> str:
    """What lets the admin find a full number without the database keeping it."""
    return salted_hmac("deliveries.mobile", mobile, algorithm="sha256").hexdigest()


def open_record(
    task_id: str,
    mobile: str,
    purpose: str,
    expires_at: datetime,
    status: str = Status.QUEUED,
) -> SmsRecord:
    """The record of this message, created on first sight (a redelivery finds it)."""
    defaults = {
        "mobile": mask_mobile(mobile),
        "mobile_digest": mobile_digest(mobile),
        "purpose": purpose,
        "expires_at": expires_at,
        "status": status,
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


def claim(record: SmsRecord, lease: timedelta) -> tuple[Claim, SmsRecord]:
    """Take the right to call the vendor for this record, for `lease` at most."""
    now = timezone.now()
    taken = SmsRecord.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        pk=record.pk,
        status__in=OPEN,
    ).update(claimed_until=now + lease, attempts=F("attempts") + 1, updated_at=now)
    record.refresh_from_db()
    if taken:
        return Claim.GRANTED, record
    if record.status in OPEN:
        return Claim.BUSY, record
    return Claim.DONE, record


def _release(record_id: int, **fields) -> None:
    # Only an open record moves: a late worker never turns "sent" back into "retrying".
    SmsRecord.objects.filter(pk=record_id, status__in=OPEN).update(
        claimed_until=None, updated_at=timezone.now(), **fields
    )


def mark_sent(record_id: int, vendor_message_id: str | None) -> None:
    _release(
        record_id,
        status=Status.SENT,
        sent_at=timezone.now(),
        vendor_message_id=vendor_message_id or "",
        error="",
    )


def mark_retrying(record_id: int, error: str) -> None:
    _release(record_id, status=Status.RETRYING, error=error[:ERROR_LENGTH])


def mark_failed(record_id: int, error: str) -> None:
    _release(record_id, status=Status.FAILED, error=error[:ERROR_LENGTH])


def mark_expired(record_id: int, error: str) -> None:
    _release(record_id, status=Status.EXPIRED, error=error[:ERROR_LENGTH])
