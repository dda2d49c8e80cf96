"""The image captcha: cheap to draw, hard for OCR.

Drawing each character the `captcha` package's way (render, rotate, warp) cost most of
a request, so each worker does it once per (character, typeface, size, variant) and
keeps the result: a grey coverage mask. A request only pastes four of them with random
offsets, overlap and gaps on a small canvas, squeezes it to 120x48, adds noise curves
and dots, and colours it through a palette of 16: a 4-bit PNG of about 3 KB, left
uncompressed (deflating it would add a fifth to the drawing's cost to save 2 KB).

Four typefaces (a monospace, a slab serif, a heavy sans, a legibility-first sans),
rotation up to 35 degrees, a random warp, overlap and noise in a second colour are what
keep Tesseract out: bench/captcha_ocr.py measures it, tests/verifications/test_captcha.py
keeps it low.
"""

import os
import random
import struct
import threading
import zlib
from collections.abc import Callable
from functools import cache
from pathlib import Path

import captcha
import fontpkg_archivo_black
import fontpkg_arvo
import fontpkg_atkinson_hyperlegible
from PIL import Image, ImageDraw, ImageFont

from verifications.constants import IMAGE_CODE_ALPHABET

FONTS = [
    str(Path(captcha.__file__).parent / "data" / "DroidSansMono.ttf"),
    str(fontpkg_arvo.ROOT / "files" / "Arvo-Bold.ttf"),
    str(fontpkg_archivo_black.ROOT / "files" / "ArchivoBlack-Regular.ttf"),
    str(fontpkg_atkinson_hyperlegible.ROOT / "files" / "AtkinsonHyperlegible-Bold.ttf"),
]
FONT_SIZES = (34, 38, 42)
WIDTH, HEIGHT = 120, 48
# Rotations and warps kept per (character, typeface, size): 2,160 glyphs, about 4 MB a
# worker, so that two captchas rarely share one; drawn once, in about 0.4 s of CPU.
VARIANTS = 6
ROTATE = 35  # degrees either way
# Each corner of a glyph moved by up to these fractions of its width and height.
WARP_DX, WARP_DY = (0.1, 0.3), (0.2, 0.3)
OVERLAP = 0.3  # at most this fraction of the average glyph width
GAP_PROBABILITY = 0.5  # before each character, a gap as wide as the package's space
NOISE_CURVES = 3  # in the text's colour, plus one in a second colour
NOISE_DOTS = 40

# The canvas holds palette indexes: 0..INK is background to text colour (15 levels, so
# glyph edges keep their anti-aliasing), SECOND the second noise colour. 16 colours make
# a 4-bit PNG: half the bytes of an 8-bit one.
INK = 14
SECOND = 15

# Drawing parameters need no secrecy (the answer comes from `secrets`), only variety,
# and a PRNG is far cheaper than os.urandom per number. Reseeded in each forked worker.
_rng = random.Random()  # noqa: S311
os.register_at_fork(after_in_child=_rng.seed)
_lock = threading.Lock()
# Bolder glyph edges, as the package's lookup table (x1.97) makes them.
_BOLDER = [min(255, int(v * 1.97)) for v in range(256)]


class _Glyphs:
    """Coverage masks ("L", cropped) per (character, typeface, size, variant), drawn on
    first use: rendered, rotated and warped as the `captcha` package does."""

    def __init__(self) -> None:
        self.fonts = [ImageFont.truetype(f, s) for f in FONTS for s in FONT_SIZES]
        self.cache: dict[tuple[str, int, int], Image.Image] = {}
        self.rng = random.Random()  # noqa: S311
        # A space's width in each typeface: the package's gaps between characters.
        self.space = [max(4, int(font.getlength(" "))) for font in self.fonts]

    def get(self, char: str, font: int, variant: int) -> Image.Image:
        key = (char, font, variant)
        mask = self.cache.get(key)
        if mask is None:
            mask = self.cache[key] = self._draw(char, self.fonts[font])
        return mask

    def _draw(self, char: str, font: ImageFont.FreeTypeFont) -> Image.Image:
        rng = self.rng
        left, top, right, bottom = font.getbbox(char)
        image = Image.new("L", (right - left + 8, bottom - top + 8), 0)
        ImageDraw.Draw(image).text((4 - left, 4 - top), char, font=font, fill=255)
        image = image.rotate(rng.uniform(-ROTATE, ROTATE), Image.Resampling.BILINEAR, expand=True)
        image = image.crop(image.getbbox())
        w, h = image.size
        dx = w * rng.uniform(*WARP_DX)
        dy = h * rng.uniform(*WARP_DY)
        x1, x2 = int(rng.uniform(-dx, dx)), int(rng.uniform(-dx, dx))
        y1, y2 = int(rng.uniform(-dy, dy)), int(rng.uniform(-dy, dy))
        w2, h2 = w + abs(x1) + abs(x2), h + abs(y1) + abs(y2)
        quad = (x1, y1, -x1, h2 - y2, w2 + x2, h2 + y2, w2 - x2, -y1)
        image = image.resize((w2, h2)).transform((w, h), Image.Transform.QUAD, quad)
        image = image.point(_BOLDER)
        return image.crop(image.getbbox())


class _Dots:
    """Noise dots, pre-drawn on sheets twice the captcha's size: a request pastes a
    random window of one, NOISE_DOTS dots on average, as small crosses."""

    SHEETS = 8

    def __init__(self) -> None:
        rng = random.Random()  # noqa: S311
        self.sheets = []
        for _ in range(self.SHEETS):
            sheet = Image.new("L", (WIDTH * 2, HEIGHT * 2), 0)
            draw = ImageDraw.Draw(sheet)
            for _ in range(NOISE_DOTS * 4):
                x, y = rng.randrange(WIDTH * 2), rng.randrange(HEIGHT * 2)
                draw.line(((x, y), (x - 1, y - 1)), fill=255, width=2)
            self.sheets.append(sheet)

    def window(self, rng: random.Random) -> Image.Image:
        x, y = rng.randrange(WIDTH), rng.randrange(HEIGHT)
        return rng.choice(self.sheets).crop((x, y, x + WIDTH, y + HEIGHT))


@cache
def _parts() -> tuple[_Glyphs, _Dots]:
    # Per process, on first use: fonts and dot sheets load in a worker, not at import.
    return _Glyphs(), _Dots()


def warm() -> None:
    """Draw every glyph variant now rather than on first use (about 0.4 s of CPU)."""
    glyphs, _ = _parts()
    with _lock:
        for char in IMAGE_CODE_ALPHABET:
            for font in range(len(glyphs.fonts)):
                for variant in range(VARIANTS):
                    glyphs.get(char, font, variant)


def _color(rnd: Callable[[], float], low: int, high: int) -> tuple[int, int, int]:
    span = high - low + 1
    return (low + int(rnd() * span), low + int(rnd() * span), low + int(rnd() * span))


def _palette(rnd: Callable[[], float]) -> bytes:
    """Background, INK - 1 blends towards the text colour, the text colour, the second."""
    background, text = _color(rnd, 238, 255), _color(rnd, 10, 200)
    channels = list(zip(background, text, strict=True))
    ramp = [b + (t - b) * i // INK for i in range(INK + 1) for b, t in channels]
    return bytes(ramp) + bytes(_color(rnd, 10, 200))


def _curve(draw: ImageDraw.ImageDraw, rnd: Callable[[], float], fill: int) -> None:
    # The package's noise curve: an arc across most of the width, through the text.
    x1 = int(rnd() * WIDTH / 5)
    x2 = WIDTH // 5 + int(rnd() * WIDTH * 4 / 5)
    y1 = HEIGHT // 5 + int(rnd() * HEIGHT * 3 / 5)
    y2 = y1 + int(rnd() * (HEIGHT * 4 / 5 - y1))
    draw.arc((x1, y1, x2, y2), int(rnd() * 20), 160 + int(rnd() * 40), fill=fill)


def draw_image(text: str) -> Image.Image:
    """The captcha of `text`: a WIDTH x HEIGHT palette image of 16 colours."""
    glyphs, dots = _parts()
    fonts = len(glyphs.fonts)
    with _lock:  # the glyph cache and the PRNG, should a server run threads
        rnd = _rng.random
        picks = [(char, int(rnd() * fonts), int(rnd() * VARIANTS)) for char in text]
        masks = [glyphs.get(*pick) for pick in picks]
        average = sum(m.width for m in masks) // len(masks)
        x = right = average // 10
        places = []
        for mask, (_, font, _) in zip(masks, picks, strict=True):
            if rnd() < GAP_PROBABILITY:
                x += glyphs.space[font]
            places.append((x, (HEIGHT - mask.height) // 2 + int(rnd() * 7) - 3))
            right = max(right, x + mask.width)
            x += mask.width - int(rnd() * OVERLAP * average)
        width = max(WIDTH, right + average // 10)
        canvas = Image.new("L", (width, HEIGHT), 0)
        for mask, place in zip(masks, places, strict=True):
            canvas.paste(INK, place, mask)
        if width > WIDTH:
            # Squeezed to fit, as the package does: each captcha a little differently.
            canvas = canvas.resize((WIDTH, HEIGHT), Image.Resampling.BOX)
        draw = ImageDraw.Draw(canvas)
        for _ in range(NOISE_CURVES):
            _curve(draw, rnd, INK)
        # A second colour of noise, so thresholding on the text colour keeps some.
        _curve(draw, rnd, SECOND)
        canvas.paste(INK, (0, 0), dots.window(_rng))
        palette = _palette(rnd)
    canvas.putpalette(palette)
    return canvas


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(image: Image.Image) -> bytes:
    """A 16-colour palette image as a 4-bit PNG, its pixels stored, not deflated.
    Written here: Pillow's PNG writer costs more than the drawing for so small an image."""
    width, height = image.size
    raw = image.tobytes("raw", "P;4")
    stride = (width + 1) // 2
    # Filter type 0 (none) on every row: what the PNG spec advises for palette images.
    rows = b"".join([b"\x00" + raw[i : i + stride] for i in range(0, len(raw), stride)])
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 4, 3, 0, 0, 0)),
            _chunk(b"PLTE", image.palette.tobytes()[: 16 * 3]),
            _chunk(b"IDAT", zlib.compress(rows, 0)),
            _chunk(b"IEND", b""),
        )
    )


def draw(text: str) -> bytes:
    """The captcha of `text` as PNG bytes."""
    return png(draw_image(text))
