import uuid
from http import HTTPStatus
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from core import api, ratelimit
from core.client_ip import client_ip
from core.forms import MobileField
from users import services
from users.cookies import forget_username, remember_username
from users.forms import LoginForm, RegisterForm
from verifications.forms import SmsCodeRequestForm


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
    """A POST sent as JSON is answered in JSON; a form post gets a redirect, or the
    page again with the form's errors."""

    template_name: str

    def get_form(self, request: HttpRequest, data: dict[str, Any] | None = None) -> Any:
        raise NotImplementedError

    def form_valid(self, request: HttpRequest, form: Any) -> HttpResponse:
        raise NotImplementedError

    def page_context(self, request: HttpRequest, form: Any) -> dict[str, Any]:
        return {"form": form}

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request, self.template_name, self.page_context(request, self.get_form(request))
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self.get_form(request, api.request_data(request))
        if form.is_valid():
            try:
                return self.form_valid(request, form)
            except api.Refused as refusal:
                form.add_error(refusal.field, refusal.message)
        refusal = form.refusal()
        if api.wants_json(request):
            return api.refused(refusal)
        context = {**self.page_context(request, form), "refusal": refusal}
        response = render(request, self.template_name, context, status=refusal.status)
        if refusal.retry_after:
            response["Retry-After"] = str(refusal.retry_after)
        return response


class RegisterView(FormOrJsonView):
    template_name = "users/register.html"

    def get_form(self, request: HttpRequest, data: dict[str, Any] | None = None) -> RegisterForm:
        return RegisterForm(data)

    def form_valid(self, request: HttpRequest, form: RegisterForm) -> HttpResponse:
        user = services.register(form)
        login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        response = api.ok("注册成功") if api.wants_json(request) else redirect("contents:index")
        return remember_username(response, user.username)

    def page_context(self, request: HttpRequest, form: RegisterForm) -> dict[str, Any]:
        return {
            "form": form,
            "image_code_id": uuid.uuid4(),
            "rules": {**form.page_rules(), **SmsCodeRequestForm().page_rules()},
        }


class LoginView(FormOrJsonView):
    template_name = "users/login.html"

    def get_form(self, request: HttpRequest, data: dict[str, Any] | None = None) -> LoginForm:
        return LoginForm(request, data)

    def form_valid(self, request: HttpRequest, form: LoginForm) -> HttpResponse:
        user = form.get_user()
        login(request, user)  # rotates the session key and the CSRF token
        # Not remembered: the session ends with the browser; remembered: two weeks.
        request.session.set_expiry(None if form.cleaned_data["remembered"] else 0)
        response = api.ok("登录成功") if api.wants_json(request) else redirect(safe_next(request))
        return remember_username(response, user.username)

    def page_context(self, request: HttpRequest, form: LoginForm) -> dict[str, Any]:
        return {"form": form, "next": safe_next(request, ""), "rules": form.page_rules()}


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
    """The register form's "is it taken?" questions, limited per IP against enumeration.
    Each checks its value with the register form's own field."""

    url_kwarg: str
    field: forms.Field
    field_code: api.Code

    def get(self, request: HttpRequest, **kwargs: str) -> HttpResponse:
        value = kwargs[self.url_kwarg]
        verdict = ratelimit.consume("count", ip=client_ip(request))
        if not verdict.allowed:
            return api.refused(api.Refused.throttled("请求过于频繁", verdict.retry_after))
        try:
            value = self.field.clean(value)
        except forms.ValidationError as exc:
            return api.error(self.field_code, exc.messages[0])
        return api.ok(count=int(self.taken(value)))

    def taken(self, value: str) -> bool:
        raise NotImplementedError


class UsernameCountView(CountView):
    url_kwarg = "username"
    field = RegisterForm.base_fields["username"]
    field_code = api.Code.USERNAME_ERR

    def taken(self, value: str) -> bool:
        return services.username_taken(value)


class MobileCountView(CountView):
    url_kwarg = "mobile"
    field = MobileField()
    field_code = api.Code.MOBILE_ERR

    def taken(self, value: str) -> bool:
        return services.mobile_taken(value)
