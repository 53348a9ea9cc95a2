"""The windows write errors.log (found checking the walk's log folder: the window says "内部错误
（…）；详情见日志文件" for a worker's unexpected error, but only the command line wrote a log file;
the windows' tracebacks went to stderr, which a site's windowed program does not have)."""
from __future__ import annotations

import os
import stat
import sys

from ui import error_log, tasks


def test_a_workers_unexpected_error_and_an_uncaught_one_reach_errors_log(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("METERSTATION_LOG_DIR", str(tmp_path / "logs"))
    shown: list[BaseException] = []
    passed_on: list[type] = []
    monkeypatch.setattr(sys, "excepthook", lambda kind, *_a: passed_on.append(kind))   # not pytest-qt's
    undo = error_log.install()
    try:
        def boom():
            raise ZeroDivisionError("the worker's fault")
        tasks.read(None, boom, on_error=shown.append)
        qtbot.waitUntil(lambda: bool(shown), timeout=5000)
        tasks.report_background("数据库忙")                 # a background failure: the status bar's line
        try:
            raise LookupError("a slot's fault")
        except LookupError:
            sys.excepthook(*sys.exc_info())
    finally:
        undo()
    path = tmp_path / "logs" / "errors.log"
    text = path.read_text(encoding="utf-8")
    assert "ZeroDivisionError: the worker's fault" in text and "Traceback" in text
    assert "LookupError: a slot's fault" in text and passed_on == [LookupError]   # then the previous hook
    assert "WARNING ui.tasks: background failure: 数据库忙" in text
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
