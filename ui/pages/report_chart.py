"""The bar chart under a report: one column of the table as bars, labels that never overlap.

Labels are thinned to what fits the plot's width (measured with the axis font, again on every
resize); a report by day gets a bar for every day of the range, 0 where nothing happened, so a
quiet day is visible instead of silently missing.
"""
from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import pyqtgraph as pg
from PySide6.QtGui import QFontMetrics

MAX_DAYS = 400          # a longer range by day is drawn as the rows it has


def fill_days(points: list[tuple[str, Any]], start: date, end: date) -> list[tuple[str, Any]]:
    """Every day start..end with its value, 0 for the days without a row (labels are ISO days)."""
    if (end - start).days >= MAX_DAYS:
        return points
    have = dict(points)
    out = []
    d = start
    while d <= end:
        out.append((d.isoformat(), have.get(d.isoformat(), 0)))
        d += timedelta(days=1)
    return out


class ReportChart(pg.PlotWidget):
    """Bars of one column of the report (values drawn, never computed with)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent, background="w")
        self.setMinimumHeight(160)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.getPlotItem().setMenuEnabled(False)
        self.getPlotItem().showGrid(y=True, alpha=0.3)
        self.bars: pg.BarGraphItem | None = None
        self.points: list[tuple[str, float]] = []
        self.ticks: list[tuple[int, str]] = []

    def set_bars(self, points: list[tuple[str, Any]], label: str) -> None:
        plot = self.getPlotItem()
        if self.bars is not None:
            plot.removeItem(self.bars)
        self.points = [(k, float(v)) for k, v in points]            # display only
        xs = list(range(len(self.points)))
        self.bars = pg.BarGraphItem(x=xs, height=[v for _k, v in self.points], width=0.6, brush="#2f5d8f")
        plot.addItem(self.bars)
        plot.setLabel("left", label)
        self._place_ticks()
        plot.enableAutoRange()

    def label_step(self) -> int:
        """Show every n-th label so that the widest label plus a gap fits each shown one."""
        if not self.points:
            return 1
        axis = self.getPlotItem().getAxis("bottom")
        metrics = QFontMetrics(axis.style.get("tickFont") or self.font())
        widest = max(metrics.horizontalAdvance(k) for k, _v in self.points) + 16
        width = max(axis.width() if axis.width() > 50 else self.width() - 60, 100)
        fits = max(1, int(width // widest))
        return max(1, math.ceil(len(self.points) / fits))

    def _place_ticks(self) -> None:
        step = self.label_step()
        self.ticks = [(x, k) for x, (k, _v) in enumerate(self.points) if x % step == 0]
        self.getPlotItem().getAxis("bottom").setTicks([self.ticks])

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.__dict__.get("points"):          # also called from the base constructor
            self._place_ticks()
