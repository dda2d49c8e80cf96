from django.apps import AppConfig


class ContentsConfig(AppConfig):
    name = "contents"
    verbose_name = "首页"
