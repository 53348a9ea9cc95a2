"""The GUI thread's CPU for a new board of N meters (a model reset), as the meters and control
pages take a reload: prepared off the GUI thread (MeterTableModel.prepare: sorted, indexed,
counted) beside the same rows sorted and indexed on it (what the pages did before).

    python -m tests.benchmarks.bench_board_reset [--meters N] [--repeat R]

The floor, in the same run: Qt's own part of any reset of these rows (begin/endResetModel of
the loaded model, the proxy's pass and the view's), which no preparation can remove.
CPU time of the GUI thread (time.thread_time), median of R, so a loaded machine does not
stretch it; the rows come in reverse order, so the sort has work to do.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--meters", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from tests.ui.meters.test_meter_model import make_rows
    from ui.gui_main import make_app
    from ui.item_models.meter_table import MeterFilter, MeterTableModel
    from ui.pages.meters_page import make_meter_view

    app = make_app()
    rows = make_rows(args.meters)[::-1]
    kinds = ("on the GUI thread", "prepared off it", "floor")
    cpu: dict[str, list[float]] = {k: [] for k in kinds}
    for _ in range(args.repeat):
        for kind in kinds:
            model, proxy = MeterTableModel(), MeterFilter()
            view = make_meter_view(model, proxy)
            view.resize(1100, 650)
            view.show()
            app.processEvents()
            given = model.prepare(rows, model.sort_order()) if kind == "prepared off it" else rows
            if kind == "floor":
                model.merge(model.prepare(rows, model.sort_order()))
            t0 = time.thread_time()
            if kind == "floor":
                model.beginResetModel()
                model.endResetModel()
            else:
                model.merge(given, sliced=True)
            cpu[kind].append(time.thread_time() - t0)
            assert model.rowCount() == args.meters and model.rows[0].number == "M000000"
            view.deleteLater()
            app.processEvents()
    print(f"a new board of {args.meters} meters, GUI-thread CPU (median of {args.repeat}; "
          f"load {os.getloadavg()[0]:.1f}):")
    for kind in kinds:
        print(f"  {kind:18s} {statistics.median(cpu[kind]) * 1000:6.1f} ms  (min {min(cpu[kind]) * 1000:.1f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
