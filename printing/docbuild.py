"""A4 documents built with reportlab platypus (bills, shift reports) in the shipped CJK font.

Paragraphs wrap Chinese anywhere (wordWrap="CJK"); tables have a light grid and right-aligned
number columns. ``build_pdf`` returns the bytes of a deterministic PDF with a page footer.
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

from printing.fonts import font_name
from resources.i18n import _

MARGIN = 15 * mm


def style(size: float = 9.5, align: int = 0, leading: float | None = None) -> ParagraphStyle:
    return ParagraphStyle(f"ms{size}-{align}", fontName=font_name(), fontSize=size,
                          leading=leading or size * 1.35, alignment=align, wordWrap="CJK")


def para(text: str, size: float = 9.5, align: str = "left") -> Paragraph:
    """A paragraph of plain text (escaped; newlines kept). The font has a single weight, so
    emphasis is by size and cell shading, not bold."""
    markup = escape(text).replace("\n", "<br/>")
    al = {"left": 0, "center": TA_CENTER, "right": TA_RIGHT}[align]
    return Paragraph(markup, style(size, al))


def title_block(company: str, title: str) -> list[Flowable]:
    out: list[Flowable] = []
    if company:
        out.append(para(company, 12, "center"))
    out.append(para(title, 17, "center"))
    return out


def grid(rows: Sequence[Sequence[object]], widths: Sequence[float], *, header: bool = True,
         numeric_cols: Sequence[int] = (), shaded_rows: Sequence[int] = (),
         spans: Sequence[tuple[tuple[int, int], tuple[int, int]]] = ()) -> Table:
    """A bordered table; str cells become wrapping paragraphs (numbers right-aligned)."""
    cells = []
    for r, row in enumerate(rows):
        line = []
        for col, v in enumerate(row):
            if isinstance(v, str):
                align = "right" if col in numeric_cols and (r or not header) else "left"
                v = para(v, 9, align)
            line.append(v)
        cells.append(line)
    cmds = [
        ("FONT", (0, 0), (-1, -1), font_name(), 9),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        cmds.append(("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.9, 0.9)))
    cmds += [("BACKGROUND", (0, r), (-1, r), colors.Color(0.95, 0.95, 0.95)) for r in shaded_rows]
    cmds += [("SPAN", a, b) for a, b in spans]
    table = Table(cells, colWidths=list(widths), repeatRows=1 if header else 0)
    table.setStyle(TableStyle(cmds))
    return table


def info_table(pairs: Sequence[tuple[str, str]], width: float, columns: int = 2) -> Table:
    """Label/value pairs laid out `columns` pairs a row, without header."""
    rows: list[list[object]] = []
    for i in range(0, len(pairs), columns):
        row: list[object] = []
        for label, value in pairs[i:i + columns]:
            row += [label, value]
        row += [""] * (2 * columns - len(row))
        rows.append(row)
    label_w = width / columns * 0.32
    widths = [label_w, width / columns - label_w] * columns
    table = grid(rows, widths, header=False)
    table.setStyle(TableStyle([("BACKGROUND", (c, 0), (c, -1), colors.Color(0.95, 0.95, 0.95))
                               for c in range(0, 2 * columns, 2)]))
    return table


def build_pdf(story: list[Flowable], title: str, footer: str = "") -> bytes:
    """An A4 portrait PDF of story with "footer · page N" at the bottom of every page."""
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN, bottomMargin=MARGIN + 4 * mm, title=title,
                            author="MeterStation", creator="MeterStation", invariant=1,
                            initialFontName=font_name())

    def on_page(canvas: Any, document: Any) -> None:     # reportlab's (untyped) canvas and template
        canvas.saveState()
        canvas.setFont(font_name(), 8)
        page = _("Page {page}").format(page=document.page)
        line = f"{footer}    {page}" if footer else page
        canvas.drawCentredString(A4[0] / 2, MARGIN - 2 * mm, line)
        canvas.restoreState()

    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buf.getvalue()


def content_width() -> float:
    width: float = A4[0] - 2 * MARGIN
    return width
