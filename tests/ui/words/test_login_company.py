"""The login screen shows the company's name (setting company.name) and logo (station setting
company.logo, a copy in the station's config folder made when the administrator saves it)."""
from __future__ import annotations

from PySide6.QtGui import QColor, QPixmap

from billing.settings_service import save_settings
from models import settings
from resources import i18n


def _png(path, w=300, h=120) -> str:
    pixmap = QPixmap(w, h)
    pixmap.fill(QColor("#1a73e8"))
    assert pixmap.save(str(path), "PNG")
    return str(path)


def test_station_tab_copies_the_logo_and_login_shows_it(qtbot, tmp_path, gui_db, gui_root, session,
                                                        shown_errors):
    from ui.login import LOGO_HEIGHT, LoginDialog
    from ui.pages.settings_station_tab import StationEditTab

    i18n.set_language("zh_CN")
    (tmp_path / "pick").mkdir()
    source = _png(tmp_path / "pick" / "logo.png")
    tab = StationEditTab(session)
    qtbot.addWidget(tab)
    tab.refresh()
    qtbot.waitUntil(lambda: tab.fields["station.name"].text() != "", timeout=5000)
    tab.fields["company.name"].setText("阳光花园物业服务中心")
    tab.logo.setText(source)
    tab.submit()
    qtbot.waitUntil(lambda: "保存" in tab.status.text() or bool(shown_errors), timeout=5000)
    assert not shown_errors
    stored = settings.get_local("company.logo")
    assert stored.startswith(str(settings.config_dir())) and stored.endswith("company-logo.png")
    (tmp_path / "pick" / "logo.png").unlink()               # the original may go away
    qtbot.waitUntil(lambda: tab.logo.text() == stored, timeout=5000)

    dlg = LoginDialog(gui_db, "一号窗口")
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitUntil(lambda: dlg.company.text() == "阳光花园物业服务中心", timeout=5000)
    assert dlg.company.isVisible() and dlg.logo.isVisible()
    assert dlg.logo.pixmap().height() == LOGO_HEIGHT


def test_no_logo_no_company_nothing_shown(qtbot, gui_db, gui_root):
    from ui import tasks
    from ui.login import LoginDialog

    dlg = LoginDialog(gui_db, "一号窗口")
    qtbot.addWidget(dlg)
    dlg.show()
    tasks.wait_idle()
    qtbot.wait(50)
    assert not dlg.company.isVisible() and not dlg.logo.isVisible()


def test_a_wrong_logo_is_refused_and_nothing_changes(qtbot, tmp_path, gui_db, gui_root, session, shown_errors):
    from ui.pages.settings_station_tab import StationEditTab

    i18n.set_language("zh_CN")
    text = tmp_path / "notes.txt"
    text.write_text("x")
    tab = StationEditTab(session)
    qtbot.addWidget(tab)
    tab.logo.setText(str(text))
    tab.submit()
    qtbot.waitUntil(lambda: bool(shown_errors), timeout=5000)
    assert "图片" in tab.status.text() and settings.get_local("company.logo") == ""
    save_settings(gui_db, gui_root, {"company.name": "x"})          # the form itself still saves
