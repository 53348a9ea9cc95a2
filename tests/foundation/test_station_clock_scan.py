"""No implicit PC-local time in the station's code: a station day or a time shown to people is
the station's (models/station_time.py, the database's zone), never the computer's. The PC's zone
leaks in through datetime.now() / datetime.today() / date.today(), fromtimestamp() without a
zone, astimezone() without one, the time module's local-time calls, and Qt's current date and
time (QDate.currentDate, QDateTime.currentDateTime, QTime.currentTime, toLocalTime). Each such
call in the scanned packages fails this test unless it is on the allow-list below, with why."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("ui", "billing", "models", "access", "archive", "printing", "station", "comms", "app.py")

# (file, enclosing function, call) -> why the PC's clock is right there
ALLOWED: dict[tuple[str, str, str], str] = {
    # the meter simulator's own wall clock: a simulated meter keeps the PC's time plus the offset a
    # broadcast time sync set, as a real meter keeps its own clock (the station never reads it as a day)
    ("comms/simulator/base.py", "WallClock.now", "datetime.now()"): "a simulated meter's own clock",
    ("comms/simulator/base.py", "WallClock.set", "datetime.now()"): "a simulated meter's own clock",
    ("comms/simulator/modbus_meter.py", "PrepaidModel.__init__", "datetime.now()"):
        "a simulated Modbus meter's clock starts at the PC's time (until a clock sync sets it)",
}

_NO_ZONE = {("datetime", "now"), ("datetime", "today"), ("date", "today")}
_QT = {("QDate", "currentDate"), ("QDateTime", "currentDateTime"), ("QTime", "currentTime"),
       ("QDateTime", "currentDateTimeUtc")}          # UTC, but QDateTime has no zone: a day from it is a guess
_TIME_LOCAL = {"localtime", "mktime", "ctime", "asctime"}


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _base(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def implicit_local_calls(source: str) -> list[tuple[int, str, str]]:
    """(line, enclosing function, call) of every implicit PC-local time call in source."""
    found: list[tuple[int, str, str]] = []

    def visit(node: ast.AST, scope: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = scope
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                inner = f"{scope}.{child.name}" if scope else child.name
            if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute):
                call = _classify(child)
                if call:
                    found.append((child.lineno, scope, call))
            visit(child, inner)

    visit(ast.parse(source), "")
    return found


def _classify(call: ast.Call) -> str | None:
    func = call.func
    assert isinstance(func, ast.Attribute)
    base, name = _base(func.value), func.attr
    args = [*call.args, *(k.value for k in call.keywords if k.arg in ("tz", "tzinfo"))]
    if (base, name) in _NO_ZONE and (not args or _is_none(args[0])):
        return f"{base}.{name}()"
    if name == "fromtimestamp" and (len(args) < 2 or _is_none(args[1])):
        return f"{base}.fromtimestamp() without a zone"
    if name == "astimezone" and (not call.args or _is_none(call.args[0])) and not call.keywords:
        return ".astimezone() without a zone"
    if base == "time" and (name in _TIME_LOCAL or (name == "strftime" and len(call.args) < 2)):
        return f"time.{name}"
    if (base, name) in _QT:
        return f"{base}.{name}()"
    if name == "toLocalTime" or (name in ("fromSecsSinceEpoch", "fromMSecsSinceEpoch") and len(call.args) < 2):
        return f"{name}()"
    return None


def _files():
    for package in PACKAGES:
        path = ROOT / package
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def test_no_implicit_local_time_outside_the_allow_list():
    seen: set[tuple[str, str, str]] = set()
    bad = []
    for path in _files():
        rel = path.relative_to(ROOT).as_posix()
        for line, scope, call in implicit_local_calls(path.read_text(encoding="utf-8")):
            if (rel, scope, call) in ALLOWED:
                seen.add((rel, scope, call))
            else:
                bad.append(f"{rel}:{line} ({scope or 'module'}): {call}")
    assert not bad, "implicit PC-local time (use models.station_time / ui.station_dates):\n" + "\n".join(bad)
    assert seen == set(ALLOWED), f"allow-list entries that no longer match: {set(ALLOWED) - seen}"


def test_the_scan_finds_each_form():
    """The scan above can fail: each form of an implicit local-time call is found, the
    explicit ones are not."""
    source = '''
import time
from datetime import date, datetime, UTC
from PySide6.QtCore import QDate, QDateTime
class Page:
    def build(self, at, ts, zone):
        datetime.now(); date.today(); datetime.today(); datetime.now(None)
        datetime.fromtimestamp(ts); at.astimezone(); time.localtime(); time.strftime("%H")
        QDate.currentDate().addDays(-30); QDateTime.currentDateTime(); at.toLocalTime()
        datetime.now(UTC); datetime.now(tz=zone); datetime.fromtimestamp(ts, UTC); at.astimezone(zone)
        time.strftime("%H", time.gmtime()); time.time()
'''
    calls = implicit_local_calls(source)
    assert {scope for _, scope, _ in calls} == {"Page.build"}
    assert [c for _, _, c in calls] == [
        "datetime.now()", "date.today()", "datetime.today()", "datetime.now()",
        "datetime.fromtimestamp() without a zone", ".astimezone() without a zone", "time.localtime",
        "time.strftime", "QDate.currentDate()", "QDateTime.currentDateTime()", "toLocalTime()"]
