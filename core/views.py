"""Site-wide views: the OpenAPI document and its docs page, and the error handlers."""

import sys
from functools import cache
from http import HTTPStatus
from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from core import api, health
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
    message = "请求已过期或来源不明，请刷新页面后重试"
    return api.refuse(request, api.Code.FORBIDDEN, message, HTTPStatus.FORBIDDEN)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400: a body Django cannot parse (a multipart form without its boundary)."""
    return api.refuse(request, api.Code.PARAM_ERR, "请求数据格式错误", HTTPStatus.BAD_REQUEST)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: also reached when a session save fails after the view has run."""
    exc = sys.exc_info()[1]
    if isinstance(exc, SERVICE_ERRORS):
        return service_unavailable(request, exc)
    return api.refuse(
        request, api.Code.SERVICE_UNAVAILABLE, "服务器内部错误", HTTPStatus.INTERNAL_SERVER_ERROR
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
                f"服务暂时不可用：{'、'.join(failed)}",
                status=HTTPStatus.SERVICE_UNAVAILABLE,
                failed=failed,
            )
        return api.ok()
