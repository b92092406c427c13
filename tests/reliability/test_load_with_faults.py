"""A short run of scripts/reliability/load_with_faults.py: the real server (gunicorn) and a real
PostGIS cluster of its own, a killed worker and two PostgreSQL restarts (fast and immediate). The
full-length figures are in docs/reliability.md; this run proves the script's claims hold in CI."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from gis.config import project_root

ROOT = project_root()


@pytest.mark.slow
def test_no_acknowledged_complaint_is_lost_duplicated_or_changed(tmp_path):
    out = tmp_path / "result.json"
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts/reliability/load_with_faults.py"),
            "--clients",
            "6",
            "--seconds",
            "30",
            "--down",
            "3",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(out.read_text())
    integrity, probe = result["integrity"], result["probe"]
    assert integrity["acknowledged"] > 50  # the run did real work
    assert integrity["acknowledged"] == integrity["stored"] - integrity["stored_unacknowledged"]
    for name in (
        "lost",
        "duplicated",
        "mismatched",
        "ticket_mismatches",
        "replay_mismatches",
        "probe_stored",
    ):
        assert integrity[name] == 0, (name, integrity["examples"])
    assert [f["kind"] for f in result["faults"]] == ["kill", "restart", "crash"]
    assert probe["posts"] > 0 and probe["posts_503"] == probe["posts_retry_after"] == probe["posts"]
    assert probe["post_max_s"] < 2.0
    assert probe["reads"] > 0 and probe["reads_stale_200"] == probe["reads"], probe["read_failures"]
    assert "500" not in result["latency"]["statuses"], result["latency"]["statuses"]
