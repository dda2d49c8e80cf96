"""Compile every locale/*/LC_MESSAGES/*.po into its .mo, as `manage.py compilemessages`
does, in pure Python (polib): set-up needs no GNU gettext and no settings.

Run by scripts/venv.sh (./run, ./test) and the Docker build; the .mo files are not
committed. Exits non-zero when a catalogue does not parse."""

import sys
from pathlib import Path

import polib

BASE_DIR = Path(__file__).resolve().parent.parent


def compile_all(locale_dir: Path = BASE_DIR / "locale") -> list[Path]:
    compiled = []
    for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        # Written whole, then renamed: a server reading the catalogue never sees half of one.
        partial = mo_path.with_suffix(".mo.partial")
        polib.pofile(str(po_path)).save_as_mofile(str(partial))
        partial.replace(mo_path)
        compiled.append(mo_path)
    return compiled


if __name__ == "__main__":
    try:
        compile_all()
    except (OSError, ValueError) as exc:
        sys.exit(f"compile_messages: {exc}")
