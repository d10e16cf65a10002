"""Pillow helpers shared by the ingest modules: guarded opening, DPI, preparing a page image for tesseract.

Pillow's decompression-bomb guard is global state (``PIL.Image.MAX_IMAGE_PIXELS``). This module never changes it.
Images are opened inside ``warnings.catch_warnings()`` so that Pillow's *warning* (between ``MAX_IMAGE_PIXELS`` and
twice that) is silenced in favour of our own limit, ``ExtractOptions.max_image_pixels``, checked right after the
header is read and before any pixel is decoded. Pillow's *error* (above twice ``MAX_IMAGE_PIXELS``, ~179 M pixels by
default) is still honoured and reported as :class:`LimitExceededError`, so the effective ceiling is the lower of the
two; an application that wants larger images raises Pillow's limit itself, once, at start-up.
"""

from __future__ import annotations

import struct
import warnings
import zlib
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from ingest.errors import CorruptFileError, LimitExceededError

__all__ = [
    "DEFAULT_DPI",
    "MIN_SIDE",
    "PILLOW_ERRORS",
    "check_pixels",
    "image_dpi",
    "load_frame",
    "needs_preparation",
    "open_image",
    "prepare_for_ocr",
    "reason",
    "save_png",
]

DEFAULT_DPI = 300
MIN_DPI, MAX_DPI = 70, 1200
MIN_SIDE = 16  # pixels; anything smaller cannot hold a readable character

#: What Pillow raises on damaged or unreadable data (it has no single base class for it).
PILLOW_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    TypeError,
    KeyError,
    struct.error,
    zlib.error,
)

_LABELS = {"PNG": "PNG image", "JPEG": "JPEG image", "MPO": "JPEG image", "TIFF": "TIFF image"}


def reason(exc: BaseException) -> str:
    """The first line of a library's message, shortened, for use inside one of our messages."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= 100 else text[:97] + "..."


def _too_large(width: int, height: int, limit: int) -> LimitExceededError:
    return LimitExceededError(f"image too large to decode safely: {width}×{height} pixels, limit {limit:,} pixels")


def check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    """Raise :class:`LimitExceededError` when ``width*height`` is above ``max_pixels``."""
    width, height = size
    if width * height > max_pixels:
        raise _too_large(width, height, max_pixels)


def _declared_size(path: Path, kind: str) -> tuple[int, int] | None:
    """The size an image file declares in its header, read without Pillow's bomb check (for messages only)."""
    factory = Image.OPEN.get(kind.upper())
    if factory is None:
        return None
    try:
        with path.open("rb") as fp:
            return factory[0](fp, str(path)).size  # header only: no pixel data is decoded
    except Exception:  # only used to word a message; any failure just drops the dimensions
        return None


def open_image(path: Path, kind: str | None, max_pixels: int) -> Image.Image:
    """Open an image file lazily (header only), refusing decompression bombs and unreadable headers.

    Args:
        path: the image file.
        kind: ``"png"``, ``"jpeg"`` or ``"tiff"``, as found by :func:`ingest.sources.sniff`; None: any of them.
        max_pixels: refuse images with more pixels than this.

    Raises:
        LimitExceededError: the image declares more pixels than allowed.
        CorruptFileError: Pillow cannot read the header.
    """
    formats = [kind.upper()] if kind else ["PNG", "JPEG", "TIFF"]
    label = _LABELS.get(formats[0], "image") if kind else "image"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            img = Image.open(path, formats=formats)
        except Image.DecompressionBombError as exc:
            size = _declared_size(path, kind) if kind else None
            if size is not None:
                raise _too_large(size[0], size[1], min(max_pixels, 2 * (Image.MAX_IMAGE_PIXELS or 0))) from exc
            raise LimitExceededError(f"image too large to decode safely ({reason(exc)})") from exc
        except UnidentifiedImageError as exc:
            raise CorruptFileError(f"damaged {label}: its header cannot be read; re-scan or re-export it") from exc
        except PILLOW_ERRORS as exc:
            raise CorruptFileError(f"damaged {label} ({reason(exc)}): re-scan or re-export it") from exc
    try:
        check_pixels(img.size, max_pixels)
    except LimitExceededError:
        img.close()
        raise
    return img


def load_frame(img: Image.Image, frame: int, label: str, max_pixels: int) -> None:
    """Seek to ``frame`` (0-based) and decode it, mapping Pillow's failures to ours."""
    try:
        if frame:
            img.seek(frame)
        check_pixels(img.size, max_pixels)
        img.load()
    except LimitExceededError:
        raise
    except Image.DecompressionBombError as exc:
        raise LimitExceededError(f"image too large to decode safely ({reason(exc)})") from exc
    except PILLOW_ERRORS as exc:
        where = f" (page {frame + 1})" if frame else ""
        raise CorruptFileError(f"truncated or damaged {label}{where} ({reason(exc)}): re-scan or re-export it") from exc


def image_dpi(img: Image.Image, default: int = DEFAULT_DPI) -> int:
    """The horizontal resolution the file declares, or ``default`` when it is missing or absurd (<70, >1200)."""
    dpi = img.info.get("dpi")
    try:
        value = float(dpi[0]) if isinstance(dpi, tuple) else float(dpi)
    except (TypeError, ValueError, IndexError):
        return default
    if not MIN_DPI <= value <= MAX_DPI:
        return default
    return round(value)


def needs_preparation(img: Image.Image) -> bool:
    """Whether the file must be rewritten before tesseract reads it.

    Only single-image PNG and JPEG files that are already 8-bit grey or bilevel and upright go to tesseract as
    they are; colour, alpha, 16-bit, EXIF-rotated and TIFF files (tesseract would read every frame) are rewritten.
    """
    if img.format not in ("PNG", "JPEG") or img.mode not in ("L", "1"):
        return True
    if getattr(img, "n_frames", 1) > 1:
        return True
    try:
        orientation = img.getexif().get(0x0112, 1)
    except PILLOW_ERRORS:
        return False
    return orientation not in (None, 1)


def prepare_for_ocr(img: Image.Image) -> Image.Image:
    """Upright, 8-bit grayscale (bilevel stays bilevel) copy of ``img``, ready for tesseract.

    EXIF orientation is applied; transparency is flattened onto white; 16-bit and 32-bit images are scaled
    to 8 bits rather than clipped.
    """
    out = ImageOps.exif_transpose(img) or img
    mode = out.mode
    if mode in ("1", "L"):
        return out
    if mode.startswith("I") or mode == "F":
        wide = out.convert("I") if mode.startswith("I;16") else out
        high = float(wide.getextrema()[1])  # type: ignore[arg-type]
        if high > 255:
            factor = 255 / high
        elif mode == "F" and 0 < high <= 1.0:
            factor = 255.0
        else:
            factor = 1.0
        return wide.point(lambda v: v * factor).convert("L")
    if mode in ("RGBA", "LA", "PA", "La", "RGBa") or (mode == "P" and "transparency" in out.info):
        rgba = out.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("L")
    if mode == "CMYK":
        return out.convert("RGB").convert("L")
    return out.convert("L")


def save_png(img: Image.Image, path: Path, dpi: int) -> None:
    """Write ``img`` as a fast-compressed PNG that records ``dpi`` (tesseract reads it)."""
    img.save(path, format="PNG", dpi=(dpi, dpi), compress_level=1)
