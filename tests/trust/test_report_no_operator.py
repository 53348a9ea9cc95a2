"""A report asked for without an operator (actor None) is refused, not run. Before, None meant
"the station itself" and skipped the right: a front end that forgot to pass its operator got
every report (sales, sale records, consumption, the Excel export) of every building. The station
itself now says so: models.rights.system_actor(station), every right, every building."""
from __future__ import annotations

from datetime import date

import pytest

from billing.reports import catalog, consumption, field, receivables, records, shifts, takings
from models.errors import PermissionDenied
from models.rights import system_actor

DAY = date(2026, 11, 1)
NO_OPERATOR = "logged-in operator"


@pytest.mark.parametrize("key", sorted(catalog.REPORTS))
def test_every_report_without_an_operator_is_refused(db, key):
    spec = catalog.REPORTS[key]
    group = spec.groups[0] if spec.groups else ""
    with pytest.raises(PermissionDenied, match=NO_OPERATOR):
        spec.run(db, DAY, DAY, group, None)
    spec.run(db, DAY, DAY, group, system_actor("T"))           # the station itself, named


@pytest.mark.parametrize("key", sorted(k for k, s in catalog.REPORTS.items() if s.stream is not None))
def test_an_export_without_an_operator_is_refused_and_writes_nothing(db, tmp_path, key):
    out = tmp_path / f"{key}.xlsx"
    with pytest.raises(PermissionDenied, match=NO_OPERATOR):
        catalog.export_streamed(db, out, key, DAY, DAY, "", None)
    assert not out.exists()
    catalog.export_streamed(db, out, key, DAY, DAY, "", system_actor("T"))
    assert out.exists()


def _family(db):
    """Every report function of billing/reports/, called as a front end that forgot the operator."""
    return {
        "sales": lambda a: takings.sales(db, DAY, DAY, actor=a),
        "sales_from_entries": lambda a: takings.sales_from_entries(db, DAY, DAY, actor=a),
        "sales_summary": lambda a: takings.sales_summary(db, DAY, DAY, actor=a),
        "receivable": lambda a: receivables.receivable_vs_received(db, DAY, DAY, actor=a),
        "corrections": lambda a: receivables.corrections(db, DAY, DAY, actor=a),
        "iter_corrections": lambda a: _in_read(db, lambda s: receivables.iter_corrections(s, DAY, DAY, actor=a)),
        "sale_records": lambda a: records.sale_records(db, DAY, DAY, actor=a),
        "iter_sale_records": lambda a: _in_read(db, lambda s: records.iter_sale_records(s, DAY, DAY, actor=a)),
        "places": lambda a: records.places(db, a),
        "meter_consumption": lambda a: consumption.meter_consumption(db, DAY, DAY, actor=a),
        "consumption": lambda a: consumption.consumption(db, DAY, DAY, actor=a),
        "line_loss": lambda a: consumption.line_loss(db, DAY, DAY, actor=a),
        "alarm_history": lambda a: field.alarm_history(db, DAY, DAY, actor=a),
        "iter_alarm_history": lambda a: _in_read(db, lambda s: field.iter_alarm_history(s, DAY, DAY, actor=a)),
        "lost": lambda a: field.lost(db, actor=a),
        "read_success": lambda a: field.read_success(db, DAY, DAY, actor=a),
        "shift_report": lambda a: shifts.shift_report(db, DAY, DAY, actor=a),
    }


def _in_read(db, stream):
    with db.read() as s:
        return list(stream(s))


@pytest.mark.parametrize("name", sorted(_family(None)))
def test_every_report_function_without_an_operator_is_refused(db, name):
    call = _family(db)[name]
    with pytest.raises(PermissionDenied, match=NO_OPERATOR):
        call(None)
    call(system_actor("T"))
