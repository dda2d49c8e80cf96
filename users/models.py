from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """Django's user plus the mobile number a shopper registers and logs in with."""

    mobile = models.CharField("手机号", max_length=11, unique=True)

    class Meta:
        db_table = "tb_users"
        verbose_name = "用户"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return self.username
