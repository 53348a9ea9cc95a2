"""Every message of the billing engine has a zh_CN translation with the same placeholders,
and the engine's modules stay pure (no Qt, no database)."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
MODULES = [ROOT / "billing" / "tariffs" / f"{m}.py"
           for m in ("api", "days", "engine", "model", "schema")] + [ROOT / "billing" / "money.py"]
CATALOG = ROOT / "resources" / "i18n" / "zh_CN" / "billing_engine.json"


def msgids() -> set[str]:
    found = set()
    for module in MODULES:
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("_", "N_") and isinstance(node.args[0], ast.Constant)):
                found.add(node.args[0].value)
    return found


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"{(\w*)}", text))


def test_every_message_is_translated_with_the_same_placeholders():
    catalog = json.loads(CATALOG.read_text(encoding="utf-8"))
    ids = msgids()
    assert len(ids) > 50
    missing = sorted(ids - catalog.keys())
    assert not missing, f"no zh_CN translation for {missing}"
    unused = sorted(catalog.keys() - ids)
    assert not unused, f"translations of messages the engine no longer has: {unused}"
    for msgid, text in catalog.items():
        assert placeholders(msgid) == placeholders(text), msgid


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_modules_are_pure_and_small(module):
    source = module.read_text(encoding="utf-8")
    tree = ast.parse(source)
    assert ast.get_docstring(tree), "module docstring"
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {m for m in imported if m.split(".")[0] in ("PySide6", "sqlalchemy", "models")} - {
        "models.errors", "models.station_time"}        # both stdlib-only: errors, the station's zone
    assert len(source.splitlines()) <= 400
