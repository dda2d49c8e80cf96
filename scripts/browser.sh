# Sourced by ./test: Debian's Chromium and a CJK font for the browser tests.
# Playwright cannot download its own browser here; without Chromium those tests skip.
if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "wqy\|noto sans cjk"; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing chromium and a Chinese font (apt-get) for the browser tests ..." >&2
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
    else
        echo "no chromium: the browser tests will skip (apt-get install chromium fonts-wqy-microhei)" >&2
    fi
fi
