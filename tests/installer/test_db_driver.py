"""SQL Server without its drivers: one clear, translated message instead of a traceback, both when
the pyodbc module is missing and when Microsoft's ODBC driver is."""
from __future__ import annotations

import sys

import pytest

from models.db import Database
from models.errors import DatabaseError
from resources import i18n

URL = "mssql+pyodbc://sa:secret@127.0.0.1:1/station?driver=ODBC+Driver+18+for+SQL+Server"


@pytest.fixture
def no_pyodbc(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyodbc", None)     # `import pyodbc` raises ImportError


def test_pyodbc_missing(no_pyodbc):
    with pytest.raises(DatabaseError) as e:
        Database(URL)
    text = str(e.value)
    assert "pyodbc" in text and "meterstation[mssql]" in text and "ODBC Driver 18" in text


def test_pyodbc_missing_in_chinese(no_pyodbc):
    i18n.set_language("zh_CN")
    with pytest.raises(DatabaseError) as e:
        Database(URL)
    assert "需要 pyodbc 模块" in str(e.value)


def test_cli_says_one_line(no_pyodbc, capsys, station_config):
    import app

    assert app.main(["--lang", "en", "--db", URL, "db", "upgrade"]) == 1
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and "pyodbc" in err[0] and "Traceback" not in err[0], err


def test_other_driver_missing_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(DatabaseError, match="postgres extra"):
        Database("postgresql+psycopg://postgres@127.0.0.1/test")


def test_odbc_driver_missing():
    """pyodbc loads (unixODBC is there) but the ODBC driver the URL names is not installed."""
    try:
        import pyodbc
    except ImportError as e:
        pytest.skip(f"pyodbc cannot be imported here ({e}); `pip install -e .[mssql]` and unixODBC (libodbc2)")
    assert "No Such Driver 99" not in pyodbc.drivers()
    db = Database("mssql+pyodbc://sa:secret@127.0.0.1:1/station?driver=No+Such+Driver+99")
    try:
        with pytest.raises(DatabaseError) as e:
            with db.read() as s:
                s.connection()
        assert "ODBC driver for SQL Server is not installed" in str(e.value)
        i18n.set_language("zh_CN")
        with pytest.raises(DatabaseError, match="未安装 SQL Server 的 ODBC 驱动"):
            Database.open(db.url, upgrade=True)
    finally:
        db.dispose()
