"""The app for the fuzz tests: as in tests/conftest.py, with photos written under pytest's tmp_path."""

from __future__ import annotations

from dataclasses import replace

import pytest


@pytest.fixture
def app(settings, conn, tmp_path):
    from webmap import create_app

    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SIGKEL_SETTINGS": replace(settings, photo_dir=tmp_path / "photos"),
            "SIGKEL_CONNECTION": conn,
        }
    )
