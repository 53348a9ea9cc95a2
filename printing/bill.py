"""The postpaid bill (缴费通知单): readings per meter, tariff lines, adjustments, amount due.

    pdf = render_bill_pdf(BillData(bill_no="B202405-0007", account_no="A0012", ...))

The renderer prints what billing computed; it only checks that the numbers on the page agree
with each other (charges + adjustments = amount due; consumption = (end - start) x multiplier
unless the line says otherwise), so a bill can never show a total its lines do not add up to.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from reportlab.platypus import Spacer

from printing import docbuild as d
from printing import formatting as fmt
from printing.capitals import amount_in_capitals, to_fen
from printing.pdfcanvas import write_atomic
from resources.i18n import _


@dataclass
class MeterReadingLine:
    """One meter's readings over the period."""

    meter_no: str
    start: Decimal
    end: Decimal
    unit: str = "kWh"
    description: str = ""              # e.g. "电表 照明", "水表"
    multiplier: Decimal = Decimal(1)   # CT ratio (倍率)
    consumption: Decimal | None = None  # None = (end - start) x multiplier

    def __post_init__(self) -> None:
        for v in (self.start, self.end, self.multiplier):
            if isinstance(v, (bool, float)) or not isinstance(v, (Decimal, int)):
                raise TypeError("readings and multiplier must be Decimal or int")
        if self.consumption is None:
            self.consumption = (Decimal(self.end) - Decimal(self.start)) * Decimal(self.multiplier)


@dataclass
class ChargeLine:
    """One tariff line: quantity x unit price = amount (amount as billing rounded it)."""

    description: str
    quantity: Decimal
    unit: str
    price: Decimal
    amount: Decimal


@dataclass
class BillData:
    bill_no: str
    issued_at: datetime
    account_no: str
    customer: str
    period_start: date
    period_end: date
    amount_due: Decimal
    charges: list[ChargeLine]
    meters: list[MeterReadingLine] = field(default_factory=list)
    adjustments: list[tuple[str, Decimal]] = field(default_factory=list)  # 上期欠费, 预交款 (-)
    company: str = ""
    room: str = ""
    due_date: date | None = None
    operator: str = ""
    notes: str = ""
    period_label: str = ""             # "2026-10": the month the bill is for
    extra_info: list[tuple[str, str]] = field(default_factory=list)   # more (label, value) rows
    copy_mark: str = ""                # a reprint: the line that marks it (重打 #2 ...), same number

    def __post_init__(self) -> None:
        total = sum(to_fen(c.amount) for c in self.charges)
        total += sum(to_fen(a) for _label, a in self.adjustments)
        if total != to_fen(self.amount_due):
            raise ValueError(f"bill {self.bill_no}: lines add up to {Decimal(total).scaleb(-2)}, "
                             f"amount due is {self.amount_due}")

    @property
    def subtotal(self) -> Decimal:
        return Decimal(sum(to_fen(c.amount) for c in self.charges)).scaleb(-2)


def render_bill_pdf(bill: BillData) -> bytes:
    """The bill as A4 PDF bytes in the current language."""
    width = d.content_width()
    title = _("Utility Bill")
    period = f"{fmt.when(bill.period_start)} – {fmt.when(bill.period_end)}"
    if bill.period_label:
        period = f"{bill.period_label} ({period})"
    story = d.title_block(bill.company, title)
    if bill.copy_mark:
        story.append(d.para(bill.copy_mark, 11, "center"))
    story.append(Spacer(1, 4))
    story.append(d.info_table([
        (_("Bill No."), bill.bill_no), (_("Issued"), fmt.when(bill.issued_at, seconds=False)),
        (_("Account No."), bill.account_no), (_("Customer"), bill.customer),
        (_("Room/Shop"), bill.room), (_("Billing period"), period),
        (_("Due date"), fmt.when(bill.due_date)), (_("Prepared by"), bill.operator),
    ] + list(bill.extra_info), width))
    if bill.meters:
        story += [Spacer(1, 8), d.para(_("Meter readings"), 11), Spacer(1, 3)]
        rows: list[list[object]] = [[_("Meter No."), _("Description"), _("Start reading"),
                                     _("End reading"), _("Multiplier"), _("Consumption")]]
        for m in bill.meters:
            assert m.consumption is not None
            rows.append([m.meter_no, m.description, fmt.quantity(m.start), fmt.quantity(m.end),
                         f"{m.multiplier:f}", fmt.quantity(m.consumption, m.unit)])
        w = width / 100
        story.append(d.grid(rows, [w * 17, w * 17, w * 17, w * 17, w * 12, w * 20],
                            numeric_cols=(2, 3, 4, 5)))
    story += [Spacer(1, 8), d.para(_("Charges"), 11), Spacer(1, 3)]
    rows = [[_("Item"), _("Quantity"), _("Unit price"), _("Amount (¥)")]]
    for c in bill.charges:
        rows.append([c.description, fmt.quantity(c.quantity, c.unit),
                     f"{c.price:f}", fmt.plain_money(c.amount)])
    rows.append([_("Subtotal"), "", "", fmt.plain_money(bill.subtotal)])
    for label, amount in bill.adjustments:
        rows.append([label, "", "", fmt.plain_money(amount)])
    rows.append([_("Amount due"), "", "", fmt.money(bill.amount_due)])
    rows.append([_("Amount in words"), d.para(amount_in_capitals(bill.amount_due), 10), "", ""])
    last = len(rows) - 1
    w = width / 100
    story.append(d.grid(rows, [w * 40, w * 22, w * 18, w * 20], numeric_cols=(1, 2, 3),
                        shaded_rows=(last - 1, last), spans=[((1, last), (3, last))]))
    if bill.notes:
        story += [Spacer(1, 8), d.para(bill.notes, 9)]
    return d.build_pdf(story, f"{title} {bill.bill_no}", footer=bill.company)


def write_bill_pdf(path: str | os.PathLike[str], bill: BillData) -> Path:
    return write_atomic(path, render_bill_pdf(bill))
