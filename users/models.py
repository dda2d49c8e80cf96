from django.contrib.auth.models import AbstractUser
from django.db import models

from core.forms import validate_mobile


class User(AbstractUser):
    """Django's user plus the mobile number a shopper registers and logs in with."""

    mobile = models.CharField("手机号", max_length=11, unique=True, validators=[validate_mobile])

    # createsuperuser asks for the mobile too: it is unique, so "" would do for one admin only.
    REQUIRED_FIELDS = ["email", "mobile"]

    class Meta:
        db_table = "tb_users"
        verbose_name = "用户"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return self.username
