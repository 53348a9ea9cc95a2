"""Every `from station_module import name` in the code resolves — the ones inside functions
too, which only run when that path is taken (a module moved by one branch while another added a
lazy import of its old place left the runtime unable to start, and only a GUI run showed it)."""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = ("models", "billing", "archive", "access", "comms", "printing", "station", "ui", "resources")


def test_every_import_of_ours_resolves():
    bad = []
    for pkg in OURS:
        for f in sorted((ROOT / pkg).rglob("*.py")):
            if "migrations" in f.parts:
                continue
            for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.ImportFrom) and node.module and node.level == 0
                        and node.module.split(".")[0] in OURS):
                    continue
                where = f"{f.relative_to(ROOT)}:{node.lineno}"
                try:
                    module = importlib.import_module(node.module)
                except ImportError as exc:
                    bad.append(f"{where}: {node.module}: {exc}")
                    continue
                for alias in node.names:
                    if alias.name != "*" and not hasattr(module, alias.name):
                        try:
                            importlib.import_module(f"{node.module}.{alias.name}")
                        except ImportError:
                            bad.append(f"{where}: {node.module} has no {alias.name}")
    assert bad == []
