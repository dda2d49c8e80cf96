"""What a shopper types to register, log in and manage the account: each rule and
message once, here. The pages receive these rules (page_rules) to check fields before
they post."""

from typing import Any

from django import forms
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.forms import AuthenticationForm, SetPasswordMixin
from django.core.validators import RegexValidator
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core import metrics, ratelimit
from core.api import Code
from core.client_ip import client_ip
from core.forms import MOBILE_RE, ApiFormMixin, CheckboxField, MobileField
from users.backends import get_user_by_account
from verifications.constants import SmsPurpose
from verifications.forms import check_sms_code, sms_code_field

User = get_user_model()

USERNAME_RE = r"^[a-zA-Z0-9_-]{5,20}$"
USERNAME_MESSAGE = _("请输入5-20个字符的用户名（字母、数字、_或-）")
# The notes' 8-20 letters and digits, and longer passphrases of any printable
# character (OWASP ASVS 5.0, 6.2.x); Django's validators refuse the weak ones.
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 64
PASSWORD_LENGTH_MESSAGE = _("密码长度应为8-64位")  # noqa: S105 (a message)
# No control characters (C0, DEL, C1) nor line separators; one pattern for Python and JS.
# Searched for, not matched whole: Python's "$" would let a final newline through.
PASSWORD_FORBIDDEN = r"[\x00-\x1f\x7f-\x9f\u2028\u2029]"  # noqa: S105 (a pattern)


def password_field(required_message: str) -> forms.CharField:
    return forms.CharField(
        strip=False,  # spaces are characters too
        min_length=PASSWORD_MIN_LENGTH,
        max_length=PASSWORD_MAX_LENGTH,
        validators=[
            RegexValidator(PASSWORD_FORBIDDEN, _("密码不能包含换行等控制字符"), inverse_match=True)
        ],
        error_messages={
            "required": required_message,
            "min_length": PASSWORD_LENGTH_MESSAGE,
            "max_length": PASSWORD_LENGTH_MESSAGE,
        },
    )


class RegisterForm(ApiFormMixin, SetPasswordMixin, forms.ModelForm):
    """Django's SetPasswordMixin under the notes' field names (password, password2);
    the SMS code is checked last, once everything else holds, so a refusal for
    another field never spends one of its tries."""

    username = forms.CharField(
        validators=[
            RegexValidator(USERNAME_RE, USERNAME_MESSAGE),
            # Login takes "username or mobile": a mobile-shaped username could match two people.
            RegexValidator(MOBILE_RE, _("用户名不能是手机号"), inverse_match=True),
        ],
        error_messages={"required": _("请输入用户名"), "unique": _("用户名已存在")},
    )
    password = password_field(_("请输入密码"))
    password2 = forms.CharField(strip=False, error_messages={"required": _("请再次输入密码")})
    mobile = MobileField(
        error_messages={"required": _("请输入手机号"), "unique": _("手机号已注册")}
    )
    sms_code = sms_code_field()
    allow = CheckboxField(error_messages={"required": _("请勾选同意用户协议")})

    error_messages = {"password_mismatch": _("两次输入的密码不一致")}
    field_codes = {
        "username": Code.USERNAME_ERR,
        "password": Code.PASSWORD_ERR,
        "password2": Code.PASSWORD2_ERR,
        "mobile": Code.MOBILE_ERR,
        "sms_code": Code.SMS_CODE_ERR,
        "allow": Code.ALLOW_ERR,
    }

    class Meta:
        model = User
        fields = ("username", "mobile")

    def clean(self) -> dict[str, Any]:
        self.validate_passwords("password", "password2")
        return super().clean()

    def _post_clean(self) -> None:
        super()._post_clean()  # the model's own checks, and the unique username and mobile
        self.validate_password_for_user(self.instance, "password")
        if not self.errors:
            check_sms_code(self)
            self._name_a_lost_race()

    def _name_a_lost_race(self) -> None:
        # A registration of this mobile that won a race just spent its code: the shopper
        # should hear that the mobile is taken, not that the code expired.
        mobile = self.cleaned_data.get("mobile")
        if self.has_error("sms_code", "expired") and mobile:
            if type(self.instance)._default_manager.filter(mobile=mobile).exists():
                self._errors.pop("sms_code")
                message = self.fields["mobile"].error_messages["unique"]
                self.add_error("mobile", forms.ValidationError(message, code="unique"))

    def save(self, commit: bool = True) -> Any:
        user = super().save(commit=False)
        return self.set_password_and_save(user, "password", commit=commit)

    def page_rules(self) -> dict[str, Any]:
        return {**super().page_rules(), "messages": dict(self.error_messages)}


class AccountField(forms.CharField):
    """A username or a mobile, taken as typed: one no user can have (a NUL byte, too
    long) is a failed login like any other, not a message that tells it apart."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators = []


class LoginForm(ApiFormMixin, AuthenticationForm):
    """Django's AuthenticationForm with a username *or* a mobile, a limit on failures
    and "remember me". The account is looked up once and handed to the backend."""

    username = AccountField(error_messages={"required": _("请输入用户名或手机号")})
    password = forms.CharField(strip=False, error_messages={"required": _("请输入密码")})
    remembered = CheckboxField(required=False)

    error_messages = {"invalid_login": _("用户名或密码错误"), "inactive": _("用户名或密码错误")}
    non_field_code = Code.LOGIN_ERR

    def __init__(self, request: HttpRequest, data: Any = None) -> None:
        super().__init__(request, data=data)

    def clean(self) -> dict[str, Any]:
        account = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if account and password:
            self.user_cache = self.authenticate_limited(account, password)
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data

    def authenticate_limited(self, account: str, password: str) -> Any:
        """Failures count per account (the user, however named) and per client IP. A try
        is counted before the password check, so concurrent guesses cannot slip past
        the limit, and given back when it succeeds."""
        known = get_user_by_account(account)
        limit = LoginFailures(self.request, known, account)
        user = authenticate(self.request, username=account, password=password, known_user=known)
        if user is None:
            metrics.login_failed("password")
            raise self.get_invalid_login_error()
        limit.refund()
        return user


class LoginFailures:
    """One try counted toward settings.RATE_LIMITS["login_failed"] (per account, per
    client IP), before the secret is checked, so concurrent guesses cannot slip past the
    limit; refund() gives it back when the secret was right. Every way of proving who
    one is (a password, an SMS code to log in, the password before a change) shares the
    account's count. Raises a "throttled" ValidationError when the limit is reached."""

    def __init__(self, request: HttpRequest, user: Any | None, account: str = "") -> None:
        self.values = {
            "account": f"user:{user.pk}" if user else f"name:{account.lower()}",
            "ip": client_ip(request),
        }
        self.verdict = ratelimit.consume("login_failed", **self.values)
        if not self.verdict.allowed:
            raise forms.ValidationError(
                ratelimit.wait_message(_("登录失败次数过多"), self.verdict.retry_after),
                code="throttled",
                params={"retry_after": self.verdict.retry_after},
            )

    def refund(self) -> None:
        ratelimit.refund("login_failed", self.verdict, **self.values)


def active_user_with_mobile(mobile: str) -> Any | None:
    return User._default_manager.filter(mobile=mobile, is_active=True).first()


NO_ACCOUNT_MESSAGE = _("手机号未注册")
PASSWORD_INCORRECT_MESSAGE = _("密码错误")  # noqa: S105 (a message)


class LoginSmsForm(ApiFormMixin, forms.Form):
    """POST /login/sms/: a mobile and the login code sent to it. A wrong code spends one
    of the code's tries and counts as a failed login; a right one is spent at once."""

    mobile = MobileField()
    sms_code = sms_code_field()
    remembered = CheckboxField(required=False)

    field_codes = {"mobile": Code.MOBILE_ERR, "sms_code": Code.SMS_CODE_ERR}
    non_field_code = Code.LOGIN_ERR

    def __init__(self, request: HttpRequest, data: Any = None) -> None:
        super().__init__(data)
        self.request = request
        self.user: Any | None = None

    def clean(self) -> dict[str, Any]:
        if self.errors:
            return self.cleaned_data
        mobile = self.cleaned_data["mobile"]
        user = active_user_with_mobile(mobile)
        limit = LoginFailures(self.request, user, mobile)
        # The code first: without one, nothing tells whether the mobile has an account.
        if check_sms_code(self, SmsPurpose.LOGIN, spend=True):
            if user is None:  # deleted or deactivated since its code was sent
                self.add_error("mobile", NO_ACCOUNT_MESSAGE)
            else:
                limit.refund()
                self.user = user
        else:
            metrics.login_failed("sms_code")
        return self.cleaned_data


class PasswordResetForm(ApiFormMixin, SetPasswordMixin, forms.Form):
    """POST /password/reset/: a new password for the account of a mobile, proved by a
    reset_password code; the same password rules as registration."""

    mobile = MobileField()
    sms_code = sms_code_field()
    password = password_field(_("请输入新密码"))
    password2 = forms.CharField(strip=False, error_messages={"required": _("请再次输入新密码")})

    error_messages = {"password_mismatch": _("两次输入的密码不一致")}
    field_codes = {
        "mobile": Code.MOBILE_ERR,
        "sms_code": Code.SMS_CODE_ERR,
        "password": Code.PASSWORD_ERR,
        "password2": Code.PASSWORD2_ERR,
    }

    def __init__(self, data: Any = None) -> None:
        super().__init__(data)
        self.user: Any | None = None

    def clean(self) -> dict[str, Any]:
        self.validate_passwords("password", "password2")
        # The rules that need no account now; the one that does (not too like the
        # username) once the code proved the mobile: before, it would tell who has one.
        self.validate_password_for_user(None, "password")
        if self.errors or not check_sms_code(self, SmsPurpose.RESET_PASSWORD):
            return self.cleaned_data
        self.user = active_user_with_mobile(self.cleaned_data["mobile"])
        if self.user is None:
            self.add_error("mobile", NO_ACCOUNT_MESSAGE)
        else:
            self.validate_password_for_user(self.user, "password")
        return self.cleaned_data

    def save(self) -> Any:
        return self.set_password_and_save(self.user, "password")

    def page_rules(self) -> dict[str, Any]:
        return {**super().page_rules(), "messages": dict(self.error_messages)}


class CurrentPasswordMixin:
    """A logged-in shopper's password, checked again before a change to the account:
    a wrong one counts toward the login-failure limits."""

    request: HttpRequest
    cleaned_data: dict[str, Any]

    def check_current_password(self, field: str) -> str:
        password = self.cleaned_data[field]
        user = self.request.user
        limit = LoginFailures(self.request, user)
        if not user.check_password(password):
            metrics.login_failed("current_password")
            raise forms.ValidationError(PASSWORD_INCORRECT_MESSAGE, code="password_incorrect")
        limit.refund()
        return password


def current_password_field(required_message: str = _("请输入密码")) -> forms.CharField:
    return forms.CharField(strip=False, error_messages={"required": required_message})


class PasswordChangeForm(ApiFormMixin, CurrentPasswordMixin, SetPasswordMixin, forms.Form):
    """POST /password/: Django's PasswordChangeForm under our names and rules."""

    old_password = current_password_field(_("请输入原密码"))
    new_password = password_field(_("请输入新密码"))
    new_password2 = forms.CharField(strip=False, error_messages={"required": _("请再次输入新密码")})

    error_messages = {"password_mismatch": _("两次输入的密码不一致")}
    field_codes = {
        "old_password": Code.PASSWORD_ERR,
        "new_password": Code.PASSWORD_ERR,
        "new_password2": Code.PASSWORD2_ERR,
    }

    def __init__(self, request: HttpRequest, data: Any = None) -> None:
        super().__init__(data)
        self.request = request

    def clean_old_password(self) -> str:
        return self.check_current_password("old_password")

    def clean(self) -> dict[str, Any]:
        self.validate_passwords("new_password", "new_password2")
        self.validate_password_for_user(self.request.user, "new_password")
        return self.cleaned_data

    def save(self) -> Any:
        return self.set_password_and_save(self.request.user, "new_password")

    def page_rules(self) -> dict[str, Any]:
        return {**super().page_rules(), "messages": dict(self.error_messages)}


class MobileChangeForm(ApiFormMixin, CurrentPasswordMixin, forms.Form):
    """POST /mobile/: the password, a new mobile nobody has, and the change_mobile code
    sent to it (checked last: a refusal for another field never spends its tries)."""

    password = current_password_field()
    mobile = MobileField(
        error_messages={"required": _("请输入新手机号"), "unique": _("手机号已注册")}
    )
    sms_code = sms_code_field()

    field_codes = {
        "password": Code.PASSWORD_ERR,
        "mobile": Code.MOBILE_ERR,
        "sms_code": Code.SMS_CODE_ERR,
    }

    def __init__(self, request: HttpRequest, data: Any = None) -> None:
        super().__init__(data)
        self.request = request

    def clean_password(self) -> str:
        return self.check_current_password("password")

    def clean_mobile(self) -> str:
        mobile = self.cleaned_data["mobile"]
        if User._default_manager.filter(mobile=mobile).exists():
            raise forms.ValidationError(self.fields["mobile"].error_messages["unique"], "unique")
        return mobile

    def clean(self) -> dict[str, Any]:
        if not self.errors:
            check_sms_code(self, SmsPurpose.CHANGE_MOBILE)
        return self.cleaned_data


class AccountDeleteForm(ApiFormMixin, CurrentPasswordMixin, forms.Form):
    """POST /account/delete/: the password, once more."""

    password = current_password_field()
    field_codes = {"password": Code.PASSWORD_ERR}

    def __init__(self, request: HttpRequest, data: Any = None) -> None:
        super().__init__(data)
        self.request = request

    def clean_password(self) -> str:
        return self.check_current_password("password")
