# Sourced by ./test and ./bench/run: what the browser, OCR and bench need from Debian:
# Chromium, a Chinese font, Tesseract, wrk, GNU gettext (makemessages, for the catalogue's
# test). Playwright cannot download its own browser here.
# Without them (not root, not Debian) those tests skip and say why.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "wqy\|noto sans cjk" || missing+=(fonts-wqy-microhei)
command -v tesseract >/dev/null 2>&1 || missing+=(tesseract-ocr)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
# xgettext, for the test that the English catalogue lists every marked text (makemessages).
command -v xgettext >/dev/null 2>&1 || missing+=(gettext)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing ${missing[*]} (apt-get) for the browser and OCR tests ..." >&2
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "missing ${missing[*]}: the browser and OCR tests will skip" >&2
    fi
fi
