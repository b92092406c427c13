"""Run a hostile file through the real code in a child process with hard memory, disk and time caps.

The child (:mod:`tests.hostile.probe`) limits itself before importing anything:

* ``RLIMIT_AS`` = :data:`MEMORY` (1.5 GiB of address space, the libraries' ~0.5 GiB included): an
  allocation beyond it fails, so a decompression bomb that slipped through ends in MemoryError or a
  crash, never in a refusal;
* ``RLIMIT_FSIZE`` = :data:`FILE_SIZE`: writing a bigger file (an unpacked bomb) kills the child;
* ``RLIMIT_CPU`` and a wall-clock timeout of :data:`SECONDS`.

:func:`run_capped` fails the test unless the child exited normally and reported; the test then
asserts it was refused (or accepted clean) and how long it took.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from gis.config import project_root

MEMORY = 1536 * 1024**2
FILE_SIZE = 256 * 1024**2
SECONDS = 30


@dataclass
class Outcome:
    refused: str | None
    accepted: object
    seconds: float
    peak_rss_mib: float


def run_capped(
    op: str, file: Path, tmp: Path, out: Path | None = None, crs: str | None = None, layer: str | None = None
) -> Outcome:
    """Run ``op`` ("open" or "photo") on ``file`` in a capped child whose temporary folder is ``tmp``."""
    limits = {"memory": MEMORY, "file_size": FILE_SIZE, "cpu_seconds": SECONDS, "crs": crs, "layer": layer}
    tmp.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(TMPDIR=str(tmp), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    args = [sys.executable, "-m", "tests.hostile.probe", op, str(file), json.dumps(limits)]
    try:
        done = subprocess.run(
            args + ([str(out)] if out else []),
            cwd=project_root(),
            env=env,
            capture_output=True,
            text=True,
            timeout=SECONDS,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{file.name}: not answered within {SECONDS} s (wall clock)")
    if done.returncode != 0 or not done.stdout.strip():
        pytest.fail(
            f"{file.name}: the child died (exit status {done.returncode}; negative = killed by that signal, "
            f"e.g. -25 SIGXFSZ, -24 SIGXCPU, -11/-6 out of memory)\n{done.stderr[-3000:]}"
        )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return Outcome(report.get("refused"), report.get("accepted"), report["seconds"], report["peak_rss_mib"])
