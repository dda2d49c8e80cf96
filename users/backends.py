"""Log in with a username or a mobile number."""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from core.forms import MOBILE_RE

ACCOUNT_MAX_LENGTH = 150  # Django's username field
_NOT_LOOKED_UP = object()

UserModel = get_user_model()


def get_user_by_account(account: str) -> Any | None:
    """The user whose mobile (for a mobile-shaped account) or username is `account`.

    Registration refuses mobile-shaped usernames, so one account never matches two users.
    """
    if len(account) > ACCOUNT_MAX_LENGTH or not account.isprintable():
        return None  # no such user can exist; and PostgreSQL refuses NUL in a query
    if MOBILE_RE.fullmatch(account):
        user = UserModel._default_manager.filter(mobile=account).first()
        if user is not None:
            return user
    return UserModel._default_manager.filter(username=account).first()


class UsernameMobileAuthBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        known_user: Any = _NOT_LOOKED_UP,
        **kwargs: Any,
    ) -> Any | None:
        """`known_user`: the account's user (or None) when the caller has looked it up
        already (the login form does, for its limits), so it is not looked up twice."""
        if username is None or password is None:
            return None
        user = get_user_by_account(username) if known_user is _NOT_LOOKED_UP else known_user
        if user is None:
            # Hash anyway, as ModelBackend does, so the reply time does not tell
            # whether the account exists.
            UserModel().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
