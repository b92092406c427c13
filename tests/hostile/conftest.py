"""The app for the hostile-file tests: as in tests/conftest.py, with photos written under tmp_path."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.helpers import app_with_photo_dir

TABLES = ("kecamatan", "kelurahan", "rw", "rt", "facility", "complaint", "complaint_event", "population")
_BAHASA = re.compile(
    r"\b(ditolak|berkas|bukan|tidak|berisi|anggota|isinya|harus|penguraian|pemindaian|dibuka|daftar)\b"
)


@pytest.fixture
def app(settings, conn, tmp_path):
    return app_with_photo_dir(settings, conn, tmp_path / "photos")


def counts(conn) -> dict[str, int]:
    """Rows per table, to show that a refused import wrote nothing."""
    return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES}


def assert_explained(text: str, *english: str) -> None:
    """A refusal in Bahasa Indonesia first, then English, with a way to fix it on its second line."""
    message, _, hint = text.partition("\n")
    indonesian, _, rest = message.partition(" / ")
    assert _BAHASA.search(indonesian.lower()), f"no Bahasa Indonesia first: {message!r}"
    assert rest, f"no English after ' / ': {message!r}"
    assert " / " in hint, f"no bilingual way to fix it: {hint!r}"
    for part in english:
        assert part in message, f"{part!r} not in {message!r}"
