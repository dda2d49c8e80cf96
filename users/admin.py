"""The operator's view of accounts: found by username, e-mail or mobile, shown with the
mobile masked; the password only as Django's hash summary, never a code."""

import re

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from core.masking import mask_mobile
from users.models import User

# What the list shows (138****5678) can be pasted back into the search box.
MASKED_MOBILE_RE = re.compile(r"^(1[3-9][0-9])\*{4}([0-9]{4})$")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = [
        "username",
        "masked_mobile",
        "email",
        "email_active",
        "is_active",
        "is_staff",
        "date_joined",
    ]
    list_filter = ["is_active", "is_staff", "email_active"]
    search_fields = ["username", "email", "mobile"]
    search_help_text = "用户名、邮箱、完整手机号、号码片段或掩码（如 138****5678）"
    # The mobile is the shopper's to change (by an SMS code to the new number): shown
    # masked here, never edited or shown in full.
    readonly_fields = ["masked_mobile", "last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("个人信息", {"fields": ["masked_mobile", "email", "email_active"]}),
        ("权限", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("日期", {"fields": ["last_login", "date_joined"]}),
    ]

    @admin.display(description="手机号", ordering="mobile")
    def masked_mobile(self, user: User) -> str:
        return mask_mobile(user.mobile) if user.mobile else "—"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        masked = MASKED_MOBILE_RE.fullmatch(search_term.strip())
        if masked:
            head, tail = masked.groups()
            return queryset.filter(mobile__startswith=head, mobile__endswith=tail), False
        return super().get_search_results(request, queryset, search_term)
