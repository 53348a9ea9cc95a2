"""Issue 11 item 6: forgeries by someone with write access to the database (triggers dropped
first) are caught by `oplog.verify` — the keyed chain, the ledger and rights it covers, and
an anchor kept outside the database. Each of these passed the old unkeyed chain."""
from __future__ import annotations

import hashlib
import json
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from billing.sales import sell
from models import oplog
from models.errors import DatabaseError
from tests.billing import factories as f
from tests.tamper import drop_guards, tamper


def _root(db):
    from access import login as auth

    return auth.login(db, "root", "secret-1", "TEST")


def _verify(db, anchor=None):
    with db.read() as s:
        return oplog.verify(s, anchor=anchor)


def _anchor(db):
    with db.read() as s:
        return oplog.head_anchor(s)


def _sales(db, actor, n=3):
    acc = f.account(db, _root(db))
    for i in range(n):
        sell(db, actor, acc.number, D("10") + i, method="cash")
    return acc


def test_honest_station_verifies(db, cashier):
    _sales(db, cashier)
    r = _verify(db)
    assert r.ok and r.rows > 5
    from models import station_key

    path = station_key.key_path()          # created by db upgrade, outside the database, private
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o077 == 0


def test_triggers_refuse_update_and_delete_on_the_log(db, cashier):
    _sales(db, cashier, 1)
    for sql in ("UPDATE oplog SET target = 'x' WHERE seq = 2", "DELETE FROM oplog WHERE seq = 2",
                "UPDATE ledger_entries SET amount_fen = 1", "DELETE FROM ledger_entries"):
        with pytest.raises(sa.exc.DBAPIError, match="never"):
            with db.writer.begin() as c:
                c.execute(sa.text(sql))
    assert _verify(db).ok


def _unkeyed(seq, at, operator, station, action, target, details, prev_hash, covers=""):
    stamp = at.replace(tzinfo=None).isoformat(timespec="microseconds")
    canon = json.dumps([seq, stamp, operator, station, action, target, details, prev_hash, covers],
                       ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


def test_edited_row_with_recomputed_unkeyed_chain_is_caught(db, cashier):
    _sales(db, cashier)
    drop_guards(db)
    with db.writer.begin() as c:        # rewrite one sale's amount, then rebuild the whole chain
        c.execute(sa.text("UPDATE oplog SET details = replace(details, '10', '99') WHERE action = 'sale'"))
        rows = c.execute(sa.text("SELECT seq, at, operator, station, action, target, details, covers "
                                 "FROM oplog ORDER BY seq")).all()
        prev = "0" * 64
        for r in rows:
            at = r.at if not isinstance(r.at, str) else __import__("datetime").datetime.fromisoformat(r.at)
            h = _unkeyed(r.seq, at, r.operator, r.station, r.action, r.target, r.details, prev, r.covers)
            c.execute(sa.text("UPDATE oplog SET prev_hash = :p, hash = :h WHERE seq = :s"),
                      {"p": prev, "h": h, "s": r.seq})
            prev = h
        c.execute(sa.text("UPDATE oplog_head SET hash = :h"), {"h": prev})
    r = _verify(db)
    assert not r.ok and r.problem == "edited" and r.bad_seq == 1


def test_newest_rows_deleted_and_head_reset_is_caught_by_an_anchor(db, cashier):
    _sales(db, cashier, 2)
    anchor = _anchor(db)                  # what a backup or a shift report carries
    _sales(db, cashier, 1)
    assert _verify(db, anchor).ok
    kept = anchor.seq - 2
    tamper(db, f"DELETE FROM oplog WHERE seq > {kept}")
    with db.writer.begin() as c:
        h = c.execute(sa.text(f"SELECT hash FROM oplog WHERE seq = {kept}")).scalar_one()
        c.execute(sa.text("UPDATE oplog_head SET seq = :s, hash = :h"), {"s": kept, "h": h})
        c.execute(sa.text("UPDATE counters SET value = :s WHERE name = 'oplog'"), {"s": kept})
    r = _verify(db, anchor)
    assert not r.ok and r.problem == "anchor"
    # an anchor naming a row that is still there but was replaced: also caught
    assert not _verify(db, oplog.Anchor(kept, "0" * 64)).ok


def test_fake_purchase_inserted_into_the_ledger_is_caught(db, cashier):
    acc = _sales(db, cashier, 1)
    with db.read() as s:
        aid, bal = s.execute(sa.text("SELECT id, balance_fen FROM accounts WHERE number = :n"),
                             {"n": acc.number}).one()
    tamper(db, "INSERT INTO ledger_entries (account_id, kind, amount_fen, subsidy_fen, balance_after_fen, "
               "subsidy_after_fen, at, operator, station, method, reference, note) VALUES "
               "(:a, 'purchase', 500000, 0, :b, 0, :t, 'cas', 'TEST', 'cash', '', '')",
           "UPDATE accounts SET balance_fen = :b WHERE id = :a",
           a=aid, b=bal + 500000, t=__import__("datetime").datetime(2026, 11, 30, 1, 0))
    r = _verify(db)
    assert not r.ok and r.problem == "ledger-unlogged" and r.entry is not None


def test_edited_ledger_entry_is_caught(db, cashier):
    _sales(db, cashier, 2)
    tamper(db, "UPDATE ledger_entries SET method = 'wechat' WHERE id = (SELECT MIN(id) FROM ledger_entries)")
    r = _verify(db)
    assert not r.ok and r.problem == "ledger-edited"


def test_cashier_promoted_by_direct_update_is_caught(db, cashier):
    _sales(db, cashier, 1)
    tamper(db, "UPDATE operators SET role_id = (SELECT id FROM roles WHERE name = 'super-admin') "
               "WHERE name = 'cas'")
    r = _verify(db)
    assert not r.ok and r.problem == "rights"


def test_role_given_more_rights_by_direct_update_is_caught(db, cashier):
    tamper(db, "UPDATE roles SET rights = rights || ' restore' WHERE name = 'cashier'")
    assert _verify(db).problem == "rights"


def test_rights_changed_through_the_service_verify(db, root, cashier):
    from access import operators as operator_service

    operator_service.update_operator(db, root, "cas", role="super-admin")
    operator_service.update_operator(db, root, "cas", role="cashier")
    assert _verify(db).ok
    with db.read() as s:
        building = s.execute(sa.text("SELECT id FROM buildings")).scalars().first()
    if building is None:
        f.place(db)
        with db.read() as s:
            building = s.execute(sa.text("SELECT id FROM buildings")).scalars().first()
    operator_service.update_operator(db, root, "cas", buildings=[building])
    operator_service.update_operator(db, root, "cas", buildings=None)
    operator_service.update_operator(db, root, "cas", password="new-pass-1")
    operator_service.define_role(db, root, "reader2", "Reader", ["report_view"])
    assert _verify(db).ok
    tamper(db, "DELETE FROM operator_areas")
    assert _verify(db).ok                  # nothing to delete: rights unchanged
    tamper(db, "UPDATE operators SET password_hash = (SELECT password_hash FROM operators WHERE name = 'root') "
               "WHERE name = 'cas'")
    assert _verify(db).problem == "rights"      # a known password put on another operator


def test_another_key_is_refused(db, cashier, tmp_path, monkeypatch):
    acc = _sales(db, cashier, 1)
    monkeypatch.setenv("METERSTATION_CONFIG_DIR", str(tmp_path / "other-station"))
    from models import station_key

    other = station_key.ensure()
    with db.read() as s:
        assert oplog.verify(s, key=other).problem == "key"
    with pytest.raises(DatabaseError, match="station.key"):
        sell(db, cashier, acc.number, D("1"))


def test_shift_report_carries_an_anchor_that_catches_a_truncated_log(db, cashier):
    from billing import shifts

    shifts.open_shift(db, cashier)
    _sales(db, cashier, 2)
    report = shifts.close_shift(db, cashier, "21.00")
    anchor = oplog.Anchor.parse(report.to_json()["chain"])
    assert _verify(db, anchor).ok and anchor.seq == _anchor(db).seq
    kept = anchor.seq - 1
    tamper(db, f"DELETE FROM oplog WHERE seq > {kept}")
    with db.writer.begin() as c:
        h = c.execute(sa.text(f"SELECT hash FROM oplog WHERE seq = {kept}")).scalar_one()
        c.execute(sa.text("UPDATE oplog_head SET seq = :s, hash = :h"), {"s": kept, "h": h})
    assert _verify(db).ok                  # without an anchor a reset head cannot be told apart ...
    assert _verify(db, anchor).problem == "anchor"     # ... with the shift report's, it can
