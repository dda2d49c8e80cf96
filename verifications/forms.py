"""What a shopper sends to get a captcha or an SMS code, and the SMS code field that
other apps' forms check against Redis."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.api import Code
from core.forms import ApiFormMixin, MobileField, share_fields
from verifications import services
from verifications.constants import SmsPurpose
from verifications.services import SmsCodeCheck

IMAGE_CODE_ID_MESSAGE = _("图形验证码标识无效")

SMS_CODE_MESSAGES = {
    SmsCodeCheck.EXPIRED: _("短信验证码已失效，请重新获取"),
    SmsCodeCheck.WRONG: _("短信验证码输入错误"),
    SmsCodeCheck.DEAD: _("短信验证码错误次数过多，请重新获取"),
}


@share_fields
class ImageCodeForm(ApiFormMixin, forms.Form):
    image_code_id = forms.UUIDField(error_messages={"invalid": IMAGE_CODE_ID_MESSAGE})
    field_codes = {"image_code_id": Code.PARAM_ERR}


class PurposeField(forms.ChoiceField):
    """What the code is for; none (or empty) is registration, as in the notes."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            choices=SmsPurpose.choices,
            required=False,
            error_messages={"invalid_choice": _("短信验证码用途无效")},
            **kwargs,
        )

    def clean(self, value: object) -> str:
        return super().clean(value) or SmsPurpose.REGISTER


@share_fields
class SmsCodeRequestForm(ApiFormMixin, forms.Form):
    """GET /sms_codes/<mobile>/?image_code=…&image_code_id=…&purpose=…"""

    mobile = MobileField()
    image_code = forms.CharField(error_messages={"required": _("请输入图形验证码")})
    image_code_id = forms.UUIDField(
        error_messages={"required": _("请输入图形验证码"), "invalid": IMAGE_CODE_ID_MESSAGE}
    )
    purpose = PurposeField()
    field_codes = {
        "mobile": Code.MOBILE_ERR,
        "image_code": Code.IMAGE_CODE_ERR,
        "image_code_id": Code.PARAM_ERR,
        "purpose": Code.PARAM_ERR,
    }


def sms_code_field() -> forms.CharField:
    return forms.CharField(error_messages={"required": _("请输入短信验证码")})


def check_sms_code(
    form: forms.Form,
    purpose: str = SmsPurpose.REGISTER,
    mobile_field: str = "mobile",
    spend: bool = False,
) -> bool:
    """Add the SMS code's error to `form`, if the code is not the one sent to the mobile
    for `purpose` (a code for another purpose never matches); True when it matches.
    Call it last, once every other field is valid: a wrong guess spends one of the
    code's tries. `spend`: a match spends the code at once (a login)."""
    mobile = form.cleaned_data.get(mobile_field)
    code = form.cleaned_data.get("sms_code")
    if not mobile or not code:
        return False
    check = services.check_sms_code(mobile, code, purpose, spend=spend)
    if check is not SmsCodeCheck.MATCH:
        form.add_error(
            "sms_code", forms.ValidationError(SMS_CODE_MESSAGES[check], code=check.value)
        )
    return check is SmsCodeCheck.MATCH
