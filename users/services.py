"""Registration and the count questions, as plain functions the views call."""

from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from core.api import Code, Refused
from users.forms import RegisterForm
from verifications import services as verifications

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
