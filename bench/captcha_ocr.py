"""How often off-the-shelf OCR (Tesseract) reads a captcha, side by side.

Variants: plain text (the control: shows the OCR works), the `captcha` package's
defaults, and ours (verifications/captcha.py). An attack counts as solved when any
of four tries (as is / cleaned up, one line / one word) gives the answer.

ms/draw is the steady state of a worker: ours draws its glyphs once per process, so
they are drawn (captcha.warm) before the clock starts.
"""

import os
import secrets
import time
from io import BytesIO

import django
from captcha.image import ImageCaptcha
from PIL import Image, ImageDraw

# verifications.constants names SmsRecord's purposes: the apps must be loaded first.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meiduo_mall.settings")
django.setup()

from bench import ocr  # noqa: E402
from verifications import captcha  # noqa: E402
from verifications.constants import IMAGE_CODE_ALPHABET, IMAGE_CODE_LENGTH  # noqa: E402

SAMPLES = int(os.environ.get("BENCH_CAPTCHAS", "60"))


def plain(text: str) -> bytes:
    image = Image.new("RGB", (captcha.WIDTH, captcha.HEIGHT), "white")
    ImageDraw.Draw(image).text((10, 6), text, fill="black", font_size=32)
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def package_default(text: str) -> bytes:
    return ImageCaptcha(width=captcha.WIDTH, height=captcha.HEIGHT).generate(text).getvalue()


def main() -> None:
    if ocr.TESSERACT is None:
        raise SystemExit("tesseract not found: apt-get install tesseract-ocr")
    variants = {
        "plain text (control)": plain,
        "captcha package defaults": package_default,
        "ours": captcha.draw,
    }
    captcha.warm()
    print(f"OCR solve rate, Tesseract, {SAMPLES} captchas each")
    print(f"{'variant':<28} {'solved':>8} {'rate':>7} {'ms/draw':>8}")
    for name, make in variants.items():
        solved, drawing = 0, 0.0
        for _ in range(SAMPLES):
            text = "".join(secrets.choice(IMAGE_CODE_ALPHABET) for _ in range(IMAGE_CODE_LENGTH))
            start = time.perf_counter()
            png = make(text)
            drawing += time.perf_counter() - start
            solved += ocr.solves(png, text, IMAGE_CODE_ALPHABET)
        print(f"{name:<28} {solved:>8} {solved / SAMPLES:>7.0%} {drawing / SAMPLES * 1000:>8.1f}")


if __name__ == "__main__":
    main()
