"""Outages of Redis, the database or the broker become a clear 503, never a traceback."""

import logging
import sys
from collections.abc import Callable
from http import HTTPStatus

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from meiduo_mall import api

logger = logging.getLogger(__name__)

SERVICE_ERRORS: tuple[type[BaseException], ...] = (
    RedisError,
    OperationalError,
    InterfaceError,
    BrokerError,
)
UNAVAILABLE_MESSAGE = "服务暂时不可用，请稍后再试"


def service_unavailable(request: HttpRequest, exc: BaseException) -> HttpResponse:
    logger.error("service unavailable on %s %s: %r", request.method, request.path, exc)
    return api.refuse(
        request, api.Code.SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGE, HTTPStatus.SERVICE_UNAVAILABLE
    )


class ServiceUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, SERVICE_ERRORS):
            return service_unavailable(request, exc)
        return None


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: also reached when a session save fails after the view has run."""
    exc = sys.exc_info()[1]
    if isinstance(exc, SERVICE_ERRORS):
        return service_unavailable(request, exc)
    return api.refuse(
        request, api.Code.SERVICE_UNAVAILABLE, "服务器内部错误", HTTPStatus.INTERNAL_SERVER_ERROR
    )


class MethodNotAllowedMiddleware:
    """405 for a method the view does not have, before CSRF could answer 403 for it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable, view_args: tuple, view_kwargs: dict
    ) -> HttpResponse | None:
        view_class = getattr(view_func, "view_class", None)
        if view_class is None:
            return None
        method = request.method.lower()
        if method in view_class.http_method_names and hasattr(view_class, method):
            return None
        allowed = [m.upper() for m in view_class.http_method_names if hasattr(view_class, m)]
        return HttpResponseNotAllowed(allowed)
