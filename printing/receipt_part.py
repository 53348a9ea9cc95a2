"""Drawing of one receipt ply inside a box: header, field grid, footer and the side ply strip.

    ┌───────────────────────────────────────────────────────────────┬──┐
    │ [重打] [冲正]           Company name                            │第│
    │                        Payment Receipt                        │一│
    │ No.: S2024000123        Station: 一号窗口   Time: 2024-05-01 … │联│
    │ ┌──────────┬────────────────┬──────────┬────────────────┐     │  │
    │ │ Customer │ 张三            │ Room     │ A-101          │     │存│
    │ │ …        │                │ …        │                │     │根│
    │ │ In words │ 壹仟贰佰叁拾肆元伍角陆分                      │     │联│
    │ └──────────┴────────────────┴──────────┴────────────────┘     │  │
    │ Operator: 王芳     Customer signature: ________     footer    │  │
    └───────────────────────────────────────────────────────────────┴──┘

Row height follows the number of rows so a receipt with many extra lines still fits; every text
shrinks to its cell instead of running into the next one.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from models.receipt_layout import WIDE_FIELDS, ReceiptLayout
from printing import formatting as fmt
from printing.capitals import amount_in_capitals
from printing.fonts import text_width
from printing.pdfcanvas import stamp, text, vertical_label
from resources.i18n import _

if TYPE_CHECKING:
    from printing.receipt import ReceiptData

STRONG = ("amount", "amount_capitals")   # values printed in bold


class Cell(NamedTuple):
    label: str
    value: str
    wide: bool = False        # takes a whole row
    strong: bool = False      # bold value


def unit_price_text(data: ReceiptData) -> str:
    """'0.5283 元/kWh（居民电价）', the price alone, the tariff name alone, or ''."""
    price = "" if data.unit_price is None else _("{price} yuan/{unit}").format(
        price=fmt.quantity(data.unit_price), unit=data.energy_unit)
    if price and data.tariff:
        return _("{price} ({tariff})").format(price=price, tariff=data.tariff)
    return price or data.tariff


def field_cells(data: ReceiptData, layout: ReceiptLayout) -> list[Cell]:
    """The body fields to print, in layout order, skipping those without a value."""
    values = {
        "customer": data.customer,
        "account": data.account,
        "building": data.building,
        "room": data.room,
        "meters": ", ".join(data.meter_numbers),
        "unit_price": unit_price_text(data),
        "payment_method": fmt.payment_method(data.payment_method),
        "amount": fmt.money(data.amount),
        "quantity": "" if data.energy is None else fmt.quantity(data.energy, data.energy_unit),
        "amount_capitals": amount_in_capitals(data.amount),
        "balance_after": fmt.money(data.balance_after),
        "reference": data.reference,
        "original_receipt_no": data.original_receipt_no,
    }
    cells: list[Cell] = []
    for spec in layout.fields:
        forced = spec.key == "original_receipt_no" and data.kind == "reversal"
        if not (spec.show or forced):
            continue
        if spec.key == "extra":
            cells += [Cell(label, value) for label, value in data.extra]
        elif values[spec.key]:
            cells.append(Cell(spec.text(), values[spec.key], spec.key in WIDE_FIELDS,
                              spec.key in STRONG))
    return cells


def pack_rows(cells: list[Cell], value_width: float, size: float) -> list[list[Cell]]:
    """Two cells a row; a wide cell (or one whose value cannot fit half a row) gets a row."""
    rows: list[list[Cell]] = []
    pending: list[Cell] = []
    for cell in cells:
        if cell.wide or text_width(cell.value, size) > value_width * 1.25:
            if pending:
                rows.append(pending)
                pending = []
            rows.append([cell._replace(wide=True)])
        else:
            pending.append(cell)
            if len(pending) == 2:
                rows.append(pending)
                pending = []
    if pending:
        rows.append(pending)
    return rows


def draw_part(c: Canvas, box: tuple[float, float, float, float], data: ReceiptData,
              layout: ReceiptLayout, ply: int) -> None:
    """Draw ply 0..2 of the receipt inside box = (x, y, width, height) in points."""
    x0, y0, w, h = box
    fs = layout.font_size
    strip = 10 * mm
    body_w = w - strip - 2 * mm
    top = y0 + h

    # side strip with the ply label
    c.saveState()
    c.setDash(3, 2)
    c.setLineWidth(0.6)
    c.line(x0 + w - strip, y0, x0 + w - strip, top)
    c.restoreState()
    vertical_label(c, x0 + w - strip / 2, top, y0, list(layout.ply_label(ply)), fs + 2)

    # header: stamps, company, title, number/station/time
    stamp_w = 0.0
    if data.is_copy:
        stamp_w += stamp(c, x0, top, _("REPRINT"), fs + 5) + 2 * mm
    if data.kind == "reversal":
        stamp_w += stamp(c, x0 + stamp_w, top, _("REVERSAL"), fs + 5) + 2 * mm
    centre = x0 + body_w / 2
    title_room = body_w - 2 * max(stamp_w, 0)
    y = top - (fs + 2)
    company = layout.company_name or data.company
    if company:
        text(c, centre, y, company, fs + 2, align="center", width=title_room)
        y -= fs + 8
    else:
        y -= 4
    text(c, centre, y, layout.title(data.kind), fs + 6, align="center", width=title_room,
         bold=True)
    y -= fs + 7
    third = body_w / 3
    text(c, x0, y, fmt.labelled(_("Receipt No."), data.receipt_no), fs + 1, width=third * 1.1,
         bold=True)
    if data.station:
        text(c, centre, y, fmt.labelled(_("Collection point"), data.station), fs, align="center",
             width=third * 0.8)
    text(c, x0 + body_w, y, fmt.labelled(_("Date/time"), fmt.when(data.printed_at)), fs,
         align="right", width=third)
    grid_top = y - fs * 0.6

    # footer
    foot_y = y0 + 1
    half = body_w / 2
    text(c, x0, foot_y, fmt.labelled(_("Cashier"), data.operator), fs, width=half * 0.45)
    text(c, x0 + half * 0.5, foot_y, fmt.labelled(_("Customer signature"), "______________"),
         fs, width=half * 0.9)
    if layout.footer:
        text(c, x0 + body_w, foot_y, layout.footer, fs - 1, align="right", width=half * 0.55)

    _draw_grid(c, x0, grid_top, body_w, grid_top - (foot_y + fs + 4), data, layout)


def _draw_grid(c: Canvas, x0: float, top: float, width: float, height: float,
               data: ReceiptData, layout: ReceiptLayout) -> None:
    fs = layout.font_size
    label_w = width * 0.15
    value_w = width / 2 - label_w
    rows = pack_rows(field_cells(data, layout), value_w, fs)
    if not rows:
        return
    row_h = min(fs * 2.2, height / len(rows))
    size = min(fs, row_h / 1.45)
    bottom = top - row_h * len(rows)
    c.saveState()
    c.setLineWidth(0.6)
    c.rect(x0, bottom, width, top - bottom)
    c.setLineWidth(0.35)
    for i, row in enumerate(rows):
        y_top = top - i * row_h
        if i:
            c.line(x0, y_top, x0 + width, y_top)
        base = y_top - row_h / 2 - size * 0.35
        c.line(x0 + label_w, y_top, x0 + label_w, y_top - row_h)
        if not row[0].wide:
            c.line(x0 + width / 2, y_top, x0 + width / 2, y_top - row_h)
            c.line(x0 + width / 2 + label_w, y_top, x0 + width / 2 + label_w, y_top - row_h)
        for j, cell in enumerate(row):
            cx = x0 + j * width / 2
            span = width - label_w if cell.wide else value_w
            text(c, cx + 1.5 * mm, base, cell.label, size, width=label_w - 3 * mm)
            text(c, cx + label_w + 1.5 * mm, base, cell.value, size, width=span - 3 * mm,
                 bold=cell.strong)
    c.restoreState()
