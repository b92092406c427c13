"""Every third-party module the app imports is a declared runtime dependency (not only a dev one).

`make demo` installs without the dev extras: scipy once came in only through esda (a test tool), and
the demo's workers failed to start.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Modules that a declared distribution brings with it by definition.
PROVIDED_BY = {
    "jinja2": "flask",
    "werkzeug": "flask",
    "click": "flask",
    "itsdangerous": "flask",
    "markupsafe": "flask",
    "branca": "folium",
    "babel": "flask-babel",
}
DISTRIBUTION = {
    "psycopg": "psycopg",
    "flask_babel": "flask-babel",
    "yaml": "pyyaml",
    "argon2": "argon2-cffi",
    "PIL": "pillow",
}


def _imports() -> set[str]:
    found = set()
    for path in [*ROOT.joinpath("gis").rglob("*.py"), *ROOT.joinpath("webmap").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m not in ("gis", "webmap")}


def test_every_imported_module_is_a_runtime_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {re.split(r"[<>=\[ ;]", d, maxsplit=1)[0].lower() for d in project["dependencies"]}
    missing = []
    for module in sorted(_imports()):
        name = DISTRIBUTION.get(module, module).lower().replace("_", "-")
        if name not in declared and PROVIDED_BY.get(module) not in declared:
            missing.append(module)
    assert missing == [], f"imported by the app but not in [project.dependencies]: {missing}"
