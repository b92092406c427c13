#!/usr/bin/env python3
"""Refresh webmap/static/vendor from the npm registry and record versions, licences and checksums.

Usage: python scripts/vendor_assets.py   (needs npm; the result is committed, so the app and its
users never need npm or a CDN)
"""

import gzip
import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[1] / "webmap" / "static" / "vendor"
# package -> (version, files inside the package to keep, licence file)
MANIFEST = {
    "leaflet": (
        "1.9.4",
        [
            "dist/leaflet.js",
            "dist/leaflet.css",
            "dist/images/layers.png",
            "dist/images/layers-2x.png",
            "dist/images/marker-icon.png",
            "dist/images/marker-icon-2x.png",
            "dist/images/marker-shadow.png",
        ],
        "LICENSE",
    ),
}


def fetch(package: str, version: str, files: list[str], licence: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["npm", "pack", f"{package}@{version}", "--silent"], cwd=tmp, check=True, capture_output=True
        )
        tarball = next(Path(tmp).glob("*.tgz"))
        with tarfile.open(tarball) as tar:
            tar.extractall(tmp, filter="data")
        src = Path(tmp) / "package"
        meta = json.loads((src / "package.json").read_text())
        dest = VENDOR / package
        shutil.rmtree(dest, ignore_errors=True)
        record = {"version": meta["version"], "license": meta.get("license"), "files": {}}
        for name in [*files, licence]:
            target = dest / Path(name).relative_to("dist") if name.startswith("dist/") else dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src / name, target)
            data = target.read_bytes()
            record["files"][str(target.relative_to(VENDOR))] = hashlib.sha256(data).hexdigest()
            if target.suffix in (".js", ".css"):
                target.with_suffix(target.suffix + ".gz").write_bytes(
                    gzip.compress(data, compresslevel=9, mtime=0)
                )
        return record


def main() -> None:
    VENDOR.mkdir(parents=True, exist_ok=True)
    manifest = {pkg: fetch(pkg, *spec) for pkg, spec in MANIFEST.items()}
    (VENDOR / "VENDOR.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    print(json.dumps({k: v["version"] for k, v in manifest.items()}))


if __name__ == "__main__":
    main()
