# Sourced by ./run and ./test: a virtualenv in .venv with the pinned dependencies.
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
# Reinstall only when pyproject.toml changed.
stamp=.venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)
if [ ! -f "$stamp" ]; then
    echo "installing dependencies into .venv ..." >&2
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' \
        2> >(grep -v "is neither a file nor a directory" >&2)
    rm -f .venv/.installed-*
    touch "$stamp"
fi
# The translations: locale/*/LC_MESSAGES/*.po compiled to .mo (not committed), each time,
# so an edited .po counts at the next start. Pure Python (polib): no GNU gettext needed.
.venv/bin/python scripts/compile_messages.py
# Front-end packages (Vue) from the npm registry, as package-lock.json pins them.
if ! cmp -s package-lock.json node_modules/.package-lock.json 2>/dev/null \
        && ! [ node_modules/.installed -nt package-lock.json ]; then
    echo "installing front-end packages into node_modules ..." >&2
    npm ci --no-audit --no-fund --loglevel=error >/dev/null 2> >(grep -v "Unknown user config" >&2)
    touch node_modules/.installed
fi
