"""A small bar chart of an account's usage: this month and the two months before (pyqtgraph).

pyqtgraph is imported on the GUI thread only. Its import walks every attribute of PySide6's
QtCore/QtGui/QtWidgets (pyqtgraph/Qt/__init__.py `_copy_attrs`, which makes shiboken create
each type), imports QtSvg, QtOpenGLWidgets and QtTest, and defines dozens of QObject subclasses;
done on a worker while the GUI thread built a page, that crashed the process (SIGSEGV in
tests/foundation/test_gui.py, 5 of 10 whole runs, while the meters page was built; found in
this stop's walk). So:

    usage_chart.warm_numpy()    # run_gui's start: numpy (no Qt, half the cost) on a thread
    usage_chart.preload()       # the GUI thread, before the main window is shown (≈ 0.15 s CPU)

and the chart is a plain frame until it is first shown, when the plot is built on the GUI
thread's next turn (importing pyqtgraph there if nothing preloaded it: the tests, the
screenshot tool). Usage given before that is drawn when the plot is built, or at once if usage
with values comes first.
"""
from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QSize, QTimer
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget

log = logging.getLogger(__name__)


def _import_pyqtgraph() -> Any:
    import pyqtgraph  # GUI thread only (module docstring)

    return pyqtgraph


def warm_numpy() -> None:
    """Import numpy on a background thread (it makes no Qt object): pyqtgraph's import on the
    GUI thread then costs the rest only."""
    import threading

    threading.Thread(target=lambda: __import__("numpy"), name="numpy-import", daemon=True).start()


def preload() -> None:
    """Import pyqtgraph now, on the GUI thread (before the main window shows)."""
    _import_pyqtgraph()


class UsageChart(QWidget):
    """Three bars labelled by month; values are Decimal kWh (drawn, never computed with)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(120)
        self.setMaximumHeight(170)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._box = QVBoxLayout(self)
        self._box.setContentsMargins(0, 0, 0, 0)
        self.plot_widget: Any = None                 # pyqtgraph.PlotWidget once built
        self._warming = False
        self._bars: Any = None
        self._labels: list[Any] = []
        self.values: list[tuple[str, Decimal]] = []
        self.unit = "kWh"

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt name; the plot's own hint, so the layout does not move
        return QSize(600, 480)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt name
        super().showEvent(event)
        if self.plot_widget is None and not self._warming:
            self._warming = True
            QTimer.singleShot(0, self, self._build_safely)     # after the paint, on this thread

    def _build_safely(self) -> None:
        try:
            self._build()
        except ImportError:
            log.warning("no usage chart: pyqtgraph cannot be imported", exc_info=True)

    def _build(self) -> None:
        if self.plot_widget is not None:
            return
        pg = _import_pyqtgraph()
        plot = pg.PlotWidget(self, background="w")
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.getPlotItem().setMenuEnabled(False)
        plot.getPlotItem().showGrid(y=True, alpha=0.3)
        self._box.addWidget(plot)
        self.plot_widget = plot
        self._draw()

    def set_usage(self, months: list[tuple[str, Decimal]] | tuple[tuple[str, Decimal], ...], unit: str = "kWh") -> None:
        self.values = list(months)
        self.unit = unit
        if self.plot_widget is None:
            if self.values:
                self._build()                        # draws
            return
        self._draw()

    def _draw(self) -> None:
        pg = _import_pyqtgraph()
        plot = self.plot_widget.getPlotItem()
        if self._bars is not None:
            plot.removeItem(self._bars)
        for label in self._labels:
            plot.removeItem(label)
        self._labels = []
        xs = list(range(len(self.values)))
        heights = [float(v) for _m, v in self.values]   # display only
        self._bars = pg.BarGraphItem(x=xs, height=heights, width=0.6, brush="#2f5d8f")
        plot.addItem(self._bars)
        for x, (_m, v) in zip(xs, self.values, strict=True):
            text = pg.TextItem(f"{v:.0f}", color="#333333", anchor=(0.5, 1.0))
            text.setPos(x, float(v))
            plot.addItem(text)
            self._labels.append(text)
        plot.getAxis("bottom").setTicks([[(x, m) for x, (m, _v) in zip(xs, self.values, strict=True)]])
        plot.setLabel("left", self.unit)
        top = max(heights + [1.0])
        plot.setYRange(0, top * 1.25, padding=0)
        plot.setXRange(-0.6, max(len(xs) - 0.4, 0.6), padding=0)
