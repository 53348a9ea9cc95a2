"""Qt's own texts (standard buttons) follow the station's language: the qtbase .qm files that the
frozen program bundles are really loaded (ui/qt_translations.py)."""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from ui import qt_translations


def test_qt_buttons_in_chinese(qapp):
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Cancel"
    try:
        assert qt_translations.install(qapp, "zh_CN") == ["qtbase"]
        assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "取消"
        assert qt_translations.install(qapp, "zh_CN") == ["qtbase"]     # replaced, not stacked
        assert len(qt_translations._installed) == 1
    finally:
        qt_translations.install(qapp, "en")
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Cancel"
