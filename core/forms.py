"""What every form of the site shares: its first error as an API refusal, the rules a
page checks before it posts, and the field kinds more than one app uses."""

import functools
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from core.api import Code, Refused

MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")  # [0-9]: \d would take any script's digits
MOBILE_MESSAGE = _("请输入正确的手机号码")
validate_mobile = RegexValidator(MOBILE_RE, MOBILE_MESSAGE, code="invalid")


class MobileField(forms.CharField):
    """A mainland China mobile number: 11 digits starting 13-19."""

    default_validators = [validate_mobile]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", {"required": _("请输入手机号")})

        super().__init__(**kwargs)


class RawCheckboxInput(forms.CheckboxInput):
    """Hands the field what was sent; Django's own turns any other text into True."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.get(name)


class CheckboxField(forms.BooleanField):
    """A box ticked in a form ("on") or sent by a script (true, "true", "1", "yes").
    Anything else, "off" included, is unticked."""

    widget = RawCheckboxInput

    def to_python(self, value: Any) -> bool:
        if isinstance(value, str):
            return value.strip().lower() in {"true", "on", "1", "yes"}
        return value is True


class SharedFields(dict):
    """A form class's fields, which its instances share instead of each taking a deep
    copy (Django's default, so that one instance may change its own fields)."""

    def __deepcopy__(self, memo: dict) -> "SharedFields":
        return self


F = TypeVar("F", bound=type[forms.BaseForm])


def share_fields(form_class: F) -> F:
    """For a form that only validates and never changes its fields: the copy cost about
    0.1 ms of CPU on every request to /sms_codes/ (README, Benchmarks)."""
    form_class.base_fields = SharedFields(form_class.base_fields)
    return form_class


class ApiFormMixin:
    """For a form that also answers scripts: its first error becomes a Refused, and its
    rules go to the page that checks them before posting."""

    errors: forms.utils.ErrorDict
    fields: dict[str, forms.Field]

    # The API code of an error on each field (a missing field is always MISSING_PARAM).
    field_codes: dict[str, Code] = {}
    non_field_code: Code = Code.PARAM_ERR

    def refusal(self) -> Refused:
        """The first error, as the checks met it: its field, message and code."""
        for name, errors in self.errors.as_data().items():
            return self._refused(name, errors[0])
        raise ValueError("the form has no errors")

    @classmethod
    def _refused(cls, name: str, error: ValidationError) -> Refused:
        message = next(iter(error))
        field = None if name == forms.forms.NON_FIELD_ERRORS else name
        if error.code == "throttled":  # the message already says how long to wait
            retry_after = error.params["retry_after"]
            return Refused(
                Code.THROTTLED, message, field, retry_after, HTTPStatus.TOO_MANY_REQUESTS
            )
        if error.code == "required":
            return Refused(Code.MISSING_PARAM, message, field)
        code = cls.field_codes.get(name, cls.non_field_code) if field else None
        return Refused(code or cls.non_field_code, message, field)

    @classmethod
    def clean_data(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        """What is_valid() and refusal() decide, for a form whose every check is its
        fields' own (no clean() or clean_<field>()): the cleaned data, or Refused for the
        first error. Without a bound form's BoundFields and ErrorDict, a request to
        /sms_codes/ costs the machine about 0.05 ms less (README, Benchmarks)."""
        if not _fields_check_alone(cls):
            raise TypeError(f"{cls.__name__} has checks of its own: use is_valid()")
        cleaned = {}
        for name, field in cls.base_fields.items():  # type: ignore[attr-defined]
            try:
                cleaned[name] = field.clean(field.widget.value_from_datadict(data, {}, name))
            except ValidationError as error:
                raise cls._refused(name, error.error_list[0]) from None
        return cleaned

    def page_rules(self) -> dict[str, dict[str, Any]]:
        """Each field's rules and messages, for the page to check before it posts: only
        what the server itself checks. "required" is "" for an optional field; a length
        comes from the field's length validator (with its message, "" if the field has
        none of its own, in which case the page leaves it to the server)."""
        rules: dict[str, dict[str, Any]] = {}
        for name, field in self.fields.items():
            messages = field.error_messages
            rule: dict[str, Any] = {
                "required": messages.get("required", "") if field.required else ""
            }
            # Django's length validators carry the code their message is filed under.
            for validator in field.validators:
                key = {"min_length": "minLength", "max_length": "maxLength"}.get(
                    getattr(validator, "code", "")
                )
                if key:
                    limit = validator.limit_value
                    rule[key] = limit() if callable(limit) else limit
                    rule[f"{key}Message"] = messages.get(validator.code, "")
            rule["patterns"] = [
                {"pattern": v.regex.pattern, "message": str(v.message), "inverse": v.inverse_match}
                for v in field.validators
                if isinstance(v, RegexValidator)
            ]
            rules[name] = rule
        rules["texts"] = page_texts()
        return rules


@functools.cache
def _fields_check_alone(form_class: type) -> bool:
    """True when a form class adds no check to its fields' (clean() or clean_<field>())."""
    own_clean = form_class.clean is not forms.Form.clean  # type: ignore[attr-defined]
    return not own_clean and not any(
        hasattr(form_class, f"clean_{name}")
        for name in form_class.base_fields  # type: ignore[attr-defined]
    )


def page_texts() -> dict[str, Any]:
    """What the pages' scripts say of their own (static/js/forms.js, user-center.js), in
    the request's language: sent with the rules, so every text has one source, here."""
    return {
        "network": _("网络错误，请稍后再试"),
        "failed": _("操作失败，请稍后再试"),
        "smsSent": _("短信验证码已发送，请注意查收"),
        "smsButton": _("获取短信验证码"),
        "smsWait": _("%(seconds)s秒"),  # the SMS button's countdown
        "mismatch": _("两次输入的密码不一致"),
        "emailActive": _("已验证"),
        "emailInactive": _("未验证"),
    }
