"""What a shopper sends to get a captcha or an SMS code, and the SMS code field that
other apps' forms check against Redis."""

from django import forms

from core.api import Code
from core.forms import ApiFormMixin, MobileField
from verifications import services
from verifications.services import SmsCodeCheck

IMAGE_CODE_ID_MESSAGE = "图形验证码标识无效"

SMS_CODE_MESSAGES = {
    SmsCodeCheck.EXPIRED: "短信验证码已失效，请重新获取",
    SmsCodeCheck.WRONG: "短信验证码输入错误",
    SmsCodeCheck.DEAD: "短信验证码错误次数过多，请重新获取",
}


class ImageCodeForm(ApiFormMixin, forms.Form):
    image_code_id = forms.UUIDField(error_messages={"invalid": IMAGE_CODE_ID_MESSAGE})
    field_codes = {"image_code_id": Code.PARAM_ERR}


class SmsCodeRequestForm(ApiFormMixin, forms.Form):
    """GET /sms_codes/<mobile>/?image_code=…&image_code_id=…"""

    mobile = MobileField()
    image_code = forms.CharField(error_messages={"required": "请输入图形验证码"})
    image_code_id = forms.UUIDField(
        error_messages={"required": "请输入图形验证码", "invalid": IMAGE_CODE_ID_MESSAGE}
    )
    field_codes = {
        "mobile": Code.MOBILE_ERR,
        "image_code": Code.IMAGE_CODE_ERR,
        "image_code_id": Code.PARAM_ERR,
    }


def sms_code_field() -> forms.CharField:
    return forms.CharField(error_messages={"required": "请输入短信验证码"})


def check_sms_code(form: forms.Form, mobile_field: str = "mobile") -> None:
    """Add the SMS code's error to `form`, if the code is not the one sent to the mobile.
    Call it last, once every other field is valid: a wrong guess spends one of the
    code's tries."""
    mobile = form.cleaned_data.get(mobile_field)
    code = form.cleaned_data.get("sms_code")
    if not mobile or not code:
        return
    check = services.check_sms_code(mobile, code)
    if check is not SmsCodeCheck.MATCH:
        form.add_error(
            "sms_code", forms.ValidationError(SMS_CODE_MESSAGES[check], code=check.value)
        )
