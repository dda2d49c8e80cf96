"""An off-the-shelf OCR attacker (Tesseract), for the captcha's benchmark and test."""

import shutil
import subprocess
import tempfile
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageOps

TESSERACT = shutil.which("tesseract")


def _tesseract(image: Image.Image, psm: int, whitelist: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "captcha.png"
        image.save(path)
        result = subprocess.run(
            [
                TESSERACT,
                str(path),
                "stdout",
                "--psm",
                str(psm),
                "-c",
                f"tessedit_char_whitelist={whitelist}",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    return "".join(result.stdout.split()).upper()


def attempts(png: bytes, whitelist: str) -> list[str]:
    """What Tesseract reads, the way an attacker would try: as is, and cleaned up
    (grey, upscaled, thresholded), as one line and as one word."""
    original = Image.open(BytesIO(png)).convert("RGB")
    grey = ImageOps.autocontrast(ImageOps.grayscale(original))
    big = grey.resize((grey.width * 3, grey.height * 3), Image.Resampling.LANCZOS)
    binary = big.point(lambda v: 255 if v > 160 else 0)
    return [_tesseract(image, psm, whitelist) for image in (original, binary) for psm in (7, 8)]


def solves(png: bytes, answer: str, whitelist: str) -> bool:
    return answer.upper() in attempts(png, whitelist)
