"""A primary button (the counter's 售电, the control page's 下发) that cannot be pressed must look
it: the style sheet painted it the same blue either way, so an operator pressed a disabled 下发
and saw nothing happen (found in a real window: a water meter selected with 拉闸 chosen)."""
from __future__ import annotations

from PySide6.QtWidgets import QPushButton, QWidget

from ui.theme import STYLE


def _centre_colour(qtbot, enabled: bool):
    host = QWidget()
    qtbot.addWidget(host)
    host.setStyleSheet(STYLE)
    button = QPushButton("下发", host)
    button.setObjectName("primary")
    button.resize(120, 32)
    button.setEnabled(enabled)
    host.resize(140, 40)
    host.show()
    qtbot.waitExposed(host)
    image = button.grab().toImage()
    return image.pixelColor(6, image.height() // 2).name()


def test_a_disabled_primary_button_looks_disabled(qtbot):
    enabled, disabled = _centre_colour(qtbot, True), _centre_colour(qtbot, False)
    assert enabled != disabled, (enabled, disabled)
