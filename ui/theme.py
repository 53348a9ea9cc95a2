"""Application look: the CJK font (bundled, so Chinese renders on every machine), colours of
the meter and account states, and a small stylesheet.

The stylesheet sets no `background` on QTableView: a background there made Qt paint every table
twice when its page was shown (each paint of a 10,000-meter board is 15-20 ms of the GUI
thread; tests/ui/counter/test_page_switch_paints.py); the palette's Base colour gives the white."""
from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import QApplication

from resources import path

FAMILIES = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "SimHei"]

# state -> (background, text) used by tables and the account card
STATE_COLOURS = {
    "not_opened": ("#e0e0e0", "#333333"), "normal": ("#d4edda", "#155724"),
    "alarm1": ("#fff3cd", "#856404"), "alarm2": ("#ffe0b2", "#8a4b00"),
    "arrears": ("#f8d7da", "#721c24"), "tripped": ("#d6d8db", "#1b1e21"),
    "keep_power": ("#d1ecf1", "#0c5460"), "lost": ("#ede7f6", "#4a148c"),
    "unreachable": ("#f3e5f5", "#6a1b9a"),
    "unknown": ("#d7ccc8", "#3e2723"),      # nobody is reading it (the runtime ended): not fresh
}

NEGATIVE = "#c62828"       # negative money (balances below zero)
ALARM_MARK = "#d32f2f"     # the open-alarm marker on the board

STYLE = """
QMainWindow, QDialog { background: #f6f7f9; }
QListWidget#nav { background: #1f3a5f; color: white; border: none; font-size: 15px; }
QListWidget#nav::item { padding: 12px 18px; }
QListWidget#nav::item:selected { background: #2f5d8f; }
QLabel#pageTitle { font-size: 20px; font-weight: bold; color: #1f3a5f; padding: 4px 0; }
QLabel#hint { color: #666666; }
QLabel#demoBanner { background: #fff3cd; color: #856404; padding: 4px 10px; font-weight: bold; }
QPushButton { padding: 5px 14px; }
QPushButton#primary { background: #2f5d8f; color: white; border-radius: 3px; padding: 6px 18px; }
QPushButton#primary:disabled { background: #c3ccd6; color: #f3f5f7; }
QTableView { gridline-color: #e3e6ea; selection-background-color: #cfe2ff; selection-color: black; }
QHeaderView::section { background: #eef1f5; padding: 4px; border: none; border-right: 1px solid #dde1e6; }
"""


def apply(app: QApplication) -> None:
    font_file = path("fonts", "wqy-microhei.ttc")
    if font_file.is_file():
        QFontDatabase.addApplicationFont(str(font_file))
    font = QFont()
    font.setFamilies(FAMILIES)
    font.setPointSize(10)
    app.setFont(font)
    palette = app.palette()            # the tables' white: the palette's, not the stylesheet's
    palette.setColor(QPalette.ColorRole.Base, QColor("white"))
    app.setPalette(palette)
    app.setStyleSheet(STYLE)
