"""Registration and login, as plain functions the views call."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from meiduo_mall import ratelimit
from meiduo_mall.api import Code
from meiduo_mall.client_ip import client_ip
from users.backends import get_user_by_account
from users.constants import MOBILE_RE, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, USERNAME_RE
from verifications import services as verifications
from verifications.services import SmsCodeCheck

User = get_user_model()

REGISTER_FIELDS = {
    "username": "请输入用户名",
    "password": "请输入密码",
    "password2": "请再次输入密码",
    "mobile": "请输入手机号",
    "sms_code": "请输入短信验证码",
}


@dataclass
class Refused(Exception):
    """A request refused with a code, a message for the shopper and the field at fault."""

    code: Code
    message: str
    field: str | None = None
    retry_after: int = 0  # set when a rate limit refused: answered with 429


def check_password_strength(password: str, username: str, mobile: str) -> None:
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        raise Refused(Code.PASSWORD_ERR, "密码长度应为8-64位", "password")
    if not password.isprintable():
        raise Refused(Code.PASSWORD_ERR, "密码不能包含换行等控制字符", "password")
    try:
        validate_password(password, user=User(username=username, mobile=mobile))
    except ValidationError as exc:
        raise Refused(Code.PASSWORD_ERR, " ".join(exc.messages), "password") from None


def as_text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def is_checked(value: Any) -> bool:
    """The agreement box: a JSON true or the strings a form or script would send."""
    if value is True:
        return True
    return isinstance(value, str) and value.strip().lower() in {"true", "on", "1", "yes"}


def username_taken(username: str) -> bool:
    return User._default_manager.filter(username=username).exists()


def mobile_taken(mobile: str) -> bool:
    return User._default_manager.filter(mobile=mobile).exists()


def register(data: Mapping[str, Any]) -> Any:
    """Create a user from the register form, or raise Refused having changed nothing."""
    fields = {name: as_text(data.get(name)) for name in REGISTER_FIELDS}
    # Passwords are taken as typed: spaces are characters too.
    for name in ("password", "password2"):
        fields[name] = data.get(name) if isinstance(data.get(name), str) else ""
    for name, message in REGISTER_FIELDS.items():
        if not fields[name]:
            raise Refused(Code.MISSING_PARAM, message, name)

    username, password, mobile = fields["username"], fields["password"], fields["mobile"]
    if not USERNAME_RE.fullmatch(username):
        raise Refused(Code.USERNAME_ERR, "请输入5-20个字符的用户名（字母、数字、_或-）", "username")
    if MOBILE_RE.fullmatch(username):
        # Login takes "username or mobile": a mobile-shaped username could match two people.
        raise Refused(Code.USERNAME_ERR, "用户名不能是手机号", "username")
    if not MOBILE_RE.fullmatch(mobile):
        raise Refused(Code.MOBILE_ERR, "请输入正确的手机号码", "mobile")
    check_password_strength(password, username, mobile)
    if fields["password2"] != password:
        raise Refused(Code.PASSWORD2_ERR, "两次输入的密码不一致", "password2")
    if not is_checked(data.get("allow")):
        raise Refused(Code.ALLOW_ERR, "请勾选同意用户协议", "allow")
    if username_taken(username):
        raise Refused(Code.USERNAME_ERR, "用户名已存在", "username")
    if mobile_taken(mobile):
        raise Refused(Code.MOBILE_ERR, "手机号已注册", "mobile")

    check = verifications.check_sms_code(mobile, fields["sms_code"])
    if check is SmsCodeCheck.EXPIRED:
        raise Refused(Code.SMS_CODE_ERR, "短信验证码已失效，请重新获取", "sms_code")
    if check is SmsCodeCheck.WRONG:
        raise Refused(Code.SMS_CODE_ERR, "短信验证码输入错误", "sms_code")
    if check is SmsCodeCheck.DEAD:
        raise Refused(Code.SMS_CODE_ERR, "短信验证码错误次数过多，请重新获取", "sms_code")

    try:
        with transaction.atomic():
            user = User._default_manager.create_user(
                username=username, password=password, mobile=mobile
            )
    except IntegrityError:
        # Someone registered the same name or mobile between our check and the insert.
        if username_taken(username):
            raise Refused(Code.USERNAME_ERR, "用户名已存在", "username") from None
        raise Refused(Code.MOBILE_ERR, "手机号已注册", "mobile") from None
    verifications.consume_sms_code(mobile)
    return user


def authenticate_account(request: HttpRequest, data: Mapping[str, Any]) -> Any:
    """The user for a username-or-mobile and password, or raise Refused."""
    account = as_text(data.get("username"))
    password = data.get("password") if isinstance(data.get("password"), str) else ""
    if not account:
        raise Refused(Code.MISSING_PARAM, "请输入用户名或手机号", "username")
    if not password:
        raise Refused(Code.MISSING_PARAM, "请输入密码", "password")
    # Failures count per account (the user, however named) and per client IP. A try
    # is counted before the password check, so concurrent guesses cannot slip past
    # the limit, and given back when it succeeds.
    known = get_user_by_account(account)
    values = {
        "account": f"user:{known.pk}" if known else f"name:{account.lower()}",
        "ip": client_ip(request),
    }
    verdict = ratelimit.consume("login_failed", **values)
    if not verdict.allowed:
        raise Refused(
            Code.THROTTLED,
            ratelimit.wait_message("登录失败次数过多", verdict.retry_after),
            retry_after=verdict.retry_after,
        )
    user = authenticate(request, username=account, password=password)
    if user is None:
        raise Refused(Code.LOGIN_ERR, "用户名或密码错误")
    ratelimit.refund("login_failed", verdict, **values)
    return user
