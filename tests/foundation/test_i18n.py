"""One catalog: every translatable literal in the code has a zh_CN translation with the same
{placeholders}; the catalog loads without Qt."""
from __future__ import annotations

import ast
import re
import string
from pathlib import Path

from resources import i18n

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app.py", "ui", "models", "billing", "archive", "access", "comms", "printing", "resources")


def _msgids():
    for entry in PACKAGES:
        p = ROOT / entry
        files = [p] if p.is_file() else sorted(p.rglob("*.py"))
        for f in files:
            if "migrations" in f.parts:
                continue
            for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "N_")
                        and node.args and isinstance(node.args[0], ast.Constant)
                        and isinstance(node.args[0].value, str)):
                    yield f.relative_to(ROOT), node.args[0].value


def _fields(text):
    return sorted(f for _, f, _, _ in string.Formatter().parse(text) if f)


def test_every_msgid_translated():
    catalog = i18n.load_catalog("zh_CN")
    missing = sorted({f"{f}: {m!r}" for f, m in _msgids() if m not in catalog})
    assert missing == [], "untranslated:\n" + "\n".join(missing)


def test_placeholders_match():
    bad = [(k, v) for k, v in i18n.load_catalog("zh_CN").items() if _fields(k) != _fields(v)]
    assert bad == []


def test_translations_are_chinese():
    cjk = re.compile(r"[\u4e00-\u9fff]")
    catalog = i18n.load_catalog("zh_CN")
    latin_only = [k for k, v in catalog.items() if not cjk.search(v) and re.search(r"[a-z]{4}", k)
                  and v == k]
    assert latin_only == []


def test_switching_language():
    i18n.set_language("zh_CN")
    assert i18n._("Wrong operator name or password") != "Wrong operator name or password"
    i18n.set_language("en")
    assert i18n._("Wrong operator name or password") == "Wrong operator name or password"


def test_catalog_files_agree():
    """A msgid translated in two catalog files must read the same in both."""
    import json

    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for f in sorted(i18n.path("i18n", "zh_CN").iterdir(), key=lambda t: t.name):
        if not f.name.endswith(".json"):
            continue
        for k, v in json.loads(f.read_text(encoding="utf-8")).items():
            if k in seen and seen[k][1] != v:
                clashes.append(f"{k!r}: {seen[k][0]}={seen[k][1]!r} vs {f.name}={v!r}")
            seen[k] = (f.name, v)
    assert clashes == []
