"""Complaint photos that are two things at once (JPEG + ZIP, GIF + JavaScript, PNG + HTML, SVG with
script), carry payloads in metadata (JPEG comments, huge PNG text chunks, WebP XMP), or cost too much
to decode (a JPEG with thousands of scans, a compressed PNG text bomb). Each is refused, or accepted
only as a re-encoded image holding none of the payload. The 30k x 30k pixel bomb is tested in
tests/complaints/test_photos.py (test_30k_by_30k_png_refused_before_decoding_within_memory_cap).
"""

from __future__ import annotations

import io
import time
import uuid

import pytest
import sqlalchemy as sa
from PIL import Image

from gis.complaints import photos
from gis.errors import DataError
from tests.hostile import craft
from tests.hostile.conftest import assert_explained
from tests.hostile.sandbox import run_capped

MARK = b"sigkel-muatan-jahat-7f3a"  # in every payload: must never be in a stored photo
SCRIPT = b"<script>alert('" + MARK + b"')</script>"


def _zip_payload() -> bytes:
    return craft.zip_bytes([craft.stored("muatan.html", SCRIPT), craft.deflated("x.js", MARK * 50)])


def _jpeg_with_segments() -> bytes:
    """HTML in a comment (COM) and in an application segment (APP9), before the image data."""
    raw = craft.jpeg()
    return raw[:2] + craft.jpeg_segment(0xFE, SCRIPT) + craft.jpeg_segment(0xE9, b"<html>" + SCRIPT) + raw[2:]


def _png_with_text(size: int) -> bytes:
    raw = craft.png()
    text = craft.png_chunk(b"iTXt", b"Comment\x00\x00\x00\x00\x00" + (SCRIPT * (size // len(SCRIPT) + 1)))
    return raw[:33] + text + raw[33:]


def _webp_with_xmp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (5, 5, 90)).save(out, "WEBP", xmp=b"<x:xmpmeta>" + SCRIPT + b"</x:xmpmeta>")
    return out.getvalue()


CLEANED = {
    "jpeg-then-zip.jpg": lambda: craft.jpeg() + _zip_payload(),
    "jpeg-then-html.jpg": lambda: craft.jpeg() + b"<html><body>" + SCRIPT + b"</body></html>",
    "jpeg-html-in-segments.jpg": _jpeg_with_segments,
    "png-then-html.png": lambda: craft.png() + SCRIPT,
    "png-15mb-itxt.png": lambda: _png_with_text(15 * 1024**2),
    "webp-xmp-script.webp": _webp_with_xmp,
}
REFUSED = {  # name: (bytes, what the refusal says)
    "gif-js.gif": (lambda: b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00*/=0;" + SCRIPT + b"//;", "not a valid"),
    "gif-real-with-js.jpg": (lambda: _gif() + SCRIPT, "not a valid"),
    "svg-script.svg": (
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script>' + SCRIPT + b"</svg>",
        "not a valid",
    ),
    "svg-with-jpeg-magic.jpg": (
        lambda: b"\xff\xd8\xff\xe0" + b'<svg xmlns="http://www.w3.org/2000/svg">' + SCRIPT,
        "cannot be read",
    ),
    "html-with-png-magic.png": (lambda: b"\x89PNG\r\n\x1a\n<html>" + SCRIPT, "not a valid"),
}


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (8, 8)).save(out, "GIF")
    return out.getvalue()


def _clean(data: bytes) -> None:
    for bad in (MARK, b"<script", b"<html", b"PK\x03\x04", b"xmpmeta", b"iTXt", b"alert("):
        assert bad not in data, bad


@pytest.mark.parametrize("name", sorted(CLEANED))
def test_polyglots_are_accepted_only_re_encoded_without_the_payload(name):
    raw = CLEANED[name]()
    assert MARK in raw
    photo = photos.process_photo(raw, name)
    _clean(photo.data)
    again = Image.open(io.BytesIO(photo.data))
    again.load()
    assert again.format in ("JPEG", "PNG", "WEBP") and not again.info.get("comment")


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_polyglots_that_are_not_jpeg_png_or_webp_are_refused(name):
    make, english = REFUSED[name]
    with pytest.raises(DataError) as info:
        photos.process_photo(make(), name)
    assert_explained(str(info.value), english)
    assert MARK.decode() not in str(info.value)


def test_a_jpeg_with_thousands_of_scans_is_refused_in_time(tmp_path):
    """3,000 copies of a 14-byte refinement scan over 9 megapixels: ~20 s of decoding if let in."""
    path = tmp_path / "pindai.jpg"
    path.write_bytes(craft.jpeg_scan_bomb(3000, 3000))
    assert path.stat().st_size < photos.MAX_BYTES / 5
    outcome = run_capped("photo", path, tmp_path / "tmp", out=tmp_path / "keluar.jpg")
    assert outcome.refused and outcome.seconds < 2, outcome
    assert_explained(outcome.refused, f"more than the limit of {photos.MAX_JPEG_SCANS}")
    assert not (tmp_path / "keluar.jpg").exists()


def test_decoding_past_the_deadline_is_stopped(monkeypatch):
    """The time cap itself, with the scan cap lifted: the decoder is stopped at its next read."""
    monkeypatch.setattr(photos, "MAX_JPEG_SCANS", 10**6)
    monkeypatch.setattr(photos, "DECODE_SECONDS", 0.5)
    raw = craft.jpeg_scan_bomb(1000, 20_000)  # ~16 s to decode in full
    started = time.monotonic()
    with pytest.raises(DataError) as info:
        photos.process_photo(raw, "lambat.jpg")
    assert_explained(str(info.value), "decoding took longer than 0.5 s")
    assert time.monotonic() - started < 5


def test_a_compressed_png_text_bomb_is_refused_within_memory(tmp_path):
    """A zTXt chunk of 1 MB that inflates to 1 GiB."""
    bomb = craft.png_chunk(b"zTXt", b"Comment\x00\x00" + craft.zlib_repeated(b"A", 1024))
    path = tmp_path / "teks.png"
    path.write_bytes(craft.png()[:33] + bomb + craft.png()[33:])
    outcome = run_capped("photo", path, tmp_path / "tmp", out=tmp_path / "keluar.png")
    assert outcome.refused and outcome.seconds < 5 and outcome.peak_rss_mib < 400, outcome
    assert_explained(outcome.refused, "cannot be read")


def test_a_huge_png_text_chunk_is_cleaned_within_memory(tmp_path):
    path = tmp_path / "teks-besar.png"
    path.write_bytes(_png_with_text(19 * 1024**2))
    outcome = run_capped("photo", path, tmp_path / "tmp", out=tmp_path / "keluar.png")
    assert outcome.accepted and outcome.seconds < 5 and outcome.peak_rss_mib < 500, outcome
    _clean((tmp_path / "keluar.png").read_bytes())


# -- over HTTP: the resident's report --------------------------------------------------------------


def _report(client, conn, raw: bytes, name: str):
    point = conn.execute(
        sa.text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM rt ORDER BY code LIMIT 1) x"
        )
    ).one()
    text = f"Sampah menumpuk {uuid.uuid4().hex[:8]}"
    form = {
        "kategori": "jalan_rusak",
        "uraian": text,
        "lat": str(point[1]),
        "lon": str(point[0]),
        "lokasi_sumber": "gps",
        "foto": [(io.BytesIO(raw), name)],
    }
    headers = {"Idempotency-Key": "k-" + uuid.uuid4().hex, "Accept": "application/json"}
    response = client.post("/api/laporan", data=form, headers=headers, content_type="multipart/form-data")
    return response, text


def test_a_polyglot_upload_is_stored_only_as_the_clean_image(client, conn, settings, tmp_path):
    response, _ = _report(client, conn, CLEANED["jpeg-then-zip.jpg"](), "bukti.jpg")
    assert response.status_code == 201, response.get_json()
    stored = list((tmp_path / "photos").rglob("*.*"))
    assert len(stored) == 1
    _clean(stored[0].read_bytes())
    served = client.get(f"/foto/{stored[0].name}")
    try:
        if served.status_code == 200:
            _clean(served.data)
    finally:
        served.close()


def test_a_refused_upload_writes_nothing(client, conn, tmp_path):
    response, text = _report(client, conn, REFUSED["gif-js.gif"][0](), "gif-js.gif")
    assert response.status_code == 422
    body = response.get_json()
    assert_explained(body["message"] + "\n" + body["hint"], "not a valid JPEG, PNG or WebP image")
    assert MARK.decode() not in response.get_data(as_text=True)
    assert (
        conn.execute(sa.text("SELECT count(*) FROM complaint WHERE description = :t"), {"t": text}).scalar()
        == 0
    )
    assert not (tmp_path / "photos").exists() or not list((tmp_path / "photos").rglob("*.*"))
