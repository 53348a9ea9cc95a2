"""The main window's pages, in navigation order, and the list that builds each on first use.

PAGES names each page's key, module, class and navigation title (the msgid of the page's own
title), so the window can list every page without importing its module. LazyPages behaves as the
window's list of pages (len, index, iteration, `in`): indexing builds the page if it was not yet.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from resources.i18n import N_

if TYPE_CHECKING:
    from ui.pages.base import Page


@dataclass(frozen=True)
class PageSpec:
    key: str
    module: str
    cls: str
    title: str          # msgid (the page's own `title` says the same)


PAGES: tuple[PageSpec, ...] = (
    PageSpec("counter", "ui.pages.counter_page", "CounterPage", N_("Counter")),
    PageSpec("accounts", "ui.pages.accounts_page", "AccountsPage", N_("Accounts")),
    PageSpec("meters", "ui.pages.meters_page", "MetersPage", N_("Meters")),
    PageSpec("control", "ui.pages.control_page", "ControlPage", N_("Control")),
    PageSpec("reports", "ui.pages.reports_page", "ReportsPage", N_("Reports")),
    PageSpec("alarms", "ui.pages.alarms_page", "AlarmsPage", N_("Alarms")),
    PageSpec("settings", "ui.pages.settings_page", "SettingsPage", N_("Settings")),
)


def page_class(spec: PageSpec) -> type[Page]:
    return getattr(importlib.import_module(spec.module), spec.cls)


class LazyPages:
    """The window's pages; build(index, cls) makes page `index` the first time it is needed."""

    def __init__(self, specs: tuple[PageSpec, ...], build: Callable[[int, type[Page]], Page]) -> None:
        self.specs = specs
        self._build = build
        self._pages: list[Page | None] = [None] * len(specs)

    def __len__(self) -> int:
        return len(self.specs)

    def __getitem__(self, index: int) -> Page:
        if not -len(self.specs) <= index < len(self.specs):
            raise IndexError(index)
        index %= len(self.specs)
        page = self._pages[index]
        if page is None:
            page = self._pages[index] = self._build(index, page_class(self.specs[index]))
        return page

    def __iter__(self) -> Iterator[Page]:
        return (self[i] for i in range(len(self.specs)))

    def __contains__(self, page: object) -> bool:      # a page object exists only once built
        return any(p is page for p in self._pages)

    def index(self, page: object) -> int:
        for i, p in enumerate(self._pages):
            if p is page:
                return i
        raise ValueError("not a page of this window")

    def built(self, key: str) -> Page | None:
        return next((p for spec, p in zip(self.specs, self._pages, strict=True) if spec.key == key), None)
