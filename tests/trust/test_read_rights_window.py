"""The Settings page shows backup.* (where and when the backups go) and the database URL only to
an operator holding their right (backup, restore): the Overview and the Backup tab showed them
to every operator, settings_edit or not."""
from __future__ import annotations

from models import settings

SECRET = "/srv/hidden-backups"


def _clerk(db):
    """root, and clk whose role holds settings_edit alone (not backup)."""
    from access import login as auth
    from access import operators

    operators.create_first_operator(db, "root", "secret-1", "TEST")
    root = auth.login(db, "root", "secret-1", "TEST")
    operators.define_role(db, root, "clerk", "Clerk", ["settings_edit"])
    operators.add_operator(db, root, "clk", "pass-123", "clerk")
    settings.put(db, root, "backup.folder", SECRET)
    return root, auth.login(db, "clk", "pass-123", "TEST")


def test_the_settings_page_shows_backup_values_only_with_the_backup_right(qtbot, sqlite_db):
    from ui.pages.settings_page import SettingsPage
    from ui.session import StationSession

    root, clerk = _clerk(sqlite_db)
    page = SettingsPage(StationSession(sqlite_db, clerk, "TEST"))
    qtbot.addWidget(page)
    page.station_tab.refresh()
    qtbot.waitUntil(lambda: page.station_tab.schema.text() != "", timeout=10_000)
    shown = {k: label.text() for k, label in page.station_tab.labels.items()}
    assert SECRET not in shown.values()
    assert shown["backup.folder"] == shown["backup.keep"] == "(not shown: no right)"
    page.backup_tab.refresh()
    qtbot.wait(200)
    assert page.backup_tab.folder.text() == "" and not any(b.isEnabled() for b in page.backup_tab.actions)

    admin = SettingsPage(StationSession(sqlite_db, root, "TEST"))      # with the right: shown
    qtbot.addWidget(admin)
    admin.station_tab.refresh()
    admin.backup_tab.refresh()
    qtbot.waitUntil(lambda: admin.backup_tab.folder.text() == SECRET, timeout=10_000)
    qtbot.waitUntil(lambda: admin.station_tab.labels["backup.folder"].text() == SECRET, timeout=10_000)
