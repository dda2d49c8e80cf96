from django.apps import AppConfig


class DeliveriesConfig(AppConfig):
    """One record per SMS handed to the worker: what became of it, for the operator."""

    name = "deliveries"
    verbose_name = "短信发送记录"
    default_auto_field = "django.db.models.BigAutoField"
