from django.contrib.auth.models import AbstractUser
from django.db import models

from core.forms import validate_mobile


class User(AbstractUser):
    """Django's user plus the mobile number a shopper registers and logs in with."""

    # NULL only once the account is deleted: its number is erased and free to register
    # again (NULLs never collide on a unique column in SQLite, PostgreSQL or MariaDB).
    mobile = models.CharField(  # noqa: DJ001 ("" would collide on unique; NULL does not)
        "手机号", max_length=11, unique=True, null=True, validators=[validate_mobile]
    )
    # Set only by the link mailed to `email`; a new address starts unverified again.
    email_active = models.BooleanField("邮箱验证状态", default=False)

    # createsuperuser asks for the mobile too: it is unique, so "" would do for one admin only.
    REQUIRED_FIELDS = ["email", "mobile"]

    class Meta:
        db_table = "tb_users"
        verbose_name = "用户"
        verbose_name_plural = verbose_name

    def __str__(self) -> str:
        return self.username
