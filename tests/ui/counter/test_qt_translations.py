"""Qt's own dialogs speak the station's language: with zh_CN the standard buttons of
QDialogButtonBox and QMessageBox, the file dialog and the print preview are Chinese; back in
English they are Qt's English again."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from ui import qt_translations


@pytest.fixture
def chinese_qt(qapp):
    yield qt_translations.install(qapp, "zh_CN")
    qt_translations.install(qapp, "en")


def _texts(box) -> set[str]:
    return {b.text() for b in box.buttons()}


def test_standard_buttons_are_chinese(qtbot, chinese_qt):
    assert chinese_qt == ["qtbase"]
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    qtbot.addWidget(box)
    assert _texts(box) == {"确定", "取消"}
    msg = QMessageBox(QMessageBox.Icon.Question, "t", "x",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    qtbot.addWidget(msg)
    assert {t.replace("(&Y)", "").replace("(&N)", "") for t in _texts(msg)} == {"是", "否"}
    assert QCoreApplication.translate("QFileDialog", "Open") == "打开"
    assert QCoreApplication.translate("QPrintPreviewDialog", "Print Preview") == "打印预览"


def test_english_is_qts_own(qtbot, qapp):
    qt_translations.install(qapp, "zh_CN")
    qt_translations.install(qapp, "en")
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    qtbot.addWidget(box)
    assert _texts(box) == {"OK", "Cancel"}


def test_the_station_loads_them_for_its_language(qapp, monkeypatch):
    from resources import i18n
    from ui import theme
    from ui.gui_main import make_app

    monkeypatch.setattr(theme, "apply", lambda app: None)     # keep the suite's style as it is
    i18n.set_language("zh_CN")
    try:
        assert make_app() is qapp
        assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "取消"
    finally:
        qt_translations.install(qapp, "en")
