#!/usr/bin/env bash
# Refresh the README's screenshots (docs/screenshots/) from the browser tests. A plain
# ./test writes them to var/screenshots/ instead, so a test run leaves the clone clean.
set -euo pipefail
cd "$(dirname "$0")/.."
marker=$(mktemp)
trap 'rm -f "$marker"' EXIT
SCREENSHOT_DIR=docs/screenshots ./test tests/e2e "$@"
# Without Chromium the browser tests skip: say so rather than keep old pictures quietly.
if [ -z "$(find docs/screenshots -name '*.png' -newer "$marker" -print -quit)" ]; then
    echo "no screenshot was taken (did the browser tests skip?)" >&2
    exit 1
fi
echo "docs/screenshots/ refreshed; review and commit them with the change they show" >&2
