"""Image captchas and SMS codes, kept in Redis."""

import enum
import logging
import secrets
from functools import cache

from captcha.image import ImageCaptcha
from django_redis import get_redis_connection
from redis import Redis

from verifications import constants as c

logger = logging.getLogger(__name__)


def verify_code_redis() -> Redis:
    return get_redis_connection("verify_code")


@cache
def _image_captcha() -> ImageCaptcha:
    return ImageCaptcha(width=120, height=48, font_sizes=(34, 38, 42))


def new_image_code(uuid: str) -> bytes:
    """Draw a fresh captcha for `uuid` and keep its answer for IMAGE_CODE_EXPIRES seconds."""
    text = "".join(secrets.choice(c.IMAGE_CODE_ALPHABET) for _ in range(c.IMAGE_CODE_LENGTH))
    png = _image_captcha().generate(text, format="png").getvalue()
    verify_code_redis().set(c.image_code_key(uuid), text, ex=c.IMAGE_CODE_EXPIRES)
    return png


class SmsCodeIssue(enum.Enum):
    ISSUED = "ok"
    THROTTLED = "throttled"
    IMAGE_CODE_EXPIRED = "image_code_expired"
    IMAGE_CODE_WRONG = "image_code_wrong"


# One round trip, atomic: take the per-mobile send flag first (SET NX EX), so two
# concurrent requests can never both pass; then consume the captcha (single use,
# right or wrong); store the SMS code only when all holds. A refusal releases
# the flag it took and never touches a code already sent.
_ISSUE_SMS_CODE_LUA = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
    return 'throttled'
end
local answer = redis.call('GETDEL', KEYS[2])
if not answer then
    redis.call('DEL', KEYS[1])
    return 'image_code_expired'
end
if string.lower(answer) ~= ARGV[3] then
    redis.call('DEL', KEYS[1])
    return 'image_code_wrong'
end
redis.call('SET', KEYS[3], ARGV[4], 'EX', ARGV[5])
return 'ok'
"""


def new_sms_code() -> str:
    return f"{secrets.randbelow(10**c.SMS_CODE_LENGTH):0{c.SMS_CODE_LENGTH}d}"


def issue_sms_code(mobile: str, image_code_id: str, image_code: str, sms_code: str) -> SmsCodeIssue:
    redis = verify_code_redis()
    script = redis.register_script(_ISSUE_SMS_CODE_LUA)
    result = script(
        keys=[c.send_flag_key(mobile), c.image_code_key(image_code_id), c.sms_code_key(mobile)],
        args=[1, c.SEND_SMS_INTERVAL, image_code.lower(), sms_code, c.SMS_CODE_EXPIRES],
    )
    return SmsCodeIssue(result.decode() if isinstance(result, bytes) else result)


def withdraw_sms_code(mobile: str) -> None:
    """Undo issue_sms_code when the code could not be handed to the broker."""
    redis = verify_code_redis()
    redis.delete(c.sms_code_key(mobile), c.send_flag_key(mobile))


class SmsCodeCheck(enum.Enum):
    MATCH = "match"
    EXPIRED = "expired"
    WRONG = "wrong"


def check_sms_code(mobile: str, sms_code: str) -> SmsCodeCheck:
    stored = verify_code_redis().get(c.sms_code_key(mobile))
    if stored is None:
        return SmsCodeCheck.EXPIRED
    if secrets.compare_digest(stored, sms_code.encode()):
        return SmsCodeCheck.MATCH
    return SmsCodeCheck.WRONG


def consume_sms_code(mobile: str) -> None:
    """A code serves one registration."""
    verify_code_redis().delete(c.sms_code_key(mobile))
