"""The user guide: one chapter per role, in Bahasa Indonesia, and every picture it shows exists."""

from __future__ import annotations

import re

from gis.config import project_root

GUIDE = project_root() / "docs" / "panduan"


def test_every_chapter_exists_and_every_image_is_there():
    chapters = {p.name for p in GUIDE.glob("*.md")}
    assert {"README.md", "warga.md", "petugas.md", "perencana.md", "admin.md"} <= chapters
    for chapter in GUIDE.glob("*.md"):
        for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", chapter.read_text()):
            assert (GUIDE / image).is_file(), f"{chapter.name}: {image} is missing"


def test_guide_screenshots_are_the_ones_the_browser_tests_take():
    from tests.browser.conftest import GUIDE_SHOTS

    shown = set()
    for chapter in GUIDE.glob("*.md"):
        shown |= {m for m in re.findall(r"\(img/([a-z0-9-]+)\.png\)", chapter.read_text())}
    assert shown <= GUIDE_SHOTS
