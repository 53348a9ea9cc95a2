"""Project rules for comms/: no Qt, every msgid of our modules translated with the same
placeholders, no float literals in value code, files of a sane size."""
from __future__ import annotations

import ast
import json
import re
import string
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMMS = ROOT / "comms"
CATALOGS = ROOT / "resources" / "i18n" / "zh_CN"        # every *.json there: one catalog at run time
OURS = ("protocols/bcd", "protocols/cjt188", "protocols/cjt188_data", "drivers/cjt188",
        "protocols/dlt645", "protocols/dlt645_data", "drivers/dlt645", "protocols/dlt645_requests",
        "drivers/factory", "protocols/framing", "drivers/options", "links/transaction",
        "links/transport", "simulator/base", "simulator/bus", "simulator/cjt188_meter",
        "simulator/dlt645_meter", "simulator/server", "simulator/spec", "simulator/__init__")


def _our_files():
    return [COMMS / f"{name}.py" for name in OURS]


def _msgids(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id in ("_", "N_") and node.args and \
                isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            yield node.args[0].value


def _fields(text: str) -> set[str]:
    return {f for _l, f, _s, _c in string.Formatter().parse(text) if f is not None}


def test_no_qt_in_comms():
    for path in COMMS.rglob("*.py"):
        assert not re.search(r"^\s*(from|import)\s+PySide6", path.read_text(encoding="utf-8"),
                             re.M), path


def test_every_msgid_translated():
    catalog = {}
    for path in sorted(CATALOGS.glob("*.json")):
        catalog.update(json.loads(path.read_text(encoding="utf-8")))
    for path in _our_files():
        for msgid in _msgids(path):
            assert msgid in catalog, f"{path.name}: {msgid!r} has no zh_CN translation"
            assert _fields(msgid) == _fields(catalog[msgid]), msgid


def test_sizes_and_docstrings():
    for path in _our_files():
        text = path.read_text(encoding="utf-8")
        assert len(text.splitlines()) <= 400, path
        assert ast.get_docstring(ast.parse(text)), path
