"""Hostile files, made at test time (nothing binary is committed): zips written byte by byte so that
their headers can lie, GeoPackages with active content, KML with entities, image polyglots.
"""

from __future__ import annotations

import io
import sqlite3
import stat
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import shapely

POINTS = [(106.8707, -6.1841), (106.8736, -6.1849), (106.8737, -6.1793)]  # in Cempaka Putih Timur
MIB = 1024**2
_EMPTY_STORED_BLOCK = b"\x00\x00\x00\xff\xff"  # a non-final stored block of no bytes: padding


def facilities(n: int = 3) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "nama": [f"Posyandu Uji {i}" for i in range(n)],
            "jenis": ["posyandu"] * n,
            "kode": [f"H{i}" for i in range(n)],
        },
        geometry=[shapely.Point(*POINTS[i % 3]) for i in range(n)],
        crs=4326,
    )


def shapefile_parts(folder: Path, prj: bool = True) -> dict[str, bytes]:
    """The files of a small valid shapefile (in UTM 48S), by name."""
    facilities().to_crs(32748).to_file(folder / "fasilitas.shp")
    parts = {p.name: p.read_bytes() for p in sorted(folder.glob("fasilitas.*"))}
    if not prj:
        parts.pop("fasilitas.prj")
    return parts


# -- zips ------------------------------------------------------------------------------------------


@dataclass
class Member:
    """One zip member as it will be written: the bytes stored and what the headers claim."""

    name: str
    packed: bytes
    size: int  # the uncompressed size the headers declare
    crc: int
    method: int = 8  # 0 stored, 8 deflate, 12 bzip2
    mode: int = stat.S_IFREG | 0o644
    flags: int = 0
    offset_of: int | None = None  # point the directory entry at another member's data (overlap)


def stored(name: str, data: bytes, mode: int = stat.S_IFREG | 0o644) -> Member:
    return Member(name, data, len(data), zlib.crc32(data), method=0, mode=mode)


def deflated(name: str, data: bytes) -> Member:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return Member(name, packer.compress(data) + packer.flush(), len(data), zlib.crc32(data))


def symlink(name: str, target: str) -> Member:
    return stored(name, target.encode(), mode=stat.S_IFLNK | 0o777)


def zeros(name: str, mib: int, ratio: float | None = None, declared: int | None = None) -> Member:
    """A Deflate member that really inflates to ``mib`` MiB of zeros, built in a second or so.

    Each MiB is one fully flushed Deflate block, identical to the next, so the stream is that block
    repeated. ``ratio`` pads each block with empty stored blocks to lower the compression ratio;
    ``declared`` makes the headers claim another size (and a CRC that matches that many zeros).
    """
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = packer.compress(bytes(MIB)) + packer.flush(zlib.Z_FULL_FLUSH)
    if ratio is not None:
        block += _EMPTY_STORED_BLOCK * max(0, int((MIB / ratio - len(block)) / len(_EMPTY_STORED_BLOCK)))
    size = mib * MIB if declared is None else declared
    return Member(name, block * mib + b"\x03\x00", size, _zeros_crc(size))


def zlib_repeated(byte: bytes, mib: int) -> bytes:
    """A zlib stream that inflates to ``mib`` MiB of ``byte``, without ever holding them."""
    packer = zlib.compressobj(9)
    chunk = byte * MIB
    first = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    block = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    assert first[2:] == block  # the 2-byte zlib header, then identical flushed blocks
    adler = 1
    for _ in range(mib):
        adler = zlib.adler32(chunk, adler)
    return first[:2] + block * mib + b"\x03\x00" + adler.to_bytes(4, "big")


def _zeros_crc(size: int) -> int:
    crc, chunk = 0, bytes(MIB)
    for _ in range(size // MIB):
        crc = zlib.crc32(chunk, crc)
    return zlib.crc32(bytes(size % MIB), crc)


def zip_bytes(members: list[Member]) -> bytes:
    """A zip written by hand: local headers, data, central directory, end record (no Zip64)."""
    body, directory, offsets = io.BytesIO(), io.BytesIO(), []
    for m in members:
        name = m.name.encode()
        offsets.append(body.tell())
        head = struct.pack(
            "<4sHHHHHIIIHH",
            b"PK\x03\x04",
            20,
            m.flags,
            m.method,
            0,
            0x21,
            m.crc,
            len(m.packed),
            m.size,
            len(name),
            0,
        )
        body.write(head + name + m.packed)
    for m, offset in zip(members, offsets, strict=True):
        name = m.name.encode()
        shared = members[m.offset_of] if m.offset_of is not None else m
        where = offsets[m.offset_of] if m.offset_of is not None else offset
        directory.write(
            struct.pack(
                "<4sHHHHHHIIIHHHHHII",
                b"PK\x01\x02",
                (3 << 8) | 20,  # made by Unix, so the mode bits in the external attributes count
                20,
                m.flags,
                m.method,
                0,
                0x21,
                m.crc,
                len(shared.packed),
                m.size,
                len(name),
                0,
                0,
                0,
                0,
                m.mode << 16,
                where,
            )
            + name
        )
    cd = directory.getvalue()
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members), len(cd), body.tell(), 0)
    return body.getvalue() + cd + end


# -- GeoPackages -----------------------------------------------------------------------------------


def geopackage(path: Path, *statements: str) -> Path:
    """A valid GeoPackage of three facilities, then ``statements`` run on it by plain SQLite."""
    facilities().to_file(path, layer="fasilitas", driver="GPKG")
    with sqlite3.connect(path) as db:
        for sql in statements:
            db.execute(sql)
    db.close()
    return path


# -- KML -------------------------------------------------------------------------------------------


def kml(doctype: str = "", name: str = "Posyandu Uji", lead: str = "") -> str:
    lon, lat = POINTS[0]
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{lead}{doctype}'
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark>'
        f"<name>{name}</name><description>{name}</description>"
        f'<ExtendedData><Data name="jenis"><value>posyandu</value></Data></ExtendedData>'
        f"<Point><coordinates>{lon},{lat}</coordinates></Point></Placemark></Document></kml>\n"
    )


def billion_laughs(levels: int = 10) -> str:
    entities = ['<!ENTITY lol0 "lol">']
    entities += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels)]
    return kml("<!DOCTYPE kml [\n" + "\n".join(entities) + "\n]>\n", name=f"&lol{levels - 1};")


# -- images ----------------------------------------------------------------------------------------


def jpeg(width: int = 320, height: int = 240, **save) -> bytes:
    from PIL import Image

    image = Image.new("RGB", (width, height), (200, 40, 40))
    image.paste((30, 30, 200), (0, 0, width // 2, height // 2))
    out = io.BytesIO()
    image.save(out, "JPEG", **save)
    return out.getvalue()


def png(width: int = 64, height: int = 48) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 10)).save(out, "PNG")
    return out.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def jpeg_segment(marker: int, data: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(data) + 2) + data


def jpeg_scan_bomb(side: int, repeats: int) -> bytes:
    """A progressive JPEG whose last (refinement) scan is repeated: each copy is ~14 bytes and makes
    the decoder pass over the whole image again."""
    raw = jpeg(side, side, progressive=True, quality=50)
    scans, at = [], 2
    while raw[at + 1] != 0xD9:
        length = struct.unpack(">H", raw[at + 2 : at + 4])[0]
        end = at + 2 + length
        if raw[at + 1] == 0xDA:
            while not (raw[end] == 0xFF and raw[end + 1] not in (0x00, *range(0xD0, 0xD8))):
                end += 1
            scans.append(raw[at:end])
        at = end
    return raw[:at] + scans[-1] * repeats + b"\xff\xd9"
