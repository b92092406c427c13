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
