"""Image captchas and SMS codes, kept in Redis, and the flow that sends a code."""

import enum
import secrets
from dataclasses import dataclass
from http import HTTPStatus

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from core import metrics, ratelimit
from core.api import Code, Refused
from core.redis_scripts import run_script, verify_code_redis
from verifications import captcha
from verifications import constants as c
from verifications.sms import (
    OUTBOX_ADD_LUA,
    OutboxEntry,
    SmsQueueUnavailable,
    outbox_args,
    outbox_entry,
    outbox_keys,
    wake_sender,
)


def new_image_code(uuid: str) -> bytes:
    """Draw a fresh captcha for `uuid` and keep its answer for IMAGE_CODE_EXPIRES seconds."""
    text = "".join(secrets.choice(c.IMAGE_CODE_ALPHABET) for _ in range(c.IMAGE_CODE_LENGTH))
    png = captcha.draw(text)
    verify_code_redis().set(c.image_code_key(uuid), text, ex=c.IMAGE_CODE_EXPIRES)
    metrics.captcha_issued()
    return png


class SmsCodeIssue(enum.Enum):
    ISSUED = "ok"  # and its SMS is in the outbox
    THROTTLED = "throttled"  # the 60 s between two SMS to one mobile
    LIMITED = "limited"  # the hourly / daily limits of settings.RATE_LIMITS["send_sms"]
    IMAGE_CODE_EXPIRED = "image_code_expired"
    IMAGE_CODE_WRONG = "image_code_wrong"
    ACCOUNT_REFUSED = "account_refused"  # a right captcha, but no SMS for this mobile


@dataclass(frozen=True)
class SmsCodeOutcome:
    issue: SmsCodeIssue
    retry_after: int = 0  # seconds, for THROTTLED and LIMITED
    stream_id: str = ""  # ISSUED: the SMS's id in the outbox
    wake: bool = False  # ISSUED: the caller must wake the worker (it took the wake flag)


# One round trip, atomic: take the per-mobile send flag first (SET NX PX), so two
# concurrent requests can never both pass (whatever their purposes); check the send
# limits; consume the captcha (single use, right or wrong); only then tell a refusal
# of the mobile for this purpose (ARGV[6] not empty: decided by the caller beforehand,
# so it is told only to whoever solved the captcha); only then store the code (as an
# HMAC), add its SMS to the outbox (ARGV[7], KEYS[4] and the wake flag KEYS[5]), and
# count the send: the code and its SMS together or not at all. A refusal releases the
# flag it took and never touches a code already sent.
_ISSUE_SMS_CODE_LUA = (
    ratelimit.LUA_FUNCTIONS
    + OUTBOX_ADD_LUA
    + """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
    return {'throttled', redis.call('PTTL', KEYS[1])}
end
local n = #KEYS - 5
local now = rl_now()
local wait = rl_wait(KEYS, 6, n, ARGV, 9, now)
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
if ARGV[6] ~= '' then
    redis.call('DEL', KEYS[1])
    return {'account_refused', 0}
end
redis.call('DEL', KEYS[3])
redis.call('HSET', KEYS[3], 'digest', ARGV[4], 'tries', 0)
redis.call('PEXPIRE', KEYS[3], ARGV[5])
local added, wake = outbox_add(KEYS, 4, ARGV[7], ARGV[8])
rl_record(KEYS, 6, n, ARGV, 9, now, ARGV[1])
return {'ok', 0, added, wake}
"""
)

# A wrong guess counts; the last allowed wrong guess kills the code. ARGV[3] = '1':
# a match spends the code in the same step, so two requests cannot both use it.
_CHECK_SMS_CODE_LUA = """
local stored = redis.call('HGET', KEYS[1], 'digest')
if not stored then return 'expired' end
if stored == ARGV[1] then
    if ARGV[3] == '1' then redis.call('DEL', KEYS[1]) end
    return 'match'
end
if redis.call('HINCRBY', KEYS[1], 'tries', 1) >= tonumber(ARGV[2]) then
    redis.call('DEL', KEYS[1])
    return 'dead'
end
return 'wrong'
"""


def new_sms_code() -> str:
    return f"{secrets.randbelow(10**c.SMS_CODE_LENGTH):0{c.SMS_CODE_LENGTH}d}"


def sms_code_digest(mobile: str, sms_code: str, purpose: str = c.SmsPurpose.REGISTER) -> str:
    """What Redis keeps instead of the code: an HMAC keyed by the secret key, bound to
    the purpose as well as the key is (registration keeps the notes' form)."""
    value = f"{mobile}:{sms_code}"
    if purpose != c.SmsPurpose.REGISTER:
        value = f"{purpose}:{value}"
    return salted_hmac("meiduo.sms_code", value, algorithm="sha256").hexdigest()


def issue_sms_code(
    mobile: str,
    image_code_id: str,
    image_code: str,
    sms_code: str,
    client_ip: str,
    purpose: str = c.SmsPurpose.REGISTER,
    *,
    entry: OutboxEntry,
    refuse: bool = False,
) -> SmsCodeOutcome:
    """Store `sms_code` for `purpose` and add its SMS `entry` to the outbox, if the 60 s,
    the limits and the captcha allow; `refuse`: the mobile may not have one for this
    purpose (told after the captcha)."""
    rules = ratelimit.rules_for("send_sms")
    values = {"mobile": mobile, "ip": client_ip}
    status, wait_ms, *added = run_script(
        _ISSUE_SMS_CODE_LUA,
        keys=[
            c.send_flag_key(mobile),
            c.image_code_key(image_code_id),
            c.sms_code_key(mobile, purpose),
            *outbox_keys(),
            *ratelimit.redis_keys("send_sms", rules, values),
        ],
        args=[
            secrets.token_hex(8),
            settings.SMS_SEND_INTERVAL * 1000,
            image_code.lower(),
            sms_code_digest(mobile, sms_code, purpose),
            settings.SMS_CODE_EXPIRES * 1000,
            "1" if refuse else "",
            *outbox_args(entry),
            *ratelimit.limit_args(rules),
        ],
    )
    retry_after = ratelimit.seconds(wait_ms) if wait_ms else 0
    if added:
        stream_id, wake = added
        return SmsCodeOutcome(SmsCodeIssue(status), retry_after, stream_id, wake == 1)
    return SmsCodeOutcome(SmsCodeIssue(status), retry_after)


_SMS_REFUSALS = {
    SmsCodeIssue.IMAGE_CODE_EXPIRED: _("图形验证码已失效，请点击图片刷新"),
    SmsCodeIssue.IMAGE_CODE_WRONG: _("图形验证码输入错误"),
}


def mobile_refusal(mobile: str, purpose: str) -> Refused | None:
    """Why `mobile` may not get a code for `purpose` (an SMS costs money), or None.
    login / reset_password: an active account has it; change_mobile: nobody has it.
    Asked of Django's user model, not of the users app (which builds on this one)."""
    if purpose == c.SmsPurpose.REGISTER:
        return None  # building the query alone cost a tenth of a registration code's request
    accounts = get_user_model()._default_manager.filter(mobile=mobile)
    if purpose in (c.SmsPurpose.LOGIN, c.SmsPurpose.RESET_PASSWORD):
        if not accounts.filter(is_active=True).exists():
            return Refused(Code.MOBILE_ERR, _("手机号未注册"), field="mobile")
    elif purpose == c.SmsPurpose.CHANGE_MOBILE and accounts.exists():
        return Refused(Code.MOBILE_ERR, _("手机号已注册"), field="mobile")
    return None


def send_sms_code(
    mobile: str,
    image_code_id: str,
    image_code: str,
    client_ip: str,
    purpose: str = c.SmsPurpose.REGISTER,
) -> None:
    """The whole of "send me a code": issue it in Redis and queue the SMS. Raises
    Refused (captcha, 60 s, limits, the mobile's account, broker down) having left
    nothing behind."""
    # Asked before the captcha is checked, for every request alike (the timing tells
    # nothing), but told only once a right captcha was spent: no free enumeration.
    refusal = mobile_refusal(mobile, purpose)
    sms_code = new_sms_code()
    outcome = issue_sms_code(
        mobile,
        image_code_id,
        image_code,
        sms_code,
        client_ip,
        purpose,
        entry=outbox_entry(mobile, sms_code, purpose),
        refuse=bool(refusal),
    )
    if outcome.issue is SmsCodeIssue.ACCOUNT_REFUSED and refusal:
        raise refusal
    if outcome.issue is SmsCodeIssue.THROTTLED:
        metrics.rate_limited("sms_interval")
        raise Refused.throttled(_("发送短信过于频繁"), outcome.retry_after, field="mobile")
    if outcome.issue is SmsCodeIssue.LIMITED:
        metrics.rate_limited("send_sms")
        raise Refused.throttled(_("短信发送次数已达上限"), outcome.retry_after, field="mobile")
    if outcome.issue is not SmsCodeIssue.ISSUED:
        raise Refused(Code.IMAGE_CODE_ERR, _SMS_REFUSALS[outcome.issue], field="image_code")
    if outcome.wake:
        try:
            wake_sender(mobile, outcome.stream_id)
        except SmsQueueUnavailable:
            # Nothing is queued: give the mobile its turn back rather than a 60 s wait.
            withdraw_sms_code(mobile, purpose)
            raise Refused(
                Code.SERVICE_UNAVAILABLE,
                _("短信服务暂时不可用，请稍后再试"),
                status=HTTPStatus.SERVICE_UNAVAILABLE,
            ) from None
    metrics.sms("queued", purpose)


def withdraw_sms_code(mobile: str, purpose: str = c.SmsPurpose.REGISTER) -> None:
    """Undo issue_sms_code when the code could not be handed to the broker."""
    verify_code_redis().delete(c.sms_code_key(mobile, purpose), c.send_flag_key(mobile))


class SmsCodeCheck(enum.Enum):
    MATCH = "match"
    EXPIRED = "expired"
    WRONG = "wrong"
    DEAD = "dead"  # too many wrong guesses: a new code must be requested


def check_sms_code(
    mobile: str, sms_code: str, purpose: str = c.SmsPurpose.REGISTER, spend: bool = False
) -> SmsCodeCheck:
    """Whether `sms_code` is the code sent to `mobile` for `purpose`; a wrong guess
    counts. `spend`: a match also spends the code, atomically."""
    result = run_script(
        _CHECK_SMS_CODE_LUA,
        keys=[c.sms_code_key(mobile, purpose)],
        args=[
            sms_code_digest(mobile, sms_code, purpose),
            settings.SMS_CODE_MAX_TRIES,
            "1" if spend else "",
        ],
    )
    return SmsCodeCheck(result)


def consume_sms_code(mobile: str, purpose: str = c.SmsPurpose.REGISTER) -> None:
    """A code serves one use (a registration, a reset, a change of mobile)."""
    verify_code_redis().delete(c.sms_code_key(mobile, purpose))
