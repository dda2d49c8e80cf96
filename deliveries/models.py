from django.db import models


class SmsRecord(models.Model):
    """What became of one SMS message (one Celery task id), across retries and redeliveries.

    Never the full number or the code: the mobile is kept masked, plus a keyed digest
    so that an operator can still find a shopper's records by the full number.
    """

    class Purpose(models.TextChoices):
        REGISTER = "register", "注册"
        LOGIN = "login", "短信登录"
        RESET_PASSWORD = "reset_password", "找回密码"
        CHANGE_MOBILE = "change_mobile", "更换手机号"

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RETRYING = "retrying", "重试中"
        SENT = "sent", "已发送"
        FAILED = "failed", "发送失败"
        EXPIRED = "expired", "已过期"

    task_id = models.CharField("任务 ID", max_length=64, unique=True)
    mobile = models.CharField("手机号", max_length=11, help_text="只保存掩码，如 138****5678")
    mobile_digest = models.CharField(max_length=64, db_index=True, editable=False)
    purpose = models.CharField("用途", max_length=16, choices=Purpose.choices)
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    vendor_message_id = models.CharField("服务商消息 ID", max_length=64, blank=True)
    error = models.CharField("最近错误", max_length=255, blank=True)
    created_at = models.DateTimeField("入队时间", auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    expires_at = models.DateTimeField("验证码过期时间")
    # Held by the worker calling the vendor right now; a redelivered copy waits it out.
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "tb_sms_records"
        verbose_name = "短信记录"
        verbose_name_plural = verbose_name
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.mobile} {self.get_status_display()}"
