import uuid
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from meiduo_mall import api, ratelimit
from meiduo_mall.client_ip import client_ip
from users import services
from users.constants import MOBILE_RE, USERNAME_RE
from users.cookies import forget_username, remember_username
from users.services import Refused


def safe_next(request: HttpRequest, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


class CsrfTokenView(api.ApiView):
    def get(self, request: HttpRequest) -> HttpResponse:
        return api.ok(csrf_token=get_token(request))


class FormOrJsonView(View):
    """A POST sent as JSON is answered in JSON; a form post gets a page or a redirect."""

    template_name: str

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            data = api.request_data(request)
        except api.MalformedBody as exc:
            return api.error(api.Code.PARAM_ERR, str(exc))
        try:
            return self.accepted(request, data)
        except Refused as refusal:
            status = HTTPStatus.TOO_MANY_REQUESTS if refusal.retry_after else HTTPStatus.BAD_REQUEST
            if api.wants_json(request):
                response = api.error(
                    refusal.code,
                    refusal.message,
                    status=status,
                    field=refusal.field,
                    retry_after=refusal.retry_after or None,
                )
            else:
                context = self.refused_context(request, data, refusal)
                response = render(request, self.template_name, context, status=status)
            if refusal.retry_after:
                response["Retry-After"] = str(refusal.retry_after)
            return response

    def accepted(self, request: HttpRequest, data: dict[str, Any]) -> HttpResponse:
        raise NotImplementedError

    def refused_context(
        self, request: HttpRequest, data: dict[str, Any], refusal: Refused
    ) -> dict[str, Any]:
        raise NotImplementedError


class RegisterView(FormOrJsonView):
    template_name = "users/register.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"image_code_id": uuid.uuid4()})

    def accepted(self, request: HttpRequest, data: dict[str, Any]) -> HttpResponse:
        user = services.register(data)
        login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        response = api.ok("注册成功") if api.wants_json(request) else redirect("contents:index")
        return remember_username(response, user.username)

    def refused_context(
        self, request: HttpRequest, data: dict[str, Any], refusal: Refused
    ) -> dict[str, Any]:
        return {
            "errmsg": refusal.message,
            "field": refusal.field,
            "form": {k: v for k, v in data.items() if k not in {"password", "password2"}},
            "image_code_id": uuid.uuid4(),
        }


class LoginView(FormOrJsonView):
    template_name = "users/login.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"next": safe_next(request, "")})

    def accepted(self, request: HttpRequest, data: dict[str, Any]) -> HttpResponse:
        user = services.authenticate_account(request, data)
        login(request, user)  # rotates the session key and the CSRF token
        # Not remembered: the session ends with the browser; remembered: two weeks.
        request.session.set_expiry(None if services.is_checked(data.get("remembered")) else 0)
        response = api.ok("登录成功") if api.wants_json(request) else redirect(safe_next(request))
        return remember_username(response, user.username)

    def refused_context(
        self, request: HttpRequest, data: dict[str, Any], refusal: Refused
    ) -> dict[str, Any]:
        return {
            "account_errmsg": refusal.message,
            "username": services.as_text(data.get("username")),
            "next": safe_next(request, ""),
        }


class LogoutView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return self.post(request)

    def post(self, request: HttpRequest) -> HttpResponse:
        logout(request)
        return forget_username(redirect("contents:index"))


class UserInfoView(View):
    template_name = "users/info.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            if api.wants_json(request):
                return api.error(
                    api.Code.NOT_LOGGED_IN, "用户未登录", status=HTTPStatus.UNAUTHORIZED
                )
            return redirect(f"{settings.LOGIN_URL}?next={request.path}")
        info = {"username": request.user.username, "mobile": request.user.mobile}
        if api.wants_json(request):
            return api.ok(**info)
        return render(request, self.template_name, info)


class CountView(api.ApiView):
    """The register form's "is it taken?" questions, limited per IP against enumeration."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        verdict = ratelimit.consume("count", ip=client_ip(request))
        if not verdict.allowed:
            return api.too_many("请求过于频繁", verdict.retry_after)
        return super().dispatch(request, *args, **kwargs)


class UsernameCountView(CountView):
    def get(self, request: HttpRequest, username: str) -> HttpResponse:
        if not USERNAME_RE.fullmatch(username):
            return api.error(api.Code.USERNAME_ERR, "请输入5-20个字符的用户名（字母、数字、_或-）")
        return api.ok(count=int(services.username_taken(username)))


class MobileCountView(CountView):
    def get(self, request: HttpRequest, mobile: str) -> HttpResponse:
        if not MOBILE_RE.fullmatch(mobile):
            return api.error(api.Code.MOBILE_ERR, "请输入正确的手机号码")
        return api.ok(count=int(services.mobile_taken(mobile)))
