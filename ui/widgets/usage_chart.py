"""A small bar chart of an account's usage: this month and the two months before (pyqtgraph)."""
from __future__ import annotations

from decimal import Decimal

import pyqtgraph as pg
from PySide6.QtWidgets import QSizePolicy


class UsageChart(pg.PlotWidget):
    """Three bars labelled by month; values are Decimal kWh (drawn, never computed with)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent, background="w")
        self.setMinimumHeight(120)
        self.setMaximumHeight(170)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.getPlotItem().setMenuEnabled(False)
        self.getPlotItem().showGrid(y=True, alpha=0.3)
        self._bars: pg.BarGraphItem | None = None
        self._labels: list[pg.TextItem] = []
        self.values: list[tuple[str, Decimal]] = []

    def set_usage(self, months: list[tuple[str, Decimal]] | tuple[tuple[str, Decimal], ...], unit: str = "kWh") -> None:
        self.values = list(months)
        plot = self.getPlotItem()
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
        plot.setLabel("left", unit)
        top = max(heights + [1.0])
        plot.setYRange(0, top * 1.25, padding=0)
        plot.setXRange(-0.6, max(len(xs) - 0.4, 0.6), padding=0)
