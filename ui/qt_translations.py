"""Qt's own texts in the station's language: the buttons of QMessageBox and QDialogButtonBox
(OK, Cancel, Yes, No, Save…), the file dialog, the print preview's tool tips. PySide6 ships
Qt's catalogs (qtbase_zh_CN.qm and the others) in QLibraryInfo's TranslationsPath; without
them Qt's dialogs are English inside the Chinese windows.
"""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QTranslator

CATALOGS = ("qtbase",)               # widgets, dialogs, print support
_installed: list[QTranslator] = []    # the application keeps pointers only: keep them alive


def install(app: QCoreApplication, lang: str) -> list[str]:
    """Load Qt's catalogs for `lang` ("zh_CN"; "en" is Qt's own language) into `app`, replacing
    earlier ones; returns the catalogs loaded."""
    for t in _installed:
        app.removeTranslator(t)
    _installed.clear()
    if lang == "en":
        return []
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    loaded = []
    for name in CATALOGS:
        t = QTranslator(app)
        if t.load(f"{name}_{lang}", folder):
            app.installTranslator(t)
            _installed.append(t)
            loaded.append(name)
    return loaded
