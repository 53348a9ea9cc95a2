"""The accounts window fixtures of tests/ui/counter (file-backed SQLite station, receipts and
bills saved to private folders, printer setting "PDF": no preview, error boxes fail the test)."""
from tests.ui.counter.conftest import _collect_on_gui_thread, errors_fail, station  # noqa: F401
