"""A small bar chart of an account's usage: this month and the two months before (pyqtgraph).

pyqtgraph (with numpy) takes about half a second of CPU to import, and the chart sits on the
counter, the page the window opens on. So the chart is a plain frame until the plot exists: once
the frame is first shown, pyqtgraph is imported on a worker thread (ui.tasks.read; the import
makes no Qt object) and the plot is then built on the GUI thread; usage given before that is
drawn when the plot arrives, or at once (importing on the GUI thread) if usage with values comes
first.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget

from ui import tasks


def _import_pyqtgraph() -> Any:
    import pyqtgraph

    return pyqtgraph


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
            tasks.read(self, _import_pyqtgraph, on_done=lambda _pg: self._build(),
                       on_error=lambda _e: None)       # no chart then; the card works without it

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
