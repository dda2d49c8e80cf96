"""Django's makemessages, looking only at the site's own code and templates: the
virtualenv, npm's packages, the tests and the benchmarks hold no text a shopper reads.

    ./run manage.py makemessages -l en     # then translate locale/en/LC_MESSAGES/django.po
"""

from typing import Any

from django.core.management.commands import makemessages

NOT_THE_SITE = [
    "node_modules",
    "staticfiles",
    "static",  # the scripts' texts come from the server (core/forms.py, page_texts)
    "tests",
    "bench",
    "devtools",
    "docs",
    "var",
    "scripts",
    "*/migrations/*",
]


class Command(makemessages.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        options["ignore_patterns"] = [*options.get("ignore_patterns", []), *NOT_THE_SITE]
        # File names without line numbers: a moved line leaves the catalogue unchanged.
        if options.get("add_location") is None:
            options["add_location"] = "file"
        super().handle(*args, **options)
