#!/usr/bin/env python
import os
import sys

from django.core.exceptions import ImproperlyConfigured


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meiduo_mall.settings")
    from django.conf import settings
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 (load the settings before any command)
    except ImproperlyConfigured as exc:
        # The message says what to set; a traceback through the settings would bury it.
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
