"""The claim that makes a send idempotent, and the marks that close a record."""

import uuid
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection
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


def batch(count: int) -> list[tuple]:
    expires = timezone.now() + timedelta(minutes=5)
    return [(str(uuid.uuid4()), unique_mobile(), "login", expires) for _ in range(count)]


def test_a_batch_opens_every_record_already_claimed():
    messages = batch(3)

    records.claim_new(messages, LEASE)

    stored = SmsRecord.objects.filter(task_id__in=[m[0] for m in messages])
    assert {(r.status, r.attempts, r.purpose) for r in stored} == {("queued", 1, "login")}
    assert all(r.claimed_until > timezone.now() for r in stored)
    # A redelivered copy finds the batch's claim and waits it out.
    assert records.claim(*messages[0], LEASE, first_try=False)[0] is records.Claim.BUSY


def test_a_batch_with_one_known_message_writes_nothing():
    known, *fresh = batch(3)
    records.claim_new([known], LEASE)

    with pytest.raises(IntegrityError):
        records.claim_new([*fresh, known], LEASE)

    assert not SmsRecord.objects.filter(task_id__in=[m[0] for m in fresh]).exists()


def test_marking_a_batch_sent_moves_only_open_records():
    first, second = batch(2)
    records.claim_new([first, second], LEASE)
    records.mark_failed(second[0], "160042 号码格式有误")

    records.mark_sent_many([(first[0], "sid-1"), (second[0], "sid-2")])

    assert dict(
        SmsRecord.objects.values_list("task_id", "status").filter(task_id__in=[first[0], second[0]])
    ) == {first[0]: "sent", second[0]: "failed"}
    assert SmsRecord.objects.get(task_id=first[0]).vendor_message_id == "sid-1"
