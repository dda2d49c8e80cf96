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
from django.utils.translation import gettext as _
from django.views import View

from core import api, ratelimit
from core.client_ip import client_ip
from core.forms import MobileField
from core.masking import mask_mobile
from users import emails, services
from users.cookies import forget_username, remember_username
from users.forms import (
    AccountDeleteForm,
    LoginForm,
    LoginSmsForm,
    MobileChangeForm,
    PasswordChangeForm,
    PasswordResetForm,
    RegisterForm,
)
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
        response = api.ok(_("注册成功")) if api.wants_json(request) else redirect("contents:index")
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
        return log_in(request, form.get_user(), form.cleaned_data["remembered"])

    def page_context(self, request: HttpRequest, form: LoginForm) -> dict[str, Any]:
        return login_page_context(request, form)


def log_in(request: HttpRequest, user: Any, remembered: bool) -> HttpResponse:
    """Log in as every way of logging in does, and answer."""
    login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])  # rotates the session
    # Not remembered: the session ends with the browser; remembered: two weeks.
    request.session.set_expiry(None if remembered else 0)
    response = api.ok(_("登录成功")) if api.wants_json(request) else redirect(safe_next(request))
    return remember_username(response, user.username)


def login_page_context(request: HttpRequest, form: Any) -> dict[str, Any]:
    """The login page, with its two tabs (password, SMS code) and their rules."""
    rules = {
        **SmsCodeRequestForm().page_rules(),
        **LoginSmsForm(request).page_rules(),
        **LoginForm(request).page_rules(),
    }
    return {
        "form": form,
        "next": safe_next(request, ""),
        "image_code_id": uuid.uuid4(),
        "rules": rules,
    }


class LoginSmsView(FormOrJsonView):
    """POST /login/sms/ {mobile, sms_code, remembered}; a refused form post gets the
    login page again, on its SMS tab."""

    http_method_names = ["post", "options"]
    template_name = "users/login.html"

    def get_form(self, request: HttpRequest, data: dict[str, Any] | None = None) -> LoginSmsForm:
        return LoginSmsForm(request, data)

    def form_valid(self, request: HttpRequest, form: LoginSmsForm) -> HttpResponse:
        return log_in(request, form.user, form.cleaned_data["remembered"])

    def page_context(self, request: HttpRequest, form: LoginSmsForm) -> dict[str, Any]:
        return login_page_context(request, form)


class PasswordResetView(FormOrJsonView):
    """GET the 找回密码 page; POST {mobile, sms_code, password, password2}."""

    template_name = "users/password_reset.html"

    def get_form(
        self, request: HttpRequest, data: dict[str, Any] | None = None
    ) -> PasswordResetForm:
        return PasswordResetForm(data)

    def form_valid(self, request: HttpRequest, form: PasswordResetForm) -> HttpResponse:
        services.reset_password(form)
        if api.wants_json(request):
            return api.ok(_("密码已重置，请重新登录"))
        return redirect("users:login")

    def page_context(self, request: HttpRequest, form: PasswordResetForm) -> dict[str, Any]:
        return {
            "form": form,
            "image_code_id": uuid.uuid4(),
            "rules": {**SmsCodeRequestForm().page_rules(), **form.page_rules()},
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
                    api.Code.NOT_LOGGED_IN, _("用户未登录"), status=HTTPStatus.UNAUTHORIZED
                )
            return redirect(f"{settings.LOGIN_URL}?next={request.path}")
        info = {
            "username": request.user.username,
            "mobile": request.user.mobile,
            "email": request.user.email,
            "email_active": request.user.email_active,
        }
        if api.wants_json(request):
            return api.ok(**info)
        return render(request, self.template_name, user_center_context(request))


def user_center_context(request: HttpRequest) -> dict[str, Any]:
    """The user center page: who is logged in, and its forms' rules."""
    user = request.user
    rules = {
        **SmsCodeRequestForm().page_rules(),
        **AccountDeleteForm(request).page_rules(),
        **MobileChangeForm(request).page_rules(),
        **PasswordChangeForm(request).page_rules(),
    }
    return {
        "username": user.username,
        "mobile_masked": mask_mobile(user.mobile),
        "email": user.email,
        "email_active": user.email_active,
        "image_code_id": uuid.uuid4(),
        "rules": rules,
    }


class AccountFormView(api.LoginRequiredMixin, FormOrJsonView):
    """A change to the logged-in account, posted from the user center: a visitor gets
    401 (JSON) or the login page; a refused form post gets the user center again."""

    http_method_names = ["post", "options"]
    template_name = "users/info.html"

    def page_context(self, request: HttpRequest, form: Any) -> dict[str, Any]:
        return {**user_center_context(request), "form": form}


class PasswordChangeView(AccountFormView):
    """POST /password/ {old_password, new_password, new_password2}."""

    def get_form(
        self, request: HttpRequest, data: dict[str, Any] | None = None
    ) -> PasswordChangeForm:
        return PasswordChangeForm(request, data)

    def form_valid(self, request: HttpRequest, form: PasswordChangeForm) -> HttpResponse:
        services.change_password(request, form)
        if api.wants_json(request):
            return api.ok(_("密码已修改，其他设备上的登录已退出"))
        return redirect("users:info")


class MobileChangeView(AccountFormView):
    """POST /mobile/ {password, mobile, sms_code}: the code sent to the new mobile."""

    def get_form(
        self, request: HttpRequest, data: dict[str, Any] | None = None
    ) -> MobileChangeForm:
        return MobileChangeForm(request, data)

    def form_valid(self, request: HttpRequest, form: MobileChangeForm) -> HttpResponse:
        user = services.change_mobile(request.user, form)
        if api.wants_json(request):
            return api.ok(_("手机号已更换"), mobile=user.mobile)
        return redirect("users:info")


class AccountDeleteView(AccountFormView):
    """POST /account/delete/ {password}: the account is closed and logged out."""

    def get_form(
        self, request: HttpRequest, data: dict[str, Any] | None = None
    ) -> AccountDeleteForm:
        return AccountDeleteForm(request, data)

    def form_valid(self, request: HttpRequest, form: AccountDeleteForm) -> HttpResponse:
        services.delete_account(request)
        response = (
            api.ok(_("账号已注销")) if api.wants_json(request) else redirect("contents:index")
        )
        return forget_username(response)


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
            return api.refused(api.Refused.throttled(_("请求过于频繁"), verdict.retry_after))
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


# --- E-mail: bind an address, verify it by the mailed link (users/emails.py).


def not_logged_in() -> HttpResponse:
    """What every endpoint that needs a login answers a visitor, as /info/ does."""
    return api.error(api.Code.NOT_LOGGED_IN, _("用户未登录"), status=HTTPStatus.UNAUTHORIZED)


class EmailView(FormOrJsonView):
    """PUT /emails/ {email} as JSON, or the same field as a form POST: store the address
    unverified and mail its link. A form post goes back to the user center, or gets a
    page with the refusal."""

    http_method_names = ["put", "post", "options"]
    template_name = "error.html"

    def get_form(
        self, request: HttpRequest, data: dict[str, Any] | None = None
    ) -> emails.EmailForm:
        return emails.EmailForm(data)

    def post(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            return not_logged_in()
        form = self.get_form(request, api.request_data(request))
        try:
            if not form.is_valid():
                raise form.refusal()
            bound = emails.bind_email(request.user, form.cleaned_data["email"], client_ip(request))
        except api.Refused as refusal:
            # Kept whole, not as a form error: a limit is 429, the broker down 503.
            if api.wants_json(request):
                return api.refused(refusal)
            response = render(
                request, self.template_name, {"message": refusal.message}, status=refusal.status
            )
            if refusal.retry_after:
                response["Retry-After"] = str(refusal.retry_after)
            return response
        if not api.wants_json(request):
            return redirect("users:info")
        if not bound.sent:
            return api.ok(_("邮箱已验证"), email=bound.email, email_active=True)
        return api.ok(_("验证邮件已发送，请查收"), email=bound.email, email_active=False)

    put = post


class EmailVerificationView(View):
    """GET /emails/verification/?token=: the mailed link. No login needed: the signed
    token is the proof. A page, or JSON with Accept: application/json."""

    template_name = "users/email_verified.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            email = emails.verify_email(request.GET.get("token", ""))
        except api.Refused as refusal:
            if api.wants_json(request):
                return api.refused(refusal)
            context = {"ok": False, "email": "", "message": refusal.message}
            return render(request, self.template_name, context, status=refusal.status)
        message = _("邮箱验证成功")
        if api.wants_json(request):
            return api.ok(message, email=email, email_active=True)
        context = {"ok": True, "email": email, "message": message}
        return render(request, self.template_name, context)
