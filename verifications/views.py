import logging
import re
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse
from kombu.exceptions import OperationalError as BrokerError

from celery_tasks.sms.tasks import ccp_send_sms_code
from celery_tasks.sms.yuntongxun.ccp_sms import mask_mobile
from meiduo_mall import api, ratelimit
from meiduo_mall.client_ip import client_ip
from users.constants import MOBILE_RE
from verifications import services
from verifications.services import SmsCodeIssue

logger = logging.getLogger(__name__)

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")

_SMS_REFUSALS = {
    SmsCodeIssue.IMAGE_CODE_EXPIRED: "图形验证码已失效，请点击图片刷新",
    SmsCodeIssue.IMAGE_CODE_WRONG: "图形验证码输入错误",
}


class ImageCodeView(api.ApiView):
    def get(self, request: HttpRequest, uuid: str) -> HttpResponse:
        if not UUID_RE.fullmatch(uuid):
            return api.error(api.Code.PARAM_ERR, "图形验证码标识无效")
        verdict = ratelimit.consume("image_code", ip=client_ip(request))
        if not verdict.allowed:
            return api.too_many("图形验证码请求过于频繁", verdict.retry_after)
        png = services.new_image_code(uuid)
        response = HttpResponse(png, content_type="image/png")
        response["Cache-Control"] = "no-store"
        return response


class SmsCodeView(api.ApiView):
    def get(self, request: HttpRequest, mobile: str) -> HttpResponse:
        image_code = request.GET.get("image_code", "").strip()
        image_code_id = request.GET.get("image_code_id", "").strip()
        if not MOBILE_RE.fullmatch(mobile):
            return api.error(api.Code.MOBILE_ERR, "请输入正确的手机号码")
        if not image_code or not image_code_id:
            return api.error(api.Code.MISSING_PARAM, "请输入图形验证码")
        if not UUID_RE.fullmatch(image_code_id):
            return api.error(api.Code.PARAM_ERR, "图形验证码标识无效")

        sms_code = services.new_sms_code()
        outcome = services.issue_sms_code(
            mobile, image_code_id, image_code, sms_code, client_ip(request)
        )
        if outcome.issue is SmsCodeIssue.THROTTLED:
            return api.too_many("发送短信过于频繁", outcome.retry_after)
        if outcome.issue is SmsCodeIssue.LIMITED:
            return api.too_many("短信发送次数已达上限", outcome.retry_after)
        if outcome.issue is not SmsCodeIssue.ISSUED:
            return api.error(api.Code.IMAGE_CODE_ERR, _SMS_REFUSALS[outcome.issue])

        try:
            ccp_send_sms_code.delay(mobile, sms_code)
        except BrokerError:
            # Nothing was queued: give the mobile its turn back rather than a 60 s wait.
            logger.exception("could not queue the SMS for %s", mask_mobile(mobile))
            services.withdraw_sms_code(mobile)
            return api.error(
                api.Code.SERVICE_UNAVAILABLE,
                "短信服务暂时不可用，请稍后再试",
                status=HTTPStatus.SERVICE_UNAVAILABLE,
            )
        return api.ok("发送短信成功")
