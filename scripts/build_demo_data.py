#!/usr/bin/env python3
"""Rebuild data/demo from ../shared/datasets and the seeded synthetic generator.

Usage: .venv/bin/python scripts/build_demo_data.py [--datasets DIR] [--seed N]

The output is committed; run this only to change the demo area or the generator.
"""

import argparse
from pathlib import Path

from gis.config import Settings
from gis.demo import build_demo_data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "datasets"
    )
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    settings = Settings.from_env()
    counts = build_demo_data(args.datasets, settings.data_dir / "demo", settings.data_dir, args.seed)
    for name, count in counts.items():
        print(f"{name:18s} {count:6d}")


if __name__ == "__main__":
    main()
