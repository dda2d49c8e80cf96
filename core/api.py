"""The JSON shape every endpoint answers with: {"code": 0, "message": "..."}, and the
one refusal type that services and forms of every app raise."""

import json
from dataclasses import dataclass
from enum import IntEnum
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from core.ratelimit import wait_message


class Code(IntEnum):
    """Response codes, as the original Meiduo project numbers them."""

    OK = 0
    IMAGE_CODE_ERR = 4001
    THROTTLED = 4002
    MISSING_PARAM = 4003
    USERNAME_ERR = 4004
    PASSWORD_ERR = 4005
    PASSWORD2_ERR = 4006
    MOBILE_ERR = 4007
    SMS_CODE_ERR = 4008
    ALLOW_ERR = 4009
    LOGIN_ERR = 4010
    EMAIL_ERR = 4011
    NOT_LOGGED_IN = 4101
    FORBIDDEN = 4103
    PARAM_ERR = 5006
    SERVICE_UNAVAILABLE = 5000


@dataclass
class Refused(Exception):
    """A request refused: a code, a message for the shopper, the field at fault."""

    code: Code
    message: str
    field: str | None = None
    retry_after: int = 0  # seconds; set when a rate limit refused
    status: int = HTTPStatus.BAD_REQUEST

    @classmethod
    def throttled(cls, what: str, retry_after: int, field: str | None = None) -> "Refused":
        """429 with the wait in the message ("请5分钟后再试") and in Retry-After.
        `what`: the refusal, already translated (gettext)."""
        return cls(
            Code.THROTTLED,
            wait_message(what, retry_after),
            field=field,
            retry_after=retry_after,
            status=HTTPStatus.TOO_MANY_REQUESTS,
        )

    @classmethod
    def not_logged_in(cls) -> "Refused":
        """401: the endpoint needs a login and the request has none."""
        return cls(Code.NOT_LOGGED_IN, _("用户未登录"), status=HTTPStatus.UNAUTHORIZED)


# Chinese messages as themselves, not as \uXXXX escapes. A message may be a lazy
# translation (gettext_lazy): JsonResponse's encoder renders it in the active language.
JSON_PARAMS = {"ensure_ascii": False}


def ok(message: str = "OK", **extra: Any) -> JsonResponse:
    return JsonResponse(
        {"code": Code.OK, "message": message, **extra}, json_dumps_params=JSON_PARAMS
    )


def error(
    code: Code, message: str, status: int = HTTPStatus.BAD_REQUEST, **extra: Any
) -> JsonResponse:
    details = {key: value for key, value in extra.items() if value is not None}
    return JsonResponse(
        {"code": int(code), "message": message, **details},
        status=status,
        json_dumps_params=JSON_PARAMS,
    )


def refused(refusal: Refused) -> JsonResponse:
    """A refusal as JSON, with Retry-After when a limit refused."""
    response = error(
        refusal.code,
        refusal.message,
        status=refusal.status,
        field=refusal.field,
        retry_after=refusal.retry_after or None,
    )
    if refusal.retry_after:
        response["Retry-After"] = str(refusal.retry_after)
    return response


FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


class ApiView(View):
    """An endpoint that answers only JSON, even for its errors."""

    json_only = True


def wants_json(request: HttpRequest) -> bool:
    """True for JSON-only endpoints and clients that speak JSON (body or Accept header)."""
    view = getattr(getattr(request, "resolver_match", None), "func", None)
    if getattr(getattr(view, "view_class", None), "json_only", False):
        return True
    if request.content_type == "application/json":
        return True
    if request.method == "POST" and request.content_type not in FORM_TYPES:
        return True  # not a browser's form, so a script: answer in JSON
    if request.method in {"PUT", "PATCH", "DELETE"}:
        return True  # a browser's form never sends these: a script
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


class LoginRequiredMixin:
    """For a view that needs a login: a visitor gets 401 JSON, or for a browser the
    login page, coming back to `login_next` (the page the form lives on) afterwards."""

    login_next = "/info/"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            if wants_json(request):
                return refused(Refused.not_logged_in())
            return redirect(f"{settings.LOGIN_URL}?next={self.login_next}")
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def refuse(request: HttpRequest, code: Code, message: str, status: int) -> HttpResponse:
    """A refusal in the client's terms: JSON for scripts, a plain page for browsers.
    The page uses nothing of the session, so it renders while Redis is down."""
    if wants_json(request):
        return error(code, message, status=status)
    return render(request, "error.html", {"message": message}, status=status)


class DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # {"password": "a", "password": "b"}: which one did the client mean? Refuse to guess.
    data = dict(pairs)
    if len(data) != len(pairs):
        raise DuplicateKey
    return data


def request_data(request: HttpRequest) -> dict[str, Any]:
    """The posted fields, whether sent as JSON or as a form; raises Refused.

    JSON values that are neither text nor true/false count as missing: a form field
    holds text, and `["x"]` is no username."""
    if request.content_type != "application/json":
        return request.POST.dict()
    try:
        data = json.loads(request.body or b"{}", object_pairs_hook=_no_duplicate_keys)
    except DuplicateKey:
        raise Refused(Code.PARAM_ERR, _("请求数据中有重复的字段")) from None
    except RequestDataTooBig:
        raise Refused(
            Code.PARAM_ERR, _("请求数据过大"), status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE
        ) from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Refused(Code.PARAM_ERR, _("请求数据不是有效的JSON")) from None
    if not isinstance(data, dict):
        raise Refused(Code.PARAM_ERR, _("请求数据应为JSON对象"))

    return {key: value for key, value in data.items() if isinstance(value, str | bool)}
