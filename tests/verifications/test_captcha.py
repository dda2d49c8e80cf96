"""The captcha: what it draws, and against an off-the-shelf OCR attacker (Tesseract)."""

import secrets
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO

import pytest
from PIL import Image

from bench import ocr
from bench.captcha_ocr import plain
from verifications import captcha
from verifications.constants import IMAGE_CODE_ALPHABET

needs_tesseract = pytest.mark.skipif(ocr.TESSERACT is None, reason="apt-get install tesseract-ocr")


def solve_rate(draw, samples: int) -> float:
    def attack(_: int) -> bool:
        text = "".join(secrets.choice(IMAGE_CODE_ALPHABET) for _ in range(4))
        return ocr.solves(draw(text), text, IMAGE_CODE_ALPHABET)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return sum(pool.map(attack, range(samples))) / samples


@needs_tesseract
@pytest.mark.slow
def test_the_ocr_attacker_reads_plain_text_so_it_is_a_real_attacker():
    assert solve_rate(plain, 10) >= 0.8


@needs_tesseract
@pytest.mark.slow
def test_tesseract_reads_at_most_15_percent_of_our_captchas():
    # Measured around 2-3 % over 200 (./bench/run parts); 15 % over 40 leaves room for chance.
    assert solve_rate(captcha.draw, 40) <= 0.15


def test_the_four_typefaces_load_at_each_size():
    glyphs, _ = captcha._parts()
    assert len(captcha.FONTS) == 4
    assert len(glyphs.fonts) == 4 * len(captcha.FONT_SIZES)


def test_a_captcha_is_a_120x48_png_of_16_colours():
    image = Image.open(BytesIO(captcha.draw("AB3K")))
    image.load()

    assert (image.format, image.mode, image.size) == ("PNG", "P", (120, 48))
    assert len(image.getpalette()) == 16 * 3
    assert len(image.getcolors()) > 2  # background, text and its edges, noise


def test_the_png_holds_exactly_the_drawn_pixels_and_colours():
    drawn = captcha.draw_image("XY7K")
    decoded = Image.open(BytesIO(captcha.png(drawn)))
    decoded.load()

    assert decoded.tobytes() == drawn.tobytes()
    assert decoded.convert("RGB").tobytes() == drawn.convert("RGB").tobytes()


def test_the_same_text_is_drawn_differently_each_time():
    assert len({captcha.draw("ABCD") for _ in range(10)}) == 10


def test_every_glyph_variant_is_drawn_once_and_kept():
    captcha.warm()
    glyphs, _ = captcha._parts()
    expected = len(IMAGE_CODE_ALPHABET) * len(glyphs.fonts) * captcha.VARIANTS
    assert len(glyphs.cache) == expected
    for _ in range(50):
        captcha.draw("".join(secrets.choice(IMAGE_CODE_ALPHABET) for _ in range(4)))
    assert len(glyphs.cache) == expected
