"""The app for the fuzz tests: as in tests/conftest.py, with photos written under pytest's tmp_path."""

from __future__ import annotations

import pytest

from tests.helpers import app_with_photo_dir


@pytest.fixture
def app(settings, conn, tmp_path):
    return app_with_photo_dir(settings, conn, tmp_path / "photos")
