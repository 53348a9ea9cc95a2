"""A live batch from ui.bridge (readings and the meters' last comm states) rebuilds each changed
row once: a meter's "online" state that comes with its reading (the usual case, at 10,000
meters hundreds a batch) moves nothing and rebuilds nothing. Before, every such state rebuilt
the row a second time (dataclasses.replace, the board state, a compare): half of a batch's
GUI-thread work (bench_gui --meters 10000 --cpu-profile). Counted, not timed."""
from __future__ import annotations

from comms.interfaces import Reading
from tests.ui.meters.test_meter_model import NOW, make_rows
from ui.item_models.meter_table import MeterTableModel


def test_states_that_move_nothing_rebuild_no_row(qtbot, monkeypatch):
    model = MeterTableModel()
    rows = make_rows(90)
    model.load(rows)
    online = [r.meter_id for r in rows if r.comm_state == "online"][:40]
    lost = next(r.meter_id for r in rows if r.comm_state == "lost")
    calls: list[int] = []
    real = MeterTableModel.update_row

    def counted(self, meter_id, **kw):
        calls.append(meter_id)
        return real(self, meter_id, **kw)

    monkeypatch.setattr(MeterTableModel, "update_row", counted)
    signalled: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda a, b, *_: signalled.append((a.row(), b.row())))
    readings = [{"meter_id": m, "values": {"voltage": Reading("voltage", "231.5", "V")}, "at": NOW} for m in online]
    states = dict.fromkeys(online, "online") | {lost: "online", online[0]: "lost"}
    changed = model.apply_batch(readings, states)
    assert sorted(calls) == sorted(online + [lost, online[0]])     # each reading once, and the two that moved
    assert changed == len(online) + 1
    assert model.rows[model.row_of(lost)].comm_state == "online"
    assert model.rows[model.row_of(lost)].state != "lost"
    assert model.rows[model.row_of(online[0])].state == "lost"
    assert all(model.rows[model.row_of(m)].last_values["voltage"] == "231.5" for m in online)
    assert signalled                                                 # the changed rows repaint
    calls.clear()
    assert model.apply_batch((), dict.fromkeys(online[1:], "online")) == 0 and calls == []
