"""Photos of complaints: judged by decoding, re-encoded without any metadata, stored by content.

What arrives is never stored or served. A photo is accepted only when Pillow identifies it as JPEG, PNG
or WebP *by its content*, its declared size is within :data:`MAX_PIXELS` (checked from the header,
before any pixel is decoded), a JPEG has at most :data:`MAX_JPEG_SCANS` scans (each scan is a pass
over the whole image: thousands of tiny ones make a small file that decodes for hours), and it decodes
completely within :data:`DECODE_SECONDS`. It is then turned upright (EXIF orientation), scaled to at
most :data:`MAX_SIDE` pixels and written anew into a fresh image that carries no EXIF, XMP, ICC, text
chunks or trailing bytes, so nothing appended or embedded (a ZIP, HTML, script) survives. If any step
fails the photo is refused.

The GPS position in the original's EXIF is read (before it is dropped) only so that an "after" photo
can prove where it was taken; it is never written into the stored file.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from gis.errors import DataError

__all__ = [
    "Photo",
    "process_photo",
    "store_photo",
    "photo_file",
    "MAX_SIDE",
    "MAX_PIXELS",
    "MAX_BYTES",
    "MAX_JPEG_SCANS",
    "DECODE_SECONDS",
]

MAX_SIDE = 2048
MAX_PIXELS = 50_000_000  # a 50-megapixel phone camera; 30k x 30k is refused before decoding
MAX_BYTES = 20 * 1024 * 1024
MAX_JPEG_SCANS = 100  # cameras write 1 (baseline) or ~10 (progressive), plus a thumbnail's
DECODE_SECONDS = 10.0  # checked each time the decoder asks for more of the file (every _READ_BLOCK)
_READ_BLOCK = 16 * 1024
_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
# phones write JPEGs with an MPF segment (multi-picture); Pillow names those MPO: a JPEG all the same
_ALIASES = {"MPO": "JPEG"}
_ALLOWED_NAMES = "JPEG, PNG atau WebP"


@dataclass(frozen=True)
class Photo:
    """A clean, re-encoded photo ready to store."""

    data: bytes
    media_type: str
    ext: str
    width: int
    height: int
    gps: tuple[float, float] | None  # (lon, lat) from the original's EXIF, if it had one

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def file(self) -> str:
        return f"{self.sha256}.{self.ext}"


_HINT = (
    "Kirim foto JPEG, PNG atau WebP langsung dari kamera ponsel / "
    "Send a JPEG, PNG or WebP photo straight from the phone's camera."
)


class _TooSlow(Exception):
    """The decoder ran past :data:`DECODE_SECONDS`."""


class _Deadline(io.BytesIO):
    """The upload as a file whose reads fail once the decoding deadline has passed."""

    def __init__(self, raw: bytes, seconds: float):
        super().__init__(raw)
        self.deadline = time.monotonic() + seconds

    def read(self, size: int | None = -1) -> bytes:
        if time.monotonic() > self.deadline:
            raise _TooSlow
        return super().read(size)


def _refuse(message: str, name: str | None) -> DataError:
    where = f"Foto {name!r}: " if name else "Foto: "
    return DataError(where + message, _HINT)


def _jpeg_scans(raw: bytes) -> int:
    """An upper bound of the scans (SOS markers) in a JPEG: 0xFF 0xDA never occurs in entropy-coded
    data (0xFF is stuffed there), so counting it over-counts only bytes inside metadata."""
    return raw.count(b"\xff\xda")


def process_photo(raw: bytes, name: str | None = None, max_side: int = MAX_SIDE) -> Photo:
    """Decode, check and re-encode one uploaded photo, or raise :class:`DataError` saying why."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not raw:
        raise _refuse("berkas kosong / the file is empty.", name)
    if len(raw) > MAX_BYTES:
        raise _refuse(
            f"berkas {len(raw) / 1e6:.1f} MB melebihi batas {MAX_BYTES // 2**20} MB / file too large.", name
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(_Deadline(raw, DECODE_SECONDS), formats=list(_FORMATS))
        except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _refuse(
                f"bukan gambar {_ALLOWED_NAMES} yang sah / not a valid JPEG, PNG or WebP image.", name
            ) from None
        except (OSError, ValueError, SyntaxError, _TooSlow) as exc:
            raise _refuse(f"tidak dapat dibaca ({exc!s:.100}) / cannot be read.", name) from None
        width, height = image.size
        if width < 1 or height < 1 or width * height > MAX_PIXELS:
            raise _refuse(
                f"ukuran {width}×{height} piksel melebihi batas {MAX_PIXELS // 1_000_000} megapiksel / "
                "image too large.",
                name,
            )
        kind = _ALIASES.get(image.format, image.format)
        if kind not in _FORMATS:
            raise _refuse(f"format {image.format} tidak diterima; kirim {_ALLOWED_NAMES}.", name)
        media_type, ext = _FORMATS[kind]
        if kind == "JPEG" and (scans := _jpeg_scans(raw)) > MAX_JPEG_SCANS:
            raise _refuse(
                f"JPEG ini berisi {scans} pemindaian (scan), batasnya {MAX_JPEG_SCANS}: terlalu lama "
                f"diuraikan / this JPEG holds {scans} scans, more than the limit of {MAX_JPEG_SCANS}: "
                "it would take too long to decode.",
                name,
            )
        gps = _exif_gps(image)
        image.decodermaxblock = _READ_BLOCK  # the deadline is checked between reads of this size
        try:
            image.load()
            upright = ImageOps.exif_transpose(image)
        except _TooSlow:
            raise _refuse(
                f"penguraian melebihi {DECODE_SECONDS:g} detik / decoding took longer than "
                f"{DECODE_SECONDS:g} s.",
                name,
            ) from None
        except (
            OSError,
            ValueError,
            SyntaxError,
            Image.DecompressionBombWarning,
            Image.DecompressionBombError,
        ) as exc:
            raise _refuse(
                f"gambar rusak atau terpotong ({exc}) / damaged or truncated image.", name
            ) from None
    try:
        clean = _fresh(upright, ext)
        clean.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        if ext == "jpg":
            clean.save(out, "JPEG", quality=85, optimize=True)
        elif ext == "png":
            clean.save(out, "PNG", optimize=True)
        else:
            clean.save(out, "WEBP", quality=80)
    except (OSError, ValueError) as exc:
        raise _refuse(
            f"gagal disimpan ulang ({exc}); foto tidak disimpan / re-encoding failed.", name
        ) from None
    return Photo(out.getvalue(), media_type, ext, clean.width, clean.height, gps)


def _fresh(image, ext: str):
    """A new image holding only the pixels: no info dict, no EXIF, no ICC, no palette tricks."""
    from PIL import Image

    if ext == "jpg":
        mode = "RGB"
    elif image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        mode = "RGBA"
    else:
        mode = "RGB"
    pixels = image.convert(mode)
    fresh = Image.new(mode, pixels.size)
    fresh.paste(pixels)
    return fresh


def _exif_gps(image) -> tuple[float, float] | None:
    """(lon, lat) from EXIF GPS tags, or None; any malformed value gives None."""
    try:
        gps = image.getexif().get_ifd(0x8825)
        if not gps:
            return None

        def degrees(value, ref) -> float:
            d, m, s = (float(v) for v in value)
            out = d + m / 60 + s / 3600
            return -out if ref in ("S", "W", b"S", b"W") else out

        lat = degrees(gps[2], gps.get(1, "N"))
        lon = degrees(gps[4], gps.get(3, "E"))
    except Exception:  # noqa: BLE001 - EXIF from the wild: anything malformed means "no position"
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return lon, lat


def photo_file(root: str | Path, file: str) -> Path:
    """Where a stored photo lives: ``root/ab/<sha256>.<ext>``; refuses anything but our names."""
    stem, _, ext = file.partition(".")
    if len(stem) != 64 or any(c not in "0123456789abcdef" for c in stem) or ext not in ("jpg", "png", "webp"):
        raise DataError(f"Nama foto tidak sah: {file!r}")
    return Path(root) / stem[:2] / file


def store_photo(root: str | Path, photo: Photo) -> Path:
    """Write a photo atomically (same content, same file: retries cost nothing)."""
    path = photo_file(root, photo.file)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")  # one per writer: threads never collide
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(photo.data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
