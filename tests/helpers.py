"""Helpers shared by tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_sigkel(*args: str, env: dict | None = None, timeout: float = 300):
    """Run the installed ``sigkel`` command in a subprocess, as a user would."""
    exe = Path(sys.executable).with_name("sigkel")
    full_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    full_env.update(env or {})
    return subprocess.run(
        [str(exe), *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def app_with_photo_dir(settings, conn, photo_dir):
    """The test app joined to ``conn``'s transaction, storing photos under ``photo_dir``."""
    from dataclasses import replace

    from webmap import create_app

    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SIGKEL_SETTINGS": replace(settings, photo_dir=photo_dir),
            "SIGKEL_CONNECTION": conn,
        }
    )
