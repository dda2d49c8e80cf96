"""Bind an e-mail address to an account and verify it by a mailed link.

The link's token is django.core.signing: signed with the secret key, salted for this one
purpose, expiring after settings.EMAIL_VERIFY_EXPIRES, and bound to the account AND the
address. Verifying sets email_active only while the account still has that address, so
a link mailed to an old address verifies nothing."""

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import BaseUserManager
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils.translation import get_language, gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from kombu.exceptions import OperationalError as BrokerError

from celery_tasks.email.tasks import send_verify_email
from core import ratelimit
from core.api import Code, Refused
from core.forms import ApiFormMixin

User = get_user_model()

SIGNING_SALT = "meiduo.users.email_verify"  # a namespace for the signature, not a secret
# The Chinese texts, marked for the catalogue; translated when a refusal is raised.
INVALID_LINK = gettext_noop("验证链接无效")
EXPIRED_LINK = gettext_noop("验证链接已过期，请重新发送验证邮件")
STALE_LINK = gettext_noop("验证链接已失效：该邮箱已不是账号的当前邮箱")


class EmailForm(ApiFormMixin, forms.Form):
    email = forms.EmailField(
        max_length=254,  # the longest address SMTP carries (RFC 5321 path limit)
        error_messages={
            "required": _("请输入邮箱"),
            "invalid": _("请输入正确的邮箱地址"),
            "max_length": _("邮箱地址过长"),
        },
    )
    field_codes = {"email": Code.EMAIL_ERR}

    def clean_email(self) -> str:
        # The domain is case-insensitive; the local part is the mailbox's own business.
        return BaseUserManager.normalize_email(self.cleaned_data["email"])


def make_verify_token(user: Any, email: str) -> str:
    return signing.dumps({"user_id": user.pk, "email": email}, salt=SIGNING_SALT)


def check_verify_token(token: str) -> tuple[int, str]:
    """The (user id, address) a token was made for; raises Refused when it was tampered
    with or has expired."""
    try:
        data = signing.loads(token, salt=SIGNING_SALT, max_age=settings.EMAIL_VERIFY_EXPIRES)
    except signing.SignatureExpired:
        raise Refused(Code.EMAIL_ERR, gettext(EXPIRED_LINK), "token") from None
    except signing.BadSignature:
        raise Refused(Code.EMAIL_ERR, gettext(INVALID_LINK), "token") from None
    # Signed by us, so well formed; checked all the same, as anything from a URL.
    if not (
        isinstance(data, dict)
        and isinstance(data.get("user_id"), int)
        and isinstance(data.get("email"), str)
    ):
        raise Refused(Code.EMAIL_ERR, gettext(INVALID_LINK), "token")
    return data["user_id"], data["email"]


def verify_url(user: Any, email: str) -> str:
    """The link mailed: on settings.SITE_URL, never on the Host a request claimed."""
    query = urlencode({"token": make_verify_token(user, email)})
    return f"{settings.SITE_URL}{reverse('users:email_verification')}?{query}"


@dataclass(frozen=True)
class Bound:
    email: str
    sent: bool  # False: the address was already this account's, verified; no mail


def bind_email(user: Any, email: str, client_ip: str) -> Bound:
    """Store `email` as the account's address, unverified, and queue its verification
    mail. Raises Refused (429 for the limits, 503 when the broker is down) having
    changed nothing."""
    if user.email == email and user.email_active:
        return Bound(email, sent=False)
    values = {"user": str(user.pk), "email": email, "ip": client_ip}
    verdict = ratelimit.consume("send_email", **values)
    if not verdict.allowed:
        raise Refused.throttled(_("发送邮件过于频繁"), verdict.retry_after, field="email")
    link = verify_url(user, email)
    try:
        # The address and its mail together or not at all: a broker error rolls the
        # address back (the old one, verified or not, stays). The worker reads nothing
        # from the database, so the mail may go out before the commit lands.
        with transaction.atomic():
            User._default_manager.filter(pk=user.pk).update(email=email, email_active=False)
            # The worker writes the mail in the shopper's language: the request's.
            send_verify_email.apply_async(
                (email, link, get_language()),
                argsrepr=repr((email, "<link>", get_language())),  # the token stays out
            )
    except BrokerError:
        ratelimit.refund("send_email", verdict, **values)
        raise Refused(
            Code.SERVICE_UNAVAILABLE,
            _("邮件服务暂时不可用，请稍后再试"),
            status=HTTPStatus.SERVICE_UNAVAILABLE,
        ) from None
    user.email, user.email_active = email, False
    return Bound(email, sent=True)


def verify_email(token: str) -> str:
    """Mark the token's address verified, if it is still its account's; the address."""
    user_id, email = check_verify_token(token)
    # One conditional UPDATE: an address changed meanwhile (or an account deleted,
    # whose address is erased) matches no row, whatever the order of the requests.
    verified = User._default_manager.filter(pk=user_id, email=email, is_active=True).update(
        email_active=True
    )
    if not verified:
        raise Refused(Code.EMAIL_ERR, gettext(STALE_LINK), "token")
    return email
