"""The captcha against an off-the-shelf OCR attacker (Tesseract)."""

import secrets
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench import ocr
from bench.captcha_ocr import plain
from verifications import captcha
from verifications.constants import IMAGE_CODE_ALPHABET

pytestmark = pytest.mark.skipif(ocr.TESSERACT is None, reason="apt-get install tesseract-ocr")


def solve_rate(draw, samples: int) -> float:
    def attack(_: int) -> bool:
        text = "".join(secrets.choice(IMAGE_CODE_ALPHABET) for _ in range(4))
        return ocr.solves(draw(text), text, IMAGE_CODE_ALPHABET)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return sum(pool.map(attack, range(samples))) / samples


@pytest.mark.slow
def test_the_ocr_attacker_reads_plain_text_so_it_is_a_real_attacker():
    assert solve_rate(plain, 10) >= 0.8


@pytest.mark.slow
def test_tesseract_reads_at_most_15_percent_of_our_captchas():
    # Measured around 2-5 % (./bench/run); 15 % over 40 leaves room for chance.
    assert solve_rate(captcha.draw, 40) <= 0.15


def test_the_four_typefaces_load_at_each_size():
    assert len(captcha.FONTS) == 4
    assert len(captcha.image_captcha().truefonts) == 4 * 3
