from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from core import api, ratelimit
from core.client_ip import client_ip
from verifications import services
from verifications.constants import SmsPurpose
from verifications.forms import ImageCodeForm, SmsCodeRequestForm


class ImageCodeView(api.ApiView):
    def get(self, request: HttpRequest, uuid: str) -> HttpResponse:
        form = ImageCodeForm({"image_code_id": uuid})
        if not form.is_valid():
            return api.refused(form.refusal())
        verdict = ratelimit.consume("image_code", ip=client_ip(request))
        if not verdict.allowed:
            return api.refused(
                api.Refused.throttled(_("图形验证码请求过于频繁"), verdict.retry_after)
            )
        png = services.new_image_code(str(form.cleaned_data["image_code_id"]))
        response = HttpResponse(png, content_type="image/png")
        response["Cache-Control"] = "no-store"
        return response


class SmsCodeView(api.ApiView):
    def get(self, request: HttpRequest, mobile: str) -> HttpResponse:
        # A code to change the mobile is for a logged-in shopper only, whatever else is sent.
        if request.GET.get("purpose") == SmsPurpose.CHANGE_MOBILE:
            if not request.user.is_authenticated:
                return api.refused(api.Refused.not_logged_in())
        data = SmsCodeRequestForm.clean_data({**request.GET.dict(), "mobile": mobile})
        services.send_sms_code(
            data["mobile"],
            str(data["image_code_id"]),
            data["image_code"],
            client_ip(request),
            data["purpose"],
        )
        return api.ok(_("发送短信成功"))
