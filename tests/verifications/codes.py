"""Codes per purpose, for the account flows' tests (users/ and verifications/)."""

import time

from django.conf import settings
from django.test import Client

from tests.helpers import image_code_for
from verifications import constants as vc
from verifications.services import sms_code_digest


def store_purpose_code(redis_conn, mobile: str, purpose: str, code: str) -> None:
    """Put a code for `purpose` in Redis the way the SMS endpoint keeps it."""
    key = vc.sms_code_key(mobile, purpose)
    redis_conn.delete(key)
    redis_conn.hset(key, mapping={"digest": sms_code_digest(mobile, code, purpose), "tries": 0})
    redis_conn.expire(key, settings.SMS_CODE_EXPIRES)


WRONG = "0000"


def ask_code(client: Client, redis_conn, mobile: str, purpose: str | None, answer: str = ""):
    """GET /sms_codes/<mobile>/ with a fresh captcha, answered right unless `answer`
    (e.g. WRONG, which no captcha can read: 0 is not in the alphabet)."""
    image_code_id, right = image_code_for(client, redis_conn)
    params = {"image_code": answer or right, "image_code_id": image_code_id}
    if purpose is not None:
        params["purpose"] = purpose
    return client.get(f"/sms_codes/{mobile}/", params, HTTP_ACCEPT="application/json")


def code_by_sms(client: Client, redis_conn, vendor, mobile: str, purpose: str) -> str:
    """Ask for a code as a page does and read it where the shopper would: in the SMS the
    worker handed to the (fake) vendor."""
    before = len([m for m in vendor.messages if m["to"] == mobile])
    response = ask_code(client, redis_conn, mobile, purpose)
    assert response.status_code == 200, response.json()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        messages = [m for m in vendor.messages if m["to"] == mobile]
        if len(messages) > before:
            return messages[-1]["datas"][0]
        time.sleep(0.05)
    raise AssertionError(f"no SMS reached the vendor for {mobile}")
