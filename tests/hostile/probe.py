"""Child process of :func:`tests.hostile.sandbox.run_capped`: one hostile file, under hard limits.

``python -m tests.hostile.probe OP FILE LIMITS_JSON [OUT]`` sets its own limits *before* importing
anything (so the libraries count too), then:

* ``open``: :func:`gis.io.readers.open_source` and reads every feature, as ``sigkel import`` would;
* ``photo``: :func:`gis.complaints.photos.process_photo`, writing the re-encoded photo to OUT.

It prints one JSON line: ``{"refused": message}`` for a DataError, ``{"accepted": ...}`` otherwise,
with the seconds taken and the peak resident memory. Anything else (MemoryError, a kill by
RLIMIT_AS, RLIMIT_FSIZE or RLIMIT_CPU) shows as a non-zero exit status.
"""

from __future__ import annotations

import json
import resource
import sys
import time


def _limit(limits: dict) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limits["memory"], limits["memory"]))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_size"], limits["file_size"]))
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu_seconds"], limits["cpu_seconds"]))


def _peak_rss_mib() -> float:
    """This process's resident high-water mark (VmHWM; getrusage would include the parent's, from
    before exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main(argv: list[str]) -> int:
    op, file, limits = argv[0], argv[1], json.loads(argv[2])
    _limit(limits)
    from pathlib import Path

    from gis.errors import DataError

    started = time.monotonic()
    try:
        if op == "open":
            from gis.io.readers import open_source

            source = open_source(Path(file), limits.get("layer"), limits.get("crs"))
            try:
                outcome = {"accepted": len(source.read())}
            finally:
                source.close()
        else:
            from gis.complaints.photos import process_photo

            photo = process_photo(Path(file).read_bytes(), Path(file).name)
            Path(argv[3]).write_bytes(photo.data)
            outcome = {"accepted": photo.file}
    except DataError as exc:
        outcome = {"refused": str(exc)}
    outcome["seconds"] = time.monotonic() - started
    outcome["peak_rss_mib"] = _peak_rss_mib()
    print(json.dumps(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
