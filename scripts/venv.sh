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
