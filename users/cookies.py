"""The `username` cookie: what the pages greet with. Display only, never identity."""

from django.conf import settings
from django.http import HttpResponse

from users.constants import USERNAME_COOKIE, USERNAME_COOKIE_AGE


def remember_username(response: HttpResponse, username: str) -> HttpResponse:
    response.set_cookie(
        USERNAME_COOKIE,
        username,
        max_age=USERNAME_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SECURE_COOKIES,
    )
    return response


def forget_username(response: HttpResponse) -> HttpResponse:
    response.delete_cookie(USERNAME_COOKIE, samesite="Lax")
    return response
