"""The JSON shape every endpoint answers with: {"code": 0, "message": "..."}."""

import json
from enum import IntEnum
from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import View

from meiduo_mall.ratelimit import wait_message


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
    NOT_LOGGED_IN = 4101
    FORBIDDEN = 4103
    PARAM_ERR = 5006
    SERVICE_UNAVAILABLE = 5000


# Chinese messages as themselves, not as \uXXXX escapes.
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
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def refuse(request: HttpRequest, code: Code, message: str, status: int) -> HttpResponse:
    """A refusal in the client's terms: JSON for scripts, a plain page for browsers.
    The page uses nothing of the session, so it renders while Redis is down."""
    if wants_json(request):
        return error(code, message, status=status)
    return render(request, "error.html", {"message": message}, status=status)


class MalformedBody(ValueError):
    """The request body is not the JSON object it claims to be."""


def request_data(request: HttpRequest) -> dict[str, Any]:
    """The posted fields, whether sent as JSON or as a form."""
    if request.content_type != "application/json":
        return request.POST.dict()
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedBody("请求数据不是有效的JSON") from exc
    if not isinstance(data, dict):
        raise MalformedBody("请求数据应为JSON对象")
    return data


def too_many(message: str, retry_after: int, code: Code = Code.THROTTLED) -> JsonResponse:
    """429 with the wait in the message ("请5分钟后再试") and in Retry-After."""
    response = error(
        code,
        wait_message(message, retry_after),
        status=HTTPStatus.TOO_MANY_REQUESTS,
        retry_after=retry_after,
    )
    response["Retry-After"] = str(retry_after)
    return response
