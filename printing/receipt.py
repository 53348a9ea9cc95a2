"""The three-part receipt (三联单) for sales, refunds, reversals, account opening and closing.

    data = ReceiptData(kind="sale", receipt_no="S2024000123", printed_at=now, operator="王芳", ...)
    pdf = render_receipt_pdf(data, ReceiptLayout.from_json(stored_json))

Every ply (存根联 stub / 客户联 customer / 记账联 accounting) carries the same content and its
own label. On ``continuous-241x93`` paper each ply is a page; on ``a4`` the three plies are
stacked on one page with dashed cut lines. A reprint (``is_copy``) keeps its number and is marked
重打; a reversal is titled and stamped 冲正 and names the receipt it reverses.

Texts come from the translation catalog in the language current at render time
(resources.i18n.language()); no Qt here — the GUI sends the bytes to a QPrinter.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from reportlab.lib.units import mm

from models.receipt_layout import KINDS, ReceiptLayout
from printing.capitals import to_fen
from printing.pdfcanvas import new_canvas, write_atomic
from printing.receipt_part import draw_part


@dataclass
class ReceiptData:
    """Everything printed on one receipt. Money is Decimal (yuan, at most two decimals)."""

    kind: str                       # sale | refund | reversal | account_open | account_close
    receipt_no: str
    printed_at: datetime
    operator: str
    amount: Decimal                 # printed as given (a reversal usually carries a negative one)
    balance_after: Decimal
    payment_method: str = "cash"    # cash | card | wechat | alipay | transfer | any text
    company: str = ""
    station: str = ""
    customer: str = ""
    account: str = ""               # the account number (户号)
    building: str = ""
    room: str = ""
    meter_numbers: list[str] = field(default_factory=list)
    reference: str = ""
    energy: Decimal | None = None   # the quantity bought/refunded, if any
    energy_unit: str = "kWh"
    unit_price: Decimal | None = None   # yuan per energy_unit, if the tariff has one price
    tariff: str = ""                # the tariff's name (printed with, or instead of, the price)
    original_receipt_no: str = ""   # required for a reversal
    is_copy: bool = False           # a reprint: marked 重打, same number
    extra: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown receipt kind {self.kind!r}")
        if not self.receipt_no:
            raise ValueError("a receipt needs its number")
        if not isinstance(self.printed_at, datetime):
            raise TypeError("printed_at must be a datetime")
        to_fen(self.amount)                 # refuses float and sub-fen amounts
        to_fen(self.balance_after)
        if self.energy is not None and (isinstance(self.energy, (bool, float))
                                        or not isinstance(self.energy, (Decimal, int))):
            raise TypeError("energy must be Decimal, int or None")
        if self.unit_price is not None and (isinstance(self.unit_price, (bool, float))
                                            or not isinstance(self.unit_price, (Decimal, int))):
            raise TypeError("unit_price must be Decimal, int or None")
        if self.kind == "reversal" and not self.original_receipt_no:
            raise ValueError("a reversal must name the original receipt number")


def render_receipt_pdf(data: ReceiptData, layout: ReceiptLayout | None = None) -> bytes:
    """The receipt as PDF bytes: three pages (continuous paper) or one A4 page."""
    layout = layout or ReceiptLayout()
    paper = layout.geometry
    page_w, page_h = paper.width * mm, paper.height * mm
    buf = io.BytesIO()
    c = new_canvas(buf, (page_w, page_h), f"{layout.title(data.kind)} {data.receipt_no}")
    mx, my = paper.margin_x * mm, paper.margin_y * mm
    if paper.parts_per_page == 1:
        for ply in range(3):
            draw_part(c, (mx, my, page_w - 2 * mx, page_h - 2 * my), data, layout, ply)
            c.showPage()
    else:
        part_h = page_h / 3
        for ply in range(3):
            top = page_h - ply * part_h
            draw_part(c, (mx, top - part_h + my, page_w - 2 * mx, part_h - 2 * my),
                      data, layout, ply)
        c.saveState()
        c.setDash(4, 3)
        c.setLineWidth(0.5)
        for k in (1, 2):
            c.line(4 * mm, k * part_h, page_w - 4 * mm, k * part_h)
        c.restoreState()
        c.showPage()
    c.save()
    return buf.getvalue()


def write_receipt_pdf(path: str | os.PathLike[str], data: ReceiptData,
                      layout: ReceiptLayout | None = None) -> Path:
    """Render and write atomically (temp file + rename), so a printer never sees half a file."""
    return write_atomic(path, render_receipt_pdf(data, layout))
