from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from core.forms import MOBILE_RE
from deliveries.models import SmsRecord
from deliveries.records import mobile_digest


@admin.register(SmsRecord)
class SmsRecordAdmin(admin.ModelAdmin):
    """Read only: "was my code sent?" is answered by searching the shopper's number."""

    list_display = [
        "mobile",
        "purpose",
        "status",
        "attempts",
        "vendor_message_id",
        "error",
        "created_at",
        "sent_at",
    ]
    # No date_hierarchy: it needs time zone tables in MySQL/MariaDB, which few servers load.
    list_filter = ["status", "purpose", "created_at"]
    search_fields = ["mobile", "=task_id", "=vendor_message_id"]
    search_help_text = "完整手机号、号码片段（如 5678）、任务 ID 或服务商消息 ID"
    fields = [*list_display, "task_id", "expires_at", "updated_at"]
    readonly_fields = fields

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        term = search_term.strip()
        if MOBILE_RE.fullmatch(term):
            # The full number is not stored; its keyed digest is.
            return queryset.filter(mobile_digest=mobile_digest(term)), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SmsRecord | None = None) -> bool:
        return False
