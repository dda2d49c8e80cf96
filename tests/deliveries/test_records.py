"""The claim that makes a send idempotent, and the marks that close a record."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from deliveries import records
from deliveries.models import SmsRecord
from tests.helpers import unique_mobile

pytestmark = pytest.mark.django_db
LEASE = timedelta(seconds=30)


def claim(task_id: str, mobile: str = "13812345678", **options) -> tuple:
    expires = timezone.now() + timedelta(minutes=5)
    return records.claim(task_id, mobile, "register", expires, LEASE, **options)


def test_the_first_try_opens_the_record_already_claimed():
    task_id, mobile = str(uuid.uuid4()), unique_mobile()

    outcome, record = claim(task_id, mobile)

    assert outcome is records.Claim.GRANTED
    stored = SmsRecord.objects.get(task_id=task_id)
    assert (stored.status, stored.attempts, stored.purpose) == ("queued", 1, "register")
    assert stored.mobile == f"{mobile[:3]}****{mobile[-4:]}"
    assert stored.mobile_digest == records.mobile_digest(mobile)
    assert stored.claimed_until > timezone.now() + LEASE - timedelta(seconds=5)
    assert stored.expires_at == record.expires_at and stored.claimed_until == record.claimed_until


def test_a_redelivery_during_a_live_claim_is_busy_and_changes_nothing():
    task_id = str(uuid.uuid4())
    claim(task_id)

    outcome, record = claim(task_id)

    assert outcome is records.Claim.BUSY and record.claimed_until > timezone.now()
    assert SmsRecord.objects.get(task_id=task_id).attempts == 1


def test_a_sent_record_is_done_and_no_late_mark_moves_it():
    task_id = str(uuid.uuid4())
    claim(task_id)
    records.mark_sent(task_id, "vendor-sid-1")

    outcome, _ = claim(task_id)
    records.mark_retrying(task_id, "late")
    records.mark_expired(task_id, "late")

    assert outcome is records.Claim.DONE
    stored = SmsRecord.objects.get(task_id=task_id)
    assert (stored.status, stored.vendor_message_id, stored.error) == ("sent", "vendor-sid-1", "")
    assert stored.sent_at is not None and stored.claimed_until is None


def test_a_retry_claims_again_and_counts_the_try():
    task_id = str(uuid.uuid4())
    claim(task_id)
    records.mark_retrying(task_id, "HTTP 503")

    outcome, record = claim(task_id, first_try=False)
    records.mark_sent(task_id, None)

    assert outcome is records.Claim.GRANTED and record.attempts == 2
    stored = SmsRecord.objects.get(task_id=task_id)
    assert (stored.status, stored.attempts, stored.error) == ("sent", 2, "")


def test_a_claim_whose_lease_ran_out_is_taken_over():
    # The worker holding it died mid-send: the redelivery may send (at least once).
    task_id = str(uuid.uuid4())
    claim(task_id)
    SmsRecord.objects.filter(task_id=task_id).update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )

    outcome, record = claim(task_id)

    assert outcome is records.Claim.GRANTED and record.attempts == 2


def test_a_retry_without_a_record_opens_one():
    # Its first try failed before the record was written (the database was away).
    task_id = str(uuid.uuid4())

    outcome, record = claim(task_id, first_try=False)

    assert outcome is records.Claim.GRANTED and record.attempts == 1
    assert SmsRecord.objects.filter(task_id=task_id).exists()


def test_a_duplicate_inside_a_transaction_leaves_it_usable():
    task_id = str(uuid.uuid4())
    claim(task_id)

    assert connection.in_atomic_block  # pytest-django's test transaction
    assert claim(task_id)[0] is records.Claim.BUSY
    assert SmsRecord.objects.filter(task_id=task_id).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_outside_a_transaction_is_busy_too():
    # The worker's case: autocommit, no savepoint around the INSERT.
    task_id = str(uuid.uuid4())
    claim(task_id)

    assert not connection.in_atomic_block
    assert claim(task_id)[0] is records.Claim.BUSY
    assert SmsRecord.objects.get(task_id=task_id).attempts == 1
