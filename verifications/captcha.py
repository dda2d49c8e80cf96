"""The image captcha: the `captcha` package's drawing, made harder for OCR.

Each character gets one of four typefaces (a monospace, a slab serif, a heavy
sans, a legibility-first sans), rotation and warp from the package, and the
image more noise curves and dots than the package's default. bench/captcha_ocr.py
measures what Tesseract reads of it; tests/verifications/test_captcha.py keeps it low.
"""

import secrets
from functools import cache
from pathlib import Path

import captcha
import fontpkg_archivo_black
import fontpkg_arvo
import fontpkg_atkinson_hyperlegible
from captcha.image import ImageCaptcha, random_color
from PIL.Image import Image
from PIL.ImageFilter import SMOOTH

FONTS = [
    str(Path(captcha.__file__).parent / "data" / "DroidSansMono.ttf"),
    str(fontpkg_arvo.ROOT / "files" / "Arvo-Bold.ttf"),
    str(fontpkg_archivo_black.ROOT / "files" / "ArchivoBlack-Regular.ttf"),
    str(fontpkg_atkinson_hyperlegible.ROOT / "files" / "AtkinsonHyperlegible-Bold.ttf"),
]
WIDTH, HEIGHT = 120, 48


class MeiduoCaptcha(ImageCaptcha):
    # More rotation and overlap than the package's defaults: what breaks OCR's
    # segmentation while people still read the letters (bench/captcha_ocr.py).
    character_rotate = (-35, 35)
    word_offset_dx = 0.3
    noise_curves = 3
    noise_dots = 40

    def generate_image(
        self, chars: str, bg_color: tuple | None = None, fg_color: tuple | None = None
    ) -> Image:
        background = bg_color or random_color(238, 255)
        color = fg_color or random_color(10, 200, secrets.randbelow(36) + 220)
        image = self.create_captcha_image(chars, color, background)
        self.create_noise_dots(image, color, width=2, number=self.noise_dots)
        for _ in range(self.noise_curves):
            self.create_noise_curve(image, color)
        # A second colour of noise, so thresholding on the text colour keeps some.
        self.create_noise_curve(image, random_color(10, 200))
        return image.filter(SMOOTH)


@cache
def image_captcha() -> MeiduoCaptcha:
    return MeiduoCaptcha(width=WIDTH, height=HEIGHT, fonts=FONTS, font_sizes=(34, 38, 42))


def draw(text: str) -> bytes:
    return image_captcha().generate(text, format="png").getvalue()
