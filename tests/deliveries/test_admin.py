"""The operator's view of SMS records: staff only, masked numbers, found by the full number."""

import io
import re
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from deliveries import records
from deliveries.models import SmsRecord
from tests.helpers import PASSWORD, unique_mobile

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/deliveries/smsrecord/"


def sent_record(mobile: str) -> SmsRecord:
    _, record = records.claim(
        str(uuid.uuid4()),
        mobile,
        "register",
        timezone.now() + timedelta(minutes=5),
        timedelta(seconds=30),
    )
    records.mark_sent(record.task_id, "vendor-sid-42")
    return SmsRecord.objects.get(task_id=record.task_id)


@pytest.fixture
def staff_client(client):
    get_user_model().objects.create_superuser(
        "operator", "ops@example.com", PASSWORD, mobile="13700000000"
    )
    client.login(username="operator", password=PASSWORD)
    return client


def test_the_operator_finds_a_shoppers_record_by_the_full_number(staff_client):
    mobile, other = unique_mobile(), unique_mobile()
    sent_record(mobile)
    sent_record(other)

    page = staff_client.get(CHANGELIST, {"q": mobile}).content.decode()
    # What the rows show (their links carry the query back, as every admin link does).
    results = re.sub(r"<[^>]+>", " ", page[page.index("<tbody>") : page.index("</tbody>")])

    assert f"{mobile[:3]}****{mobile[-4:]}" in results
    assert f"{other[:3]}****{other[-4:]}" not in results
    assert "vendor-sid-42" in results and "已发送" in results
    assert mobile not in results


def test_the_record_keeps_no_full_number_and_no_code():
    mobile = unique_mobile()
    record = sent_record(mobile)

    stored = " ".join(
        str(value) for value in SmsRecord.objects.filter(pk=record.pk).values()[0].values()
    )
    assert mobile not in stored


def test_records_are_read_only_in_the_admin(staff_client):
    record = sent_record(unique_mobile())

    assert staff_client.get(f"{CHANGELIST}add/").status_code == 403
    response = staff_client.post(f"{CHANGELIST}{record.pk}/change/", {"status": "failed"})
    assert response.status_code == 403
    assert SmsRecord.objects.get(pk=record.pk).status == "sent"


def test_shoppers_and_visitors_do_not_get_in(client):
    get_user_model().objects.create_user("shopper_1", password=PASSWORD, mobile="13700000001")

    visitor = client.get(CHANGELIST)
    client.login(username="shopper_1", password=PASSWORD)
    shopper = client.get(CHANGELIST)

    for response in (visitor, shopper):
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_createsuperuser_without_a_prompt_needs_a_valid_mobile(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command(
        "createsuperuser",
        interactive=False,
        username="root_admin",
        email="root@example.com",
        mobile="13712345678",
        stdout=io.StringIO(),
    )
    admin = get_user_model().objects.get(username="root_admin")
    assert admin.is_superuser and admin.is_staff and admin.mobile == "13712345678"

    with pytest.raises(CommandError, match="请输入正确的手机号码"):
        call_command(
            "createsuperuser",
            interactive=False,
            username="second_admin",
            email="",
            mobile="12345",
            stdout=io.StringIO(),
        )
