"""Errors in the client's terms: an outage of Redis, the database or the broker is a
clear 503, a body too large a 413, a malformed request a 400, and a script gets JSON even
in DEBUG."""

import logging
import time
from collections.abc import Callable
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils import translation
from django.utils.functional import empty
from django.utils.log import log_response
from django.utils.translation import gettext_lazy as _
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from core import api, logs, metrics
from core.client_ip import client_ip
from core.masking import mask_ip

logger = logging.getLogger(__name__)

SERVICE_ERRORS: tuple[type[BaseException], ...] = (
    RedisError,
    OperationalError,
    InterfaceError,
    BrokerError,
)
UNAVAILABLE_MESSAGE = _("服务暂时不可用，请稍后再试")
BAD_REQUEST_MESSAGE = _("请求数据格式错误")  # as core.views.bad_request (handler400) says
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def service_unavailable(request: HttpRequest, exc: BaseException) -> HttpResponse:
    logger.error("service unavailable on %s %s: %r", request.method, request.path, exc)
    return api.refuse(
        request, api.Code.SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGE, HTTPStatus.SERVICE_UNAVAILABLE
    )


def bad_request(request: HttpRequest, exc: Exception) -> HttpResponse:
    """The client's mistake (too many fields, a bad header): 400, never a 500 or, in
    DEBUG, the debug page; logged as Django logs it."""
    response = api.refuse(request, api.Code.PARAM_ERR, BAD_REQUEST_MESSAGE, HTTPStatus.BAD_REQUEST)
    if isinstance(exc, SuspiciousOperation):
        logger_name = f"django.security.{exc.__class__.__name__}"
        log_response(
            str(exc),
            exception=exc,
            request=request,
            response=response,
            level="error",
            logger=logging.getLogger(logger_name),
        )
    else:
        log_response("%s: %s", str(exc), request.path, request=request, response=response)
    return response


def in_client_language(request: HttpRequest) -> None:
    """For an answer given before LocaleMiddleware ran: the client's language, not the
    one this thread's previous request left active."""
    translation.activate(translation.get_language_from_request(request))


class RequestBodyMiddleware:
    """Reads the body (and parses a form) before CSRF or a view does, so that one over
    DATA_UPLOAD_MAX_MEMORY_SIZE is a 413, and a form with more than
    DATA_UPLOAD_MAX_NUMBER_FIELDS fields a 400, in the client's terms, not a debug page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in BODY_METHODS:
            try:
                request.body  # noqa: B018 (read once; Django keeps it)
                request.POST  # noqa: B018 (a form is parsed once too)
            except (TooManyFieldsSent, TooManyFilesSent) as exc:
                in_client_language(request)
                return bad_request(request, exc)
            except RequestDataTooBig:
                in_client_language(request)
                return api.refuse(
                    request,
                    api.Code.PARAM_ERR,
                    _("请求数据过大"),
                    HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                )
        return self.get_response(request)


class ServiceUnavailableMiddleware:
    """Outages become 503; a script's request that fails otherwise gets the JSON 500
    (in DEBUG too, where Django would send an HTML page); a browser in DEBUG keeps
    Django's debug page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, SERVICE_ERRORS):
            return service_unavailable(request, exc)
        if isinstance(exc, api.Refused):
            return api.refused(exc)
        if isinstance(exc, SuspiciousOperation | BadRequest):
            return bad_request(request, exc)  # e.g. a query string of too many fields
        if api.wants_json(request):
            logger.exception("error on %s %s", request.method, request.path)
            return api.error(
                api.Code.SERVICE_UNAVAILABLE,
                _("服务器内部错误"),
                status=HTTPStatus.INTERNAL_SERVER_ERROR,
            )
        return None


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


access_logger = logging.getLogger("core.access")


class RequestLogMiddleware:
    """First in MIDDLEWARE: gives each request its id (the caller's X-Request-ID when
    well-formed, else a new one; sent back in the answer and carried into the Celery
    tasks it queues), then one log line and the metrics per request, named by the URL
    pattern, never by the path (a path may hold a mobile)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = logs.request_id_from(request.headers.get(logs.REQUEST_ID_HEADER))
        with logs.log_context(request_id):
            response = self.get_response(request)
            seconds = time.perf_counter() - started
            view = view_name(request)
            metrics.request_done(view, request.method or "", response.status_code, seconds)
            access_logger.info(
                "%s %s %s",
                request.method,
                view,
                response.status_code,
                extra={
                    "method": request.method,
                    "view": view,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 1),
                    "client_ip": logged_ip(request),
                    "user_id": logged_in_user_id(request),
                },
            )
        response[logs.REQUEST_ID_HEADER] = request_id
        return response


def view_name(request: HttpRequest) -> str:
    """The URL pattern's name ("verifications:sms_code"); "static" for WhiteNoise's files,
    "unmatched" for a path no pattern takes."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or "unnamed"
    if request.path.startswith(settings.STATIC_URL):
        return "static"
    return "unmatched"


def logged_ip(request: HttpRequest) -> str:
    """settings.LOG_CLIENT_IP: "masked" (the network only), "full", or "none"."""
    mode = settings.LOG_CLIENT_IP
    if mode == "none":
        return ""
    address = client_ip(request)
    return address if mode == "full" else mask_ip(address)


def logged_in_user_id(request: HttpRequest) -> int | None:
    """The user's id if the request already looked the session up; never a lookup of
    its own (a Redis round trip for every static file)."""
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if user.is_authenticated else None
