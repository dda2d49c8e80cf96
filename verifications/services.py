"""Image captchas and SMS codes, kept in Redis, and the flow that sends a code."""

import enum
import secrets
from dataclasses import dataclass
from http import HTTPStatus

from django.conf import settings
from django.utils.crypto import salted_hmac

from core import ratelimit
from core.api import Code, Refused
from core.redis_scripts import run_script, verify_code_redis
from verifications import captcha
from verifications import constants as c
from verifications.sms import SmsQueueUnavailable, send_verification_code_sms


def new_image_code(uuid: str) -> bytes:
    """Draw a fresh captcha for `uuid` and keep its answer for IMAGE_CODE_EXPIRES seconds."""
    text = "".join(secrets.choice(c.IMAGE_CODE_ALPHABET) for _ in range(c.IMAGE_CODE_LENGTH))
    png = captcha.draw(text)
    verify_code_redis().set(c.image_code_key(uuid), text, ex=c.IMAGE_CODE_EXPIRES)
    return png


class SmsCodeIssue(enum.Enum):
    ISSUED = "ok"
    THROTTLED = "throttled"  # the 60 s between two SMS to one mobile
    LIMITED = "limited"  # the hourly / daily limits of settings.RATE_LIMITS["send_sms"]
    IMAGE_CODE_EXPIRED = "image_code_expired"
    IMAGE_CODE_WRONG = "image_code_wrong"


@dataclass(frozen=True)
class SmsCodeOutcome:
    issue: SmsCodeIssue
    retry_after: int = 0  # seconds, for THROTTLED and LIMITED


# One round trip, atomic: take the per-mobile send flag first (SET NX PX), so two
# concurrent requests can never both pass; check the send limits; consume the captcha
# (single use, right or wrong); only then store the code (as an HMAC) and count the
# send. A refusal releases the flag it took and never touches a code already sent.
_ISSUE_SMS_CODE_LUA = (
    ratelimit.LUA_FUNCTIONS
    + """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
    return {'throttled', redis.call('PTTL', KEYS[1])}
end
local n = #KEYS - 3
local now = rl_now()
local wait = rl_wait(KEYS, 4, n, ARGV, 6, now)
if wait > 0 then
    redis.call('DEL', KEYS[1])
    return {'limited', wait}
end
local answer = redis.call('GETDEL', KEYS[2])
if not answer then
    redis.call('DEL', KEYS[1])
    return {'image_code_expired', 0}
end
if string.lower(answer) ~= ARGV[3] then
    redis.call('DEL', KEYS[1])
    return {'image_code_wrong', 0}
end
redis.call('DEL', KEYS[3])
redis.call('HSET', KEYS[3], 'digest', ARGV[4], 'tries', 0)
redis.call('PEXPIRE', KEYS[3], ARGV[5])
rl_record(KEYS, 4, n, ARGV, 6, now, ARGV[1])
return {'ok', 0}
"""
)

# A wrong guess counts; the last allowed wrong guess kills the code.
_CHECK_SMS_CODE_LUA = """
local stored = redis.call('HGET', KEYS[1], 'digest')
if not stored then return 'expired' end
if stored == ARGV[1] then return 'match' end
if redis.call('HINCRBY', KEYS[1], 'tries', 1) >= tonumber(ARGV[2]) then
    redis.call('DEL', KEYS[1])
    return 'dead'
end
return 'wrong'
"""


def new_sms_code() -> str:
    return f"{secrets.randbelow(10**c.SMS_CODE_LENGTH):0{c.SMS_CODE_LENGTH}d}"


def sms_code_digest(mobile: str, sms_code: str) -> str:
    """What Redis keeps instead of the code: an HMAC keyed by the secret key."""
    return salted_hmac("meiduo.sms_code", f"{mobile}:{sms_code}", algorithm="sha256").hexdigest()


def issue_sms_code(
    mobile: str, image_code_id: str, image_code: str, sms_code: str, client_ip: str
) -> SmsCodeOutcome:
    rules = ratelimit.rules_for("send_sms")
    values = {"mobile": mobile, "ip": client_ip}
    status, wait_ms = run_script(
        _ISSUE_SMS_CODE_LUA,
        keys=[
            c.send_flag_key(mobile),
            c.image_code_key(image_code_id),
            c.sms_code_key(mobile),
            *ratelimit.redis_keys("send_sms", rules, values),
        ],
        args=[
            secrets.token_hex(8),
            settings.SMS_SEND_INTERVAL * 1000,
            image_code.lower(),
            sms_code_digest(mobile, sms_code),
            settings.SMS_CODE_EXPIRES * 1000,
            *ratelimit.limit_args(rules),
        ],
    )
    return SmsCodeOutcome(SmsCodeIssue(status), ratelimit.seconds(wait_ms) if wait_ms else 0)


_SMS_REFUSALS = {
    SmsCodeIssue.IMAGE_CODE_EXPIRED: "图形验证码已失效，请点击图片刷新",
    SmsCodeIssue.IMAGE_CODE_WRONG: "图形验证码输入错误",
}


def send_sms_code(mobile: str, image_code_id: str, image_code: str, client_ip: str) -> None:
    """The whole of "send me a code": issue it in Redis, then queue the SMS. Raises
    Refused (captcha, 60 s, limits, broker down) having left nothing behind."""
    sms_code = new_sms_code()
    outcome = issue_sms_code(mobile, image_code_id, image_code, sms_code, client_ip)
    if outcome.issue is SmsCodeIssue.THROTTLED:
        raise Refused.throttled("发送短信过于频繁", outcome.retry_after, field="mobile")
    if outcome.issue is SmsCodeIssue.LIMITED:
        raise Refused.throttled("短信发送次数已达上限", outcome.retry_after, field="mobile")
    if outcome.issue is not SmsCodeIssue.ISSUED:
        raise Refused(Code.IMAGE_CODE_ERR, _SMS_REFUSALS[outcome.issue], field="image_code")
    try:
        send_verification_code_sms(mobile, sms_code)
    except SmsQueueUnavailable:
        # Nothing was queued: give the mobile its turn back rather than a 60 s wait.
        withdraw_sms_code(mobile)
        raise Refused(
            Code.SERVICE_UNAVAILABLE,
            "短信服务暂时不可用，请稍后再试",
            status=HTTPStatus.SERVICE_UNAVAILABLE,
        ) from None


def withdraw_sms_code(mobile: str) -> None:
    """Undo issue_sms_code when the code could not be handed to the broker."""
    verify_code_redis().delete(c.sms_code_key(mobile), c.send_flag_key(mobile))


class SmsCodeCheck(enum.Enum):
    MATCH = "match"
    EXPIRED = "expired"
    WRONG = "wrong"
    DEAD = "dead"  # too many wrong guesses: a new code must be requested


def check_sms_code(mobile: str, sms_code: str) -> SmsCodeCheck:
    result = run_script(
        _CHECK_SMS_CODE_LUA,
        keys=[c.sms_code_key(mobile)],
        args=[sms_code_digest(mobile, sms_code), settings.SMS_CODE_MAX_TRIES],
    )
    return SmsCodeCheck(result)


def consume_sms_code(mobile: str) -> None:
    """A code serves one use (a registration)."""
    verify_code_redis().delete(c.sms_code_key(mobile))
