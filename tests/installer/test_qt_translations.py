"""Qt's own texts (standard buttons) follow the station's language: the qtbase .qm files that the
frozen program bundles are really loaded."""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from resources import i18n
from ui.gui_main import install_qt_translations


def test_qt_buttons_in_chinese(qapp):
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Cancel"
    i18n.set_language("zh_CN")
    try:
        assert install_qt_translations(qapp)
        assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "取消"
        assert not install_qt_translations(qapp)          # once per application
    finally:
        qapp.removeTranslator(qapp._qt_translator)
        qapp._qt_translator = None
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Cancel"
