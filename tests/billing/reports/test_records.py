"""The sales-records query (billing/reports/records.py) on SQLite and PostgreSQL: rows, filters,
totals equal to the sales report's, area rights, and cashiers selling at once in processes."""
from __future__ import annotations

import json
import multiprocessing as mp
from datetime import date
from decimal import Decimal as D

import pytest

from billing.reports import records as rr
from billing.reports import takings as reports
from models.errors import InvalidInput
from tests.billing.reports import data

PERIOD = (date(2025, 10, 1), date(2025, 11, 30))


def _by_no(rows):
    return {r.receipt_no: r for r in rows}


def test_every_sale_refund_and_reversal_with_its_details(db, root):
    names = data.money_data(db, root)
    rows = rr.sale_records(db, *PERIOD, actor=root)
    assert [r.receipt_no for r in rows] == ["T1", "T2", "T3", "T4", "T5"]      # consumption is no record
    by = _by_no(rows)
    assert [(by[n].kind, by[n].amount, by[n].method) for n in ("T1", "T3", "T5")] == [
        ("sale", D("100.00"), "cash"), ("refund", D("-20.00"), "cash"), ("reversal", D("-200.00"), "card")]
    t1 = by["T1"]
    assert (t1.account, t1.customer, t1.building, t1.room, t1.operator) == (names["A"], "甲", "A楼", "1F 101", "root")
    assert t1.meters                                             # the account's meter number
    assert by["T5"].original_receipt == "T4" and by["T4"].building == ""
    t = rr.record_totals(rows)
    assert t.by_kind == {"sale": (3, D("350.00")), "refund": (1, D("-20.00")), "reversal": (1, D("-200.00"))}
    assert (t.count, t.net) == (5, D("130.00"))


def test_totals_equal_the_sales_report(db, root):
    data.money_data(db, root)
    t = rr.record_totals(rr.sale_records(db, *PERIOD, actor=root))
    summary = reports.sales_summary(db, *PERIOD, "year", actor=root)
    assert len(summary) == 1
    s = summary[0]
    assert (t.count, t.sales, t.refunds, t.reversals, t.net) == (s.count, s.sales, s.refunds, s.reversals, s.net)


def test_filters(db, root):
    names = data.money_data(db, root)
    ids = data.places(db)

    def q(**kw):
        return [r.receipt_no for r in rr.sale_records(db, *PERIOD, rr.RecordFilter(**kw), actor=root)]

    assert q(kind="refund") == ["T3"]
    assert q(kind="sale") == ["T1", "T2", "T4"]
    assert q(method="wechat") == ["T2"]
    assert q(account=names["B"]) == ["T4", "T5"]
    assert q(customer="乙") == ["T4", "T5"]
    assert q(customer="%") == []                                # a wildcard is a character
    assert q(operator="root") == ["T1", "T2", "T3", "T4", "T5"] and q(operator="nobody") == []
    assert q(building_id=ids["building"]) == ["T1", "T2", "T3"]
    assert rr.sale_records(db, date(2025, 10, 2), date(2025, 10, 2), actor=root)[-1].receipt_no == "T2"
    with pytest.raises(InvalidInput):
        q(kind="gift")
    with pytest.raises(InvalidInput):
        q(method="gold")


def test_area_rights(db, root):
    from models.rights import Actor

    data.money_data(db, root)
    ids = data.places(db)
    mine = Actor(name="v", role="viewer", rights=frozenset({"report_view"}), station="T", all_areas=False,
                 areas=frozenset({ids["building"]}))
    elsewhere = Actor(name="w", role="viewer", rights=frozenset({"report_view"}), station="T", all_areas=False,
                      areas=frozenset({ids["building"] + 100}))
    assert [r.receipt_no for r in rr.sale_records(db, *PERIOD, actor=mine)] == ["T1", "T2", "T3"]
    assert rr.sale_records(db, *PERIOD, actor=elsewhere) == []


@pytest.mark.slow
def test_cashiers_selling_at_once_all_listed(db, root, tmp_path, monkeypatch, capsys):
    from access import operators as operator_service
    from models.base import utcnow
    from tests.billing import factories as f

    workers, rounds = 3, 12
    for i in range(workers):
        operator_service.add_operator(db, root, f"cas{i}", "pass-123", "admin")   # may refund and reverse
    accs = [f.account(db, root, reading="100").number for _i in range(3)]
    for a in accs:                                   # money to refund from
        from billing.sales import sell
        sell(db, root, a, D(100))
    ctx = mp.get_context("spawn")
    outs = [tmp_path / f"w{i}.json" for i in range(workers)]
    procs = [ctx.Process(target=_cashier, args=(db.url, i, accs, rounds, str(outs[i]))) for i in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(180)
    assert [p.exitcode for p in procs] == [0] * workers
    made = {n for o in outs for n in json.loads(o.read_text())}
    today = utcnow().astimezone().date()
    rows = rr.sale_records(db, today, today, actor=root)
    listed = [r.receipt_no for r in rows]
    assert len(listed) == len(set(listed))
    assert made <= set(listed) and len(listed) == len(made) + len(accs)     # + the opening sales by root
    assert {r.station for r in rows if r.operator != "root"} == {f"W{i}" for i in range(workers)}
    t = rr.record_totals(rows)
    s = reports.sales_summary(db, today, today, "day", actor=root)[0]
    assert (t.count, t.sales, t.refunds, t.reversals, t.net) == (s.count, s.sales, s.refunds, s.reversals, s.net)
    assert t.by_kind["reversal"][0] == workers * (rounds // 4) and t.by_kind["refund"][0] == workers * (rounds // 4)
    for i in range(workers):
        mine = rr.sale_records(db, today, today, rr.RecordFilter(operator=f"cas{i}"), actor=root)
        assert {r.receipt_no for r in mine} == set(json.loads(outs[i].read_text()))
    import app  # the CLI twin lists the same

    monkeypatch.setenv("METERSTATION_OPERATOR", "root")
    monkeypatch.setenv("METERSTATION_PASSWORD", "secret-1")
    capsys.readouterr()
    assert app.main(["--db", db.url, "report", "sale-records", "--from", today.isoformat(), "--to",
                     today.isoformat(), "--json"]) in (0, None)
    out = json.loads(capsys.readouterr().out)
    assert [row[0] for row in out["rows"]] == listed
    assert out["totals"]["count"] == s.count and out["totals"]["net"] == str(s.net)


def _cashier(*args):
    from tests.billing.reports.records_worker import cashier

    cashier(*args)
