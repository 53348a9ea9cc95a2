"""A printable report table (any query or report of the station) as an A4 PDF.

    pdf = render_table_pdf(TableDoc(title="售电记录", period="2026-11-01 — 2026-11-30",
                                    filters=[("操作员", "cas")], headers=[...], kinds=[...],
                                    rows=[[...], ...], totals=["合计", None, ...],
                                    summary=["售电: 3 笔 ¥150.00", ...], company="某某物业"))

Landscape when the table has more than six columns; the header row repeats on every page; a
page footer "title · page N". Cells are formatted like the reports page (money with two
decimals and thousands separators, datetimes in local time). The shipped CJK font is
embedded (printing/fonts.py), so the Chinese text survives any viewer and pdftotext.
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from models import station_time
from printing.docbuild import MARGIN, para, style
from printing.fonts import font_name, text_width
from resources.i18n import _

NUMBER_KINDS = ("money", "energy", "int")
_CENT = Decimal("0.01")


@dataclass
class TableDoc:
    title: str
    headers: Sequence[str]
    kinds: Sequence[str]                       # text money energy int datetime date (printing.excel kinds)
    rows: Sequence[Sequence[Any]]
    period: str = ""
    filters: Sequence[tuple[str, str]] = ()    # (label, value), already translated
    totals: Sequence[Any] | None = None        # a totals row (its label cell a str), or None
    summary: Sequence[str] = field(default_factory=list)   # lines under the header (totals per kind...)
    company: str = ""


def cell_text(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if kind == "money":
        return f"{Decimal(value).quantize(_CENT):,}"
    if kind == "energy":
        d = Decimal(value)
        return f"{d.quantize(_CENT) if d == d.quantize(_CENT) else d.normalize():,}"
    if kind == "int":
        return f"{value:,}"
    if isinstance(value, datetime):
        return station_time.wall(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _widths(doc: TableDoc, texts: list[list[str]], width: float, size: float) -> list[float]:
    """Column widths in proportion to their widest text (capped), scaled to the page width."""
    n = len(doc.headers)
    want = []
    for i in range(n):
        longest = max([text_width(doc.headers[i], size)] + [text_width(r[i], size) for r in texts[:500]])
        want.append(min(max(longest + 6, 24), 160))
    scale = width / sum(want)
    return [w * scale for w in want]


def render_table_pdf(doc: TableDoc) -> bytes:
    pagesize = landscape(A4) if len(doc.headers) > 6 else A4
    width = pagesize[0] - 2 * MARGIN
    size = 8 if len(doc.headers) <= 10 else 7
    texts = [[cell_text(v, k) for v, k in zip(r, doc.kinds, strict=False)] for r in doc.rows]
    total_texts = [cell_text(v, k) for v, k in zip(doc.totals, doc.kinds, strict=False)] if doc.totals else None
    story: list[Flowable] = []
    if doc.company:
        story.append(para(doc.company, 11, "center"))
    story.append(para(doc.title, 16, "center"))
    head = [doc.period] if doc.period else []
    head += [f"{label}: {value}" for label, value in doc.filters]
    if head:
        story.append(para("    ".join(head), 9, "center"))
    for line in doc.summary:
        story.append(para(line, 9))
    story.append(Spacer(1, 3 * mm))
    cell_style = style(size)
    right = style(size, 2)

    def cell(text: str, kind: str) -> Paragraph:
        return Paragraph(escape(text), right if kind in NUMBER_KINDS else cell_style)

    data = [[Paragraph(escape(h), cell_style) for h in doc.headers]]
    data += [[cell(t, k) for t, k in zip(r, doc.kinds, strict=False)] for r in texts]
    if total_texts is not None:
        data.append([cell(t, k) for t, k in zip(total_texts, doc.kinds, strict=False)])
    if len(data) == 1:
        data.append([Paragraph(escape(_("No records")), cell_style)] + [""] * (len(doc.headers) - 1))
    cmds = [("FONT", (0, 0), (-1, -1), font_name(), size), ("GRID", (0, 0), (-1, -1), 0.3, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("TOPPADDING", (0, 0), (-1, -1), 1),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2), ("LEFTPADDING", (0, 0), (-1, -1), 2),
            ("RIGHTPADDING", (0, 0), (-1, -1), 2), ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.88, 0.88, 0.88))]
    if total_texts is not None:
        cmds.append(("BACKGROUND", (0, -1), (-1, -1), colors.Color(0.93, 0.93, 0.93)))
    table = Table(data, colWidths=_widths(doc, texts, width, size), repeatRows=1)
    table.setStyle(TableStyle(cmds))
    story.append(table)
    return _build(story, doc.title, pagesize)


def _build(story: list[Flowable], title: str, pagesize: tuple[float, float]) -> bytes:
    buf = io.BytesIO()
    pdf = SimpleDocTemplate(buf, pagesize=pagesize, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN + 4 * mm, title=title, author="MeterStation",
                            creator="MeterStation", invariant=1, initialFontName=font_name())

    def on_page(canvas: Any, document: Any) -> None:     # reportlab's (untyped) canvas and template
        canvas.saveState()
        canvas.setFont(font_name(), 8)
        canvas.drawCentredString(pagesize[0] / 2, MARGIN - 2 * mm,
                                 f"{title}    " + _("Page {page}").format(page=document.page))
        canvas.restoreState()

    pdf.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buf.getvalue()
