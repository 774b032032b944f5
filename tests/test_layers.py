"""The packages import only downwards, in the order README.md's "## Layout" writes down.

Every import counts, module-level or inside a function: a function-level import that points
up is the same cycle, only hidden until the function runs.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BESIDE = ("fakes", "devstack", "bench", "tests")  # beside the layers: nothing layered uses them


def layers_from_readme(text: str) -> dict[str, int]:
    """``{package: layer}`` from the numbered list under "## Layout" (1 = the bottom)."""
    section = text.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    layers: dict[str, int] = {}
    for number, body in re.findall(r"^(\d+)\. (.*(?:\n(?!\d+\. |\n).*)*)", section, re.M):
        # The packages are the leading backticked names; names inside parentheses are parts.
        head = re.sub(r"\([^)]*\)", "", body)
        for package in re.findall(r"`(\w+)/`", head):
            layers[package] = int(number)
    return layers


LAYERS = layers_from_readme((ROOT / "README.md").read_text())


def imported_packages(path: Path) -> list[tuple[int, str]]:
    """(line, top-level package) of every absolute import in the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def violations(layers: dict[str, int]) -> list[str]:
    wrong = []
    for package, layer in layers.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            for line, target in imported_packages(path):
                where = f"{path.relative_to(ROOT)}:{line} imports {target}"
                if target in BESIDE:
                    wrong.append(f"{where}, which sits beside the layers")
                elif target in layers and target != package and layers[target] >= layer:
                    direction = "sideways" if layers[target] == layer else "up"
                    wrong.append(f"{where} ({direction}: layer {layer} -> {layers[target]})")
    return wrong


def test_the_readme_places_every_package():
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")} - set(BESIDE)
    assert set(LAYERS) == packages
    assert LAYERS["db"] == 1 and LAYERS["web"] == max(LAYERS.values())


def test_no_import_points_up_or_sideways():
    assert violations(LAYERS) == []


@pytest.mark.parametrize(("source", "expected"), [
    ("from web.extensions import db\n", "up: layer 6 -> 7"),
    ("def job():\n    from web import create_app\n", "up: layer 6 -> 7"),
    ("import devstack.redis\n", "beside the layers"),
])
def test_an_import_pointing_up_is_caught(tmp_path, monkeypatch, source, expected):
    for package in ("worker", "web"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "worker" / "job.py").write_text(source)
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    [found] = violations({"worker": 6, "web": 7})
    assert found.startswith("worker/job.py:") and expected in found
