"""Finding English on a Chinese screen: every text a person sees in a widget tree (labels,
buttons, group and tab titles, combo items, placeholders, table headers and cells, list items,
window titles) and the rule for which of them are English words left untranslated.

A text is flagged when it is ASCII only and has a word of two or more letters that is not a
unit, a format code or a short allow-listed token — "online", "flat", "sharp=1.1500",
"JSON, see models/receipt_layout.py" are flagged; "12.50", "kWh", "PDF", "DL/T 645-2007",
"tcp://10.0.0.9:8001", "/tmp/x.pdf" and "Asia/Shanghai" are not.
"""
from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QTabBar,
    QWidget,
)

ALLOWED = {
    # units and quantities
    "kWh", "kW", "kVA", "kvar", "kvarh", "V", "A", "Hz", "pt", "mm", "MB", "ms", "s",
    # products, formats and standards the Chinese UI names as they are
    "PDF", "CSV", "Excel", "xlsx", "ID", "DEMO", "SQLite", "PostgreSQL", "SQL", "Server", "URL", "COM",
    "USB", "TCP", "RS", "GSM", "SMS", "CT", "DL", "CJ", "T", "Modbus", "RTU", "English", "IP", "OK",
    # date and time format codes shown as typing hints
    "YYYY", "MM", "DD", "HH", "yyyy", "dd",            # "mm" is above, with the units
}
TAG = re.compile(r"<[^>]+>")
WORD = re.compile(r"[A-Za-z]+")
URLISH = re.compile(r"^(\w+://|/|[A-Za-z]:\\|~/)|\.(pdf|xlsx|csv|db|png|json)$", re.IGNORECASE)
# an IANA time zone name (setting station.timezone) is an identifier, shown as it is
ZONE = re.compile(r"^((Africa|America|Antarctica|Asia|Atlantic|Australia|Europe|Indian|Pacific|Etc)"
                  r"/[\w+-]+(/[\w+-]+)?|UTC)$")
MAX_ROWS = 40          # table rows looked at per view (they repeat the same kinds of text)


def is_english(text: str, typed: frozenset[str] = frozenset()) -> bool:
    text = TAG.sub("", text).replace("&nbsp;", " ").replace("&", "").strip()   # rich text, mnemonics
    if not text or not text.isascii() or text in typed or URLISH.search(text) or ZONE.match(text):
        return False
    return any(len(w) >= 2 and w not in ALLOWED for w in WORD.findall(text))


def _view_texts(view: QAbstractItemView) -> list[str]:
    model = view.model()
    if model is None:
        return []
    out = []
    hidden = getattr(view, "isColumnHidden", lambda c: False)
    columns = [c for c in range(model.columnCount()) if not hidden(c)]
    for c in columns:
        head = model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
        if head is not None:
            out.append(str(head))
    for r in range(min(model.rowCount(), MAX_ROWS)):
        for c in columns:
            value = model.index(r, c).data(Qt.ItemDataRole.DisplayRole)
            if value is not None:
                out.append(str(value))
    return out


def visible_texts(root: QWidget) -> list[tuple[str, str]]:
    """(widget class/object name, text) for every text shown under root (root included)."""
    found: list[tuple[str, str]] = []

    def add(w: QWidget, text: str) -> None:
        if text:
            found.append((f"{type(w).__name__}:{w.objectName()}", text))

    add(root, root.windowTitle() if root.isWindow() else "")
    for w in [root, *root.findChildren(QWidget)]:
        if not (w is root or w.isVisibleTo(root)):
            continue
        if isinstance(w, QLabel):
            add(w, w.text())
        elif isinstance(w, QAbstractButton):
            add(w, w.text())
        elif isinstance(w, QGroupBox):
            add(w, w.title())
        elif isinstance(w, QTabBar):
            for i in range(w.count()):
                add(w, w.tabText(i))
        elif isinstance(w, QComboBox):
            for i in range(w.count()):
                add(w, w.itemText(i))
        elif isinstance(w, QLineEdit):
            add(w, w.placeholderText())
        elif isinstance(w, QListWidget):
            for i in range(w.count()):
                add(w, w.item(i).text())
        if isinstance(w, QAbstractItemView) and not isinstance(w, QListWidget):
            for text in _view_texts(w):
                add(w, text)
    return found


def english(root: QWidget, typed: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    return sorted({(where, text) for where, text in visible_texts(root) if is_english(text, typed)})
