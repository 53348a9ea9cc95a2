"""`meterstation bill print|print-all|list` through the real entry point (subprocesses), on both
backends: the PDF's text, counted copies, refusals with one line and nothing changed."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from models.oplog import OpLogEntry
from tests.billing.bills.conftest import bill, local, pdf_text, postpaid

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def station(db, db_url, tmp_path):
    """Two postpaid accounts billed for 2026-10 (root/secret-1, cashier cas, viewer vie)."""
    from access import login as auth
    from access import operators as operator_service

    operator_service.create_first_operator(db, "root", "secret-1", "T")
    root = auth.login(db, "root", "secret-1", "T")
    operator_service.add_operator(db, root, "cas", "pass-123", "cashier")
    operator_service.add_operator(db, root, "vie", "pass-123", "viewer")
    one, two = postpaid(db, root), postpaid(db, root)
    bill(db, root, one, "2026-10", {one.meters[0]: "160"}, local(2026, 10, 25, 8))
    bill(db, root, two, "2026-10", {two.meters[0]: "123.4"}, local(2026, 10, 25, 8))
    env = {k: v for k, v in os.environ.items() if not k.startswith("METERSTATION_")}
    env.update(METERSTATION_CONFIG_DIR=str(tmp_path / "cfg"), METERSTATION_TEST_MODE="1", HOME=str(tmp_path),
               METERSTATION_BILL_DIR=str(tmp_path / "bills"))

    def run(*args, who=("cas", "pass-123")):
        e = dict(env, METERSTATION_OPERATOR=who[0], METERSTATION_PASSWORD=who[1]) if who else env
        return subprocess.run([sys.executable, str(ROOT / "app.py"), "--lang", "en", "--db", db_url, *args],
                              capture_output=True, text=True, env=e, cwd=tmp_path, timeout=120)
    run.accounts = (one.number, two.number)
    return run


def _err(r) -> str:
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert r.returncode == 1 and len(lines) == 1 and "Traceback" not in r.stderr, (r.returncode, r.stderr)
    return lines[0]


def _logged(db, action: str) -> int:
    with db.read() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(OpLogEntry).where(OpLogEntry.action == action))


def test_print_then_reprint_a_bill(station, db, tmp_path):
    one, _two = station.accounts
    pdf = tmp_path / "bill.pdf"
    r = station("bill", "print", one, "--period", "2026-10", "--pdf", str(pdf), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert (out["bill"], out["period"], out["copy"], out["amount_due"]) == (f"B202610-{one}", "2026-10", False, "30.00")
    text = pdf_text(pdf)
    for needle in ("2026-10", "100.00", "160.00", "60.00 kWh", "Amount due", "¥30.00"):
        assert needle in text, needle

    r = station("bill", "print", one, "--period", "2026-10", "--pdf", str(pdf))      # exists: refused
    assert "exists already" in _err(r) and _logged(db, "bill.reprint") == 0
    r = station("bill", "print", one, "--period", "2026-10", "--pdf", str(pdf), "--force", "--json")
    assert r.returncode == 0, r.stderr
    assert (json.loads(r.stdout)["copy"], json.loads(r.stdout)["reprints"]) == (True, 1)
    assert "REPRINT #1" in pdf_text(pdf)
    r = station("bill", "print", one, "--period", "2026-10")                           # the bills folder
    assert r.returncode == 0 and f"B202610-{one}-copy2.pdf" in r.stdout, r.stderr
    assert (tmp_path / "bills" / f"B202610-{one}-copy2.pdf").stat().st_size > 0
    listed = json.loads(station("bill", "list", one, "--json").stdout)["bills"]
    assert [(b["month"], b["issued"], b["reprints"]) for b in listed] == [("2026-10", True, 2)]
    assert (_logged(db, "bill.issue"), _logged(db, "bill.reprint")) == (1, 2)


def test_refusals_change_nothing(station, db, db_url, tmp_path):
    one, _two = station.accounts
    before = _logged(db, "bill.issue")
    assert "no right" in _err(station("bill", "print", one, "--period", "2026-10", "--pdf",
                                      str(tmp_path / "x.pdf"), who=("vie", "pass-123")))
    assert "has no bill for 2026-09" in _err(station("bill", "print", one, "--period", "2026-09"))
    assert "not a month" in _err(station("bill", "print", one, "--period", "2026-13"))
    assert "There is no account" in _err(station("bill", "print", "nobody", "--period", "2026-10"))
    assert "Wrong" in _err(station("bill", "print", one, "--period", "2026-10", who=("cas", "bad-pass")))
    assert not (tmp_path / "x.pdf").exists() and _logged(db, "bill.issue") == before == 0
    if db_url.startswith("sqlite:///"):
        own = db_url.removeprefix("sqlite:///")
        size = Path(own).stat().st_size
        r = station("bill", "print", one, "--period", "2026-10", "--pdf", own, "--force")
        assert "station's database" in _err(r) and Path(own).stat().st_size == size
    assert _logged(db, "bill.issue") == 0
    r = station("bill", "print", one, "--period", "2026-10", "--bogus")
    assert r.returncode == 2


def test_print_all_of_a_settlement_day(station, db, tmp_path):
    one, two = station.accounts
    folder = tmp_path / "out"
    r = station("bill", "print-all", "--period", "2026-10", "--dir", str(folder), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["bills"] == 2 and [f["account"] for f in out["files"]] == [one, two]
    assert sorted(p.name for p in folder.iterdir()) == [f"B202610-{one}.pdf", f"B202610-{two}.pdf"]
    text = pdf_text(folder / f"B202610-{two}.pdf")
    assert "123.40" in text and "¥11.70" in text                   # 23.4 kWh x 0.50
    r = station("bill", "print-all", "--period", "2026-10", "--dir", str(folder))
    assert "exists already" in _err(r) and _logged(db, "bill.reprint") == 0
    r = station("bill", "print-all", "--period", "2026-10", "--dir", str(folder), "--force")
    assert r.returncode == 0 and _logged(db, "bill.reprint") == 2
    assert "REPRINT #1" in pdf_text(folder / f"B202610-{one}.pdf")
    assert "No account was billed for 2026-09" in _err(station("bill", "print-all", "--period", "2026-09",
                                                               "--dir", str(tmp_path / "none")))
    assert not (tmp_path / "none").exists()
