"""Site-wide views: the OpenAPI document and its docs page, and the error handlers."""

import ipaddress
import secrets
import sys
from functools import cache
from http import HTTPStatus
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views import View

from core import api, health, metrics
from core.client_ip import client_ip
from core.middleware import SERVICE_ERRORS, service_unavailable

OPENAPI_PATH = Path(__file__).resolve().parent / "openapi.yaml"


@cache
def openapi_document() -> bytes:
    return OPENAPI_PATH.read_bytes()


class ApiSchemaView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(openapi_document(), content_type="application/yaml; charset=utf-8")


class ApiDocsView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "api_docs.html")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the API's JSON shape for scripts, a page for browsers."""
    message = _("请求已过期或来源不明，请刷新页面后重试")
    return api.refuse(request, api.Code.FORBIDDEN, message, HTTPStatus.FORBIDDEN)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400: a body Django cannot parse (a multipart form without its boundary)."""
    return api.refuse(request, api.Code.PARAM_ERR, _("请求数据格式错误"), HTTPStatus.BAD_REQUEST)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: also reached when a session save fails after the view has run."""
    exc = sys.exc_info()[1]
    if isinstance(exc, SERVICE_ERRORS):
        return service_unavailable(request, exc)
    return api.refuse(
        request, api.Code.SERVICE_UNAVAILABLE, _("服务器内部错误"), HTTPStatus.INTERNAL_SERVER_ERROR
    )


class HealthzView(View):
    """Liveness: the process answers. No database, Redis or broker call."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok", content_type="text/plain")


class ReadyzView(api.ApiView):
    """Readiness: the database, Redis and the broker answer. 503 names which did not,
    and nothing more (no address, no error text)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        failed = [name for name, ok in health.check_all().items() if not ok]
        if failed:
            return api.error(
                api.Code.SERVICE_UNAVAILABLE,
                _("服务暂时不可用：%(services)s")
                % {"services": pgettext("between the names of a list", "、").join(failed)},
                status=HTTPStatus.SERVICE_UNAVAILABLE,
                failed=failed,
            )
        return api.ok()


class MetricsView(View):
    """Prometheus' /metrics (core/metrics.py) for the addresses of METRICS_ALLOWED_IPS or
    the bearer of METRICS_TOKEN. Anyone else gets the site's 404, as for a path that does
    not exist; a wrong token a 403."""

    def get(self, request: HttpRequest) -> HttpResponse:
        status = metrics_access(request)
        if status is HTTPStatus.NOT_FOUND:
            raise Http404
        if status is HTTPStatus.FORBIDDEN:
            return HttpResponse("forbidden", status=status, content_type="text/plain")
        return HttpResponse(metrics.exposition(), content_type=metrics.CONTENT_TYPE)


def metrics_access(request: HttpRequest) -> HTTPStatus:
    """OK for an allowed address or the right bearer token; FORBIDDEN for a wrong token
    from elsewhere; NOT_FOUND otherwise."""
    scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
    sent_token = scheme.lower() == "bearer" and bool(token)
    if sent_token and settings.METRICS_TOKEN:
        if secrets.compare_digest(token.strip().encode(), settings.METRICS_TOKEN.encode()):
            return HTTPStatus.OK
    if address_allowed(client_ip(request), settings.METRICS_ALLOWED_IPS):
        return HTTPStatus.OK
    return HTTPStatus.FORBIDDEN if sent_token else HTTPStatus.NOT_FOUND


def address_allowed(address: str, allowed: list[str]) -> bool:
    """Whether `address` is one of `allowed` (addresses or networks, e.g. 10.0.0.0/8)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in allowed:
        try:
            if ip in ipaddress.ip_network(entry.strip(), strict=False):
                return True
        except ValueError:
            continue  # a mistyped entry allows nobody
    return False
