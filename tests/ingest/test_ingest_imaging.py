"""Preparing page images for tesseract (no OCR here): grey levels, transparency, 16-bit, DPI."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from ingest._imaging import image_dpi, needs_preparation, prepare_for_ocr


def test_bilevel_and_grey_are_kept_as_they_are() -> None:
    for mode in ("1", "L"):
        image = Image.new(mode, (20, 20), 1 if mode == "1" else 128)
        assert prepare_for_ocr(image).mode == mode


def test_colour_becomes_grey() -> None:
    prepared = prepare_for_ocr(Image.new("RGB", (20, 20), (255, 255, 255)))
    assert (prepared.mode, prepared.getpixel((0, 0))) == ("L", 255)


def test_transparency_is_flattened_onto_white() -> None:
    image = Image.new("RGBA", (20, 20), (0, 0, 0, 0))
    image.putpixel((5, 5), (0, 0, 0, 255))
    prepared = prepare_for_ocr(image)
    assert (prepared.mode, prepared.getpixel((0, 0)), prepared.getpixel((5, 5))) == ("L", 255, 0)


def test_palette_with_transparency_is_flattened_onto_white() -> None:
    image = Image.new("P", (20, 20), 0)
    image.putpalette([0, 0, 0, 255, 255, 255])
    image.info["transparency"] = 0
    assert prepare_for_ocr(image).getpixel((0, 0)) == 255


def test_sixteen_bit_grey_is_scaled_not_clipped(tmp_path: Path) -> None:
    path = tmp_path / "deep.png"
    image = Image.new("I;16", (20, 20), 32768)
    image.putpixel((0, 0), 65535)
    image.save(path)
    with Image.open(path) as opened:
        prepared = prepare_for_ocr(opened)
        assert (prepared.mode, prepared.getpixel((0, 0))) == ("L", 255)
        assert 120 <= prepared.getpixel((5, 5)) <= 135  # mid grey stays mid grey (convert("L") would clip to 255)


def test_cmyk_becomes_grey() -> None:
    assert prepare_for_ocr(Image.new("CMYK", (20, 20), (0, 0, 0, 0))).getpixel((0, 0)) == 255


@pytest.mark.parametrize(
    ("fmt", "mode", "expected"), [("PNG", "L", False), ("PNG", "1", False), ("PNG", "RGB", True), ("TIFF", "L", True)]
)
def test_which_files_go_to_tesseract_untouched(tmp_path: Path, fmt: str, mode: str, expected: bool) -> None:
    path = tmp_path / f"page.{fmt.lower()}"
    Image.new(mode, (20, 20)).save(path, format=fmt)
    with Image.open(path) as image:
        assert needs_preparation(image) is expected


@pytest.mark.parametrize(
    ("info", "dpi"),
    [
        ({}, 300),
        ({"dpi": (299.9994, 299.9994)}, 300),
        ({"dpi": (69, 69)}, 300),
        ({"dpi": (1201, 1201)}, 300),
        ({"dpi": (200, 200)}, 200),
        ({"dpi": "x"}, 300),
    ],
)
def test_image_dpi(info: dict[str, object], dpi: int) -> None:
    image = Image.new("L", (20, 20))
    image.info.update(info)
    assert image_dpi(image) == dpi
