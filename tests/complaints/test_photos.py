"""The photo corpus: metadata stripped, orientation applied, hostile and oversized files refused."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zlib

import pytest
from PIL import Image

from gis.complaints.photos import MAX_SIDE, photo_file, process_photo, store_photo
from gis.errors import DataError


def _rational(value: float):
    from PIL.TiffImagePlugin import IFDRational

    return IFDRational(int(value * 10000), 10000)


def jpeg_with_gps(width=400, height=300, orientation=1, lat=-6.1786, lon=106.8712) -> bytes:
    image = Image.new("RGB", (width, height), (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, width // 2, height // 3))  # a marker to check orientation
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "HP Murah"  # Make
    exif[0x013B] = "Budi Santoso"  # Artist: personal data
    gps = {
        1: "S" if lat < 0 else "N",
        2: tuple(_rational(v) for v in _dms(abs(lat))),
        3: "E",
        4: tuple(_rational(v) for v in _dms(abs(lon))),
    }
    exif[0x8825] = gps
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def _dms(value: float):
    d = int(value)
    m = int((value - d) * 60)
    s = (value - d - m / 60) * 3600
    return (d, m, s)


def test_jpeg_gps_and_every_exif_field_are_stripped():
    raw = jpeg_with_gps()
    assert b"Budi Santoso" in raw and Image.open(io.BytesIO(raw)).getexif().get_ifd(0x8825)
    photo = process_photo(raw, "rusak.jpg")
    assert photo.media_type == "image/jpeg" and photo.ext == "jpg"
    assert photo.gps == pytest.approx((106.8712, -6.1786), abs=1e-4)  # read before stripping
    clean = Image.open(io.BytesIO(photo.data))
    assert dict(clean.getexif()) == {}
    assert b"Budi Santoso" not in photo.data and b"HP Murah" not in photo.data
    assert b"Exif" not in photo.data and b"GPS" not in photo.data
    assert "icc_profile" not in clean.info and "exif" not in clean.info


def test_orientation_is_applied_then_dropped():
    photo = process_photo(jpeg_with_gps(400, 300, orientation=6))  # rotate 90° clockwise to view
    assert (photo.width, photo.height) == (300, 400)
    clean = Image.open(io.BytesIO(photo.data))
    assert clean.getexif().get(0x0112) is None


def test_large_photo_is_downscaled_to_max_side():
    image = Image.new("RGB", (4000, 3000), (10, 120, 10))
    out = io.BytesIO()
    image.save(out, "JPEG")
    photo = process_photo(out.getvalue())
    assert max(photo.width, photo.height) == MAX_SIDE and photo.width == 2048 and photo.height == 1536


def test_png_text_chunks_removed_and_webp_accepted():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "Siti Aminah 0812-3456-7890")
    image = Image.new("RGBA", (50, 40), (0, 0, 0, 128))
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    photo = process_photo(out.getvalue())
    assert photo.media_type == "image/png" and b"Siti" not in photo.data
    assert Image.open(io.BytesIO(photo.data)).mode == "RGBA"
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (1, 2, 3)).save(out, "WEBP")
    assert process_photo(out.getvalue()).media_type == "image/webp"


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("page.html", b"<!doctype html><html><script>alert(1)</script></html>"),
        ("pic.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'),
        ("fake.jpg", b"\xff\xd8\xff\xe0 this is not really a jpeg" + b"\x00" * 100),
        ("empty.png", b""),
        ("html-then-jpeg.jpg", b"<html><script>alert(1)</script>" + b"\xff\xd8\xff\xe0" + b"\x00" * 64),
    ],
)
def test_non_images_refused_whatever_the_name(name, raw):
    with pytest.raises(DataError, match="Foto"):
        process_photo(raw, name)


def test_gif_refused_even_though_pillow_reads_it():
    out = io.BytesIO()
    Image.new("P", (10, 10)).save(out, "GIF")
    with pytest.raises(DataError, match="JPEG, PNG atau WebP"):
        process_photo(out.getvalue(), "anim.gif")


def test_polyglot_jpeg_with_trailing_html_is_cleaned():
    raw = jpeg_with_gps() + b"<script>alert(document.cookie)</script>"
    photo = process_photo(raw, "poly.jpg")
    assert b"<script" not in photo.data


def test_truncated_image_refused():
    raw = jpeg_with_gps(800, 600)
    with pytest.raises(DataError, match="rusak|terpotong|dibaca"):
        process_photo(raw[: len(raw) // 2], "half.jpg")


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that *declares* width x height but holds a few bytes of data (a pixel bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def test_30k_by_30k_png_refused_before_decoding_within_memory_cap():
    raw = _png_header_only(30000, 30000)
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match="megapiksel|valid"):
            process_photo(raw, "bomb.png")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20, f"peak {peak / 2**20:.1f} MiB"


def test_oversized_upload_refused_by_size():
    with pytest.raises(DataError, match="MB"):
        process_photo(b"\xff" * (21 * 2**20))


def test_store_is_content_addressed_and_names_are_checked(tmp_path):
    photo = process_photo(jpeg_with_gps())
    path = store_photo(tmp_path, photo)
    assert path == store_photo(tmp_path, photo) and path.read_bytes() == photo.data
    assert path.name == f"{photo.sha256}.jpg"
    for bad in ("../etc/passwd", "x.jpg", photo.sha256 + ".html", photo.sha256.upper() + ".jpg"):
        with pytest.raises(DataError):
            photo_file(tmp_path, bad)
