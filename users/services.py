"""Registration, the account's changes and the count questions, as plain functions
the views call: one per thing the shopper does."""

from typing import Any

from django.contrib.auth import get_user_model, logout, update_session_auth_hash
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from core.api import Code, Refused
from users.forms import MobileChangeForm, PasswordChangeForm, PasswordResetForm, RegisterForm
from verifications import services as verifications
from verifications.constants import SmsPurpose

User = get_user_model()


def username_taken(username: str) -> bool:
    return User._default_manager.filter(username=username).exists()


def mobile_taken(mobile: str) -> bool:
    return User._default_manager.filter(mobile=mobile).exists()


def register(form: RegisterForm) -> Any:
    """Create the user of a valid register form and spend its SMS code; raise Refused
    having changed nothing when someone took the name or mobile meanwhile."""
    try:
        with transaction.atomic():
            user = form.save()
    except IntegrityError:
        # Someone registered the same name or mobile between the form's check and the insert.
        if username_taken(form.cleaned_data["username"]):
            field, code = "username", Code.USERNAME_ERR
        else:
            field, code = "mobile", Code.MOBILE_ERR
        raise Refused(code, form.fields[field].error_messages["unique"], field) from None
    verifications.consume_sms_code(user.mobile)
    return user


def reset_password(form: PasswordResetForm) -> Any:
    """Set the new password of a valid reset form and spend its code. Every session of
    the account ends: each holds a hash of the old password, which no longer matches."""
    user = form.save()
    verifications.consume_sms_code(user.mobile, SmsPurpose.RESET_PASSWORD)
    return user


def change_password(request: HttpRequest, form: PasswordChangeForm) -> Any:
    """Set the new password; this session stays logged in, every other one ends."""
    user = form.save()
    update_session_auth_hash(request, user)
    return user


def change_mobile(user: Any, form: MobileChangeForm) -> Any:
    """Give the account the new mobile of a valid form and spend its code; raise Refused
    having changed nothing when someone took that mobile meanwhile."""
    mobile = form.cleaned_data["mobile"]
    user.mobile = mobile
    try:
        with transaction.atomic():
            user.save(update_fields=["mobile"])
    except IntegrityError:
        user.refresh_from_db(fields=["mobile"])
        message = form.fields["mobile"].error_messages["unique"]
        raise Refused(Code.MOBILE_ERR, message, "mobile") from None
    verifications.consume_sms_code(mobile, SmsPurpose.CHANGE_MOBILE)
    return user


def delete_account(request: HttpRequest) -> None:
    """Close the logged-in account (PIPL art. 47) and log it out. Its personal data is
    erased: the mobile (free to register again), the e-mail and the names; the password
    becomes unusable and the account inactive, so no way of logging in finds it. The
    row stays, with its username and dates, for the orders that will point at it."""
    user = request.user
    user.is_active = False
    user.set_unusable_password()
    user.mobile = None
    user.email = ""
    user.email_active = False
    user.first_name = user.last_name = ""
    user.save()
    logout(request)
