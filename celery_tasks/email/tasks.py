"""send_verify_email: one mail, retried with backoff while the mail server is away.

At least once, like every task here (config.py: acks_late): a worker lost mid-send may
mail the link twice. A duplicate of a verification mail is harmless, so no record is
kept to prevent one (the SMS task keeps one because each SMS costs money)."""

import logging
import smtplib
from html import escape

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from celery_tasks.main import celery_app

logger = logging.getLogger(__name__)

SUBJECT = gettext_lazy("美多商城邮箱验证")
# Backoff between tries 2, 4, 8, 16, then 20 s, jittered: below the Redis visibility
# timeout minus the time limit (config.py), as for the SMS task. About 3 minutes in all.
RETRY_BACKOFF_BASE = 2
RETRY_BACKOFF_MAX = 20
MAX_RETRIES = 10
# The server said no for good (a refused address or sender, bad credentials): another
# try would get the same answer. Everything else in OSError (refused connection,
# timeout, 4xx answers, a dropped line) is worth another try.
PERMANENT_ERRORS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPAuthenticationError,
    smtplib.SMTPNotSupportedError,
)


def verify_email_message(
    to_email: str, verify_url: str, language: str | None = None
) -> EmailMultiAlternatives:
    """The mail, in `language` (the site's default when None): plain text, and the same
    as simple HTML."""
    with translation.override(language or settings.LANGUAGE_CODE):
        hours = max(1, settings.EMAIL_VERIFY_EXPIRES // 3600)
        greeting = _("尊敬的用户您好！")
        address = _("感谢您使用美多商城。您的邮箱为：%(email)s。") % {"email": to_email}
        click = ngettext(
            "请点击以下链接验证您的邮箱（%(hours)d小时内有效）：",
            "请点击以下链接验证您的邮箱（%(hours)d小时内有效）：",
            hours,
        ) % {"hours": hours}
        ignore = _("如果这不是您本人的操作，请忽略本邮件。")
        subject = str(SUBJECT)
    text = f"{greeting}\n\n{address}\n{click}\n\n{verify_url}\n\n{ignore}\n"
    html = (
        f"<p>{escape(greeting)}</p>"
        f"<p>{escape(address)}</p>"
        f"<p>{escape(click)}</p>"
        f'<p><a href="{escape(verify_url)}">{escape(verify_url)}</a></p>'
        f"<p>{escape(ignore)}</p>"
    )
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to_email])
    message.attach_alternative(html, "text/html")
    return message


@celery_app.task(
    name="send_verify_email",
    autoretry_for=(OSError, SoftTimeLimitExceeded),  # smtplib's errors are OSErrors
    dont_autoretry_for=PERMANENT_ERRORS,
    retry_backoff=RETRY_BACKOFF_BASE,
    retry_backoff_max=RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
    # A message still queued once its link is dead is dropped unsent.
    expires=settings.EMAIL_VERIFY_EXPIRES,
)
def send_verify_email(to_email: str, verify_url: str, language: str | None = None) -> None:
    """Mail the verification link to `to_email`, in the `language` of the request that
    asked for it (a message queued without one, by an older web node, gets the site's
    default). The link holds the token: it is never logged here (the console backend
    prints the mail itself, by design, in development)."""
    try:
        verify_email_message(to_email, verify_url, language).send()

    except PERMANENT_ERRORS:
        logger.error("verification mail to %s refused by the mail server", mask_email(to_email))
        raise


def mask_email(address: str) -> str:
    """a***@example.com: enough to tell mails apart in a log."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"
