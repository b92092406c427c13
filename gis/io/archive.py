"""Unpack a zipped shapefile without trusting the zip: caps checked on its directory, members copied
by us with their bytes counted.

Refused before anything is written: more than :data:`ZIP_MAX_MEMBERS` members or a central directory
over :data:`ZIP_MAX_DIRECTORY_BYTES`; more than :data:`ZIP_MAX_BYTES` unpacked in all; a member over
:data:`ZIP_RATIO_FLOOR` compressed beyond :data:`ZIP_MAX_RATIO`; absolute, ``..``, drive-letter or
backslash names; symlinks; duplicates; encryption; methods other than Stored and Deflate; an archive
inside (by name or by its first bytes). While copying, a member that unpacks to more than it
declares is stopped at its declared size. A refused zip leaves no temporary folder behind.
"""

from __future__ import annotations

import copy
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from gis.errors import DataError
from gis.io.guards import mib, refusal

__all__ = [
    "ZIP_MAX_BYTES",
    "ZIP_MAX_DIRECTORY_BYTES",
    "ZIP_MAX_MEMBERS",
    "ZIP_MAX_RATIO",
    "ZIP_RATIO_FLOOR",
    "safe_extract",
]

ZIP_MAX_BYTES = 1024**3  # all members of a zip, unpacked
ZIP_MAX_MEMBERS = 100  # a shapefile is 3 to 10 files; folders and a readme fit easily
ZIP_MAX_DIRECTORY_BYTES = 1024**2  # the central directory, read before any member (100 members: ~10 KB)
ZIP_MAX_RATIO = 500  # unpacked/packed per member; real .dbf files reach ~250, Deflate bombs ~1000
ZIP_RATIO_FLOOR = 1024**2  # the ratio only matters for members bigger than this
_COPY_BLOCK = 1024**2
_ARCHIVE_SUFFIXES = (".zip", ".kmz", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".tar", ".zst", ".jar")
_ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"7z\xbc\xaf", b"Rar!")


def safe_extract(path: Path) -> tuple[Path, str]:
    """Check a zip's directory, then copy its members into a fresh temporary folder.

    Returns
    -------
    (folder, tmp) : the folder as a Path and as the string to remove afterwards.
    """
    directory = _directory_bytes(path)
    if directory is not None and directory > ZIP_MAX_DIRECTORY_BYTES:
        raise _bomb(
            path.name,
            f"daftar isinya {mib(directory)}, batasnya {mib(ZIP_MAX_DIRECTORY_BYTES)}",
            f"its directory is {mib(directory)}, more than the limit of {mib(ZIP_MAX_DIRECTORY_BYTES)}",
        )
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise refusal(
            path.name,
            "bukan berkas zip yang dapat dibaca",
            "it is not a readable zip file",
            "Buat ulang zip dari berkas .shp, .shx, .dbf dan .prj",
            "Make the zip again from the .shp, .shx, .dbf and .prj files",
        ) from None
    with archive:
        members = archive.infolist()
        _check_directory(path.name, archive, members)
        tmp = tempfile.mkdtemp(prefix="sigkel-zip-")
        try:
            root = Path(tmp).resolve()
            for info in members:
                _copy_member(path.name, archive, info, root)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return Path(tmp), tmp


def _directory_bytes(path: Path) -> int | None:
    """The central directory's size as the end record (or its Zip64 twin) declares it.

    :mod:`zipfile` reads that many bytes and makes an object of every entry in them before any
    check of ours can run, so a zip declaring millions of members is refused on this number first.
    """
    size = path.stat().st_size
    start = max(0, size - 22 - 0xFFFF)  # the end record, then at most a 64 KiB comment
    with open(path, "rb") as handle:
        handle.seek(start)
        tail = handle.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            return None  # not a zip: ZipFile says so
        declared = int.from_bytes(tail[at + 12 : at + 16], "little")
        if at >= 20 and tail[at - 20 : at - 16] == b"PK\x06\x07" and start + at >= 76:
            handle.seek(start + at - 76)  # the Zip64 end record sits before its locator, as zipfile reads it
            record = handle.read(56)
            if record[:4] == b"PK\x06\x06" and len(record) == 56:
                declared = int.from_bytes(record[40:48], "little")
    return declared


def _bomb(name: str, bi: str, en: str) -> DataError:
    return refusal(
        name,
        f"ditolak, {bi} (bom zip?)",
        f"refused, {en} (a zip bomb?)",
        "Kirim berkas yang lebih kecil, misalnya per kelurahan, atau sebagai GeoPackage",
        "Send a smaller file, for example one per kelurahan, or a GeoPackage",
    )


def _remake(name: str, member: str, bi: str, en: str) -> DataError:
    return refusal(
        name,
        f"ditolak, anggota {member!r} {bi}",
        f"refused, member {member!r} {en}",
        "Buat ulang zip hanya dari berkas shapefile itu sendiri (.shp, .shx, .dbf, .prj), tanpa folder "
        "induk, tautan, sandi atau zip di dalamnya",
        "Make the zip again from the shapefile's own files (.shp, .shx, .dbf, .prj), with no parent "
        "folders, links, password or zip inside",
    )


def _check_directory(name: str, archive: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> None:
    if len(members) > ZIP_MAX_MEMBERS:
        raise _bomb(
            name,
            f"berisi {len(members):,} anggota, batasnya {ZIP_MAX_MEMBERS}",
            f"it holds {len(members):,} members, more than the limit of {ZIP_MAX_MEMBERS}",
        )
    total, seen = 0, set()
    for info in members:
        member = info.filename
        if member in seen:
            raise _remake(name, member, "muncul dua kali", "appears twice")
        seen.add(member)
        parts = PurePosixPath(member).parts
        if member.startswith("/") or ".." in parts or "\\" in member or re.match(r"^[A-Za-z]:", member):
            raise _remake(name, member, "menunjuk ke luar arsip", "points outside the archive")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise _remake(name, member, "adalah tautan simbolik", "is a symbolic link")
        if info.flag_bits & 0x1:
            raise _remake(name, member, "terenkripsi (bersandi)", "is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _remake(
                name,
                member,
                f"memakai metode kompresi {info.compress_type} yang tidak didukung (hanya Deflate)",
                f"uses compression method {info.compress_type}, which is not supported (Deflate only)",
            )
        total += info.file_size
        if total > ZIP_MAX_BYTES:
            raise _bomb(
                name,
                f"isinya mengembang menjadi lebih dari {mib(ZIP_MAX_BYTES)}",
                f"it expands to more than {mib(ZIP_MAX_BYTES)}, the limit",
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > ZIP_RATIO_FLOOR and ratio > ZIP_MAX_RATIO:
            raise _bomb(
                name,
                f"anggota {member!r} dimampatkan {ratio:,.0f}:1, batasnya {ZIP_MAX_RATIO}:1",
                f"member {member!r} is compressed {ratio:,.0f}:1, beyond the limit of {ZIP_MAX_RATIO}:1",
            )
        if not info.is_dir() and _is_archive(archive, info):
            raise _remake(name, member, "adalah arsip di dalam arsip", "is an archive inside the archive")


def _is_archive(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    if info.filename.lower().endswith(_ARCHIVE_SUFFIXES):
        return True
    try:
        with archive.open(info) as member:
            head = member.read(8)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError, ValueError):
        return False  # unreadable: the copy below refuses it with the reason
    return head.startswith(_ARCHIVE_MAGIC)


def _copy_member(name: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo, root: Path) -> None:
    """Copy one member under ``root``, never more bytes than it declares."""
    target = root.joinpath(*PurePosixPath(info.filename).parts)
    if root not in target.resolve().parents:
        raise _remake(name, info.filename, "menunjuk ke luar arsip", "points outside the archive")
    if info.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    # zipfile stops a member at its declared size and then checks the CRC, which a bomb can make match
    # its first bytes: we ask for one byte more, without zipfile's CRC check, and check the CRC
    # ourselves, so a member that inflates beyond what it declares is seen for what it is
    probe = copy.copy(info)
    probe.file_size = info.file_size + 1
    del probe.CRC
    written, crc = 0, 0
    try:
        with archive.open(probe) as source, open(target, "xb") as out:
            while block := source.read(_COPY_BLOCK):
                written += len(block)
                if written > info.file_size:
                    raise _bomb(
                        name,
                        f"anggota {info.filename!r} mengembang melebihi ukuran yang dinyatakan",
                        f"member {info.filename!r} expands beyond its declared size",
                    )
                crc = zlib.crc32(block, crc)
                out.write(block)
        if written != info.file_size or crc != info.CRC:
            raise zipfile.BadZipFile(
                f"{written} bytes, CRC {crc:08x}; declared {info.file_size}, {info.CRC:08x}"
            )
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError, ValueError) as exc:
        raise refusal(
            name,
            f"anggota {info.filename!r} tidak dapat dibuka ({exc})",
            f"member {info.filename!r} could not be unpacked ({exc})",
            "Berkas mungkin rusak atau terpotong; kirim ulang",
            "The file may be damaged or cut short; send it again",
        ) from None
