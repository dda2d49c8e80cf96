"""Keep the display-only `username` cookie true to the session."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from users.constants import USERNAME_COOKIE
from users.cookies import forget_username, remember_username


class UsernameCookieMiddleware:
    """Pages greet from the `username` cookie (as the notes do). When the session has
    ended (a browser-length login after a restart, an expiry) or the cookie was edited,
    a page response drops or corrects it, so the greeting never outlives the login."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        shown = request.COOKIES.get(USERNAME_COOKIE)
        if shown is None or USERNAME_COOKIE in response.cookies:
            return response  # no greeting, or the view already set or deleted it
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            forget_username(response)
        elif user.username != shown:
            remember_username(response, user.username)
        return response
