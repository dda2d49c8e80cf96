from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Runtime code the apps share: the JSON answer shape, rate limits, Redis scripts,
    client IP, middleware and error views."""

    name = "core"
    verbose_name = "公共"
