"""The accounts window fixtures of tests/gui_counter (file-backed SQLite station, receipts and
bills saved to private folders, printer setting "PDF": no preview, error boxes fail the test)."""
from tests.gui_counter.conftest import _collect_on_gui_thread, errors_fail, station  # noqa: F401
