"""Small drawing helpers over a reportlab canvas, all in the shipped CJK font.

Every helper fits its text into the width it is given by shrinking the font (never clipping or
overlapping a neighbour), because a customer name or a company name can be any length.
"""
from __future__ import annotations

import io
import os
import uuid
from pathlib import Path

from reportlab.pdfgen.canvas import Canvas

from printing.fonts import fit_size, font_name, text_width


def new_canvas(buffer: io.BytesIO, pagesize: tuple[float, float], title: str) -> Canvas:
    """A canvas with stable output (invariant: same input, same bytes) and document info."""
    c = Canvas(buffer, pagesize=pagesize, invariant=1, pageCompression=1,
               initialFontName=font_name())
    c.setTitle(title)
    c.setCreator("MeterStation")
    c.setAuthor("MeterStation")
    return c


def text(c: Canvas, x: float, y: float, s: str, size: float, *, align: str = "left",
         width: float | None = None, bold: bool = False, minimum: float = 5.0) -> float:
    """Draw s with its baseline at y; x is the left edge, centre or right edge per align.

    With width, the font shrinks until s fits. Returns the size used. ``bold`` strokes the
    glyph outlines as well (the shipped font has a single weight).
    """
    if width is not None:
        size = fit_size(s, width, size, minimum)
    w = text_width(s, size)
    if align == "center":
        x -= w / 2
    elif align == "right":
        x -= w
    t = c.beginText()
    t.setTextOrigin(x, y)
    t.setFont(font_name(), size)
    t.textOut(s)
    c.saveState()
    if bold:
        t.setTextRenderMode(2)
        c.setLineWidth(size * 0.045)
    c.drawText(t)
    c.restoreState()
    return size


def is_cjk(s: str) -> bool:
    """True when every non-space character is a wide (CJK) character."""
    return all(ord(ch) >= 0x2E80 for ch in s if not ch.isspace())


def vertical_label(c: Canvas, cx: float, y_top: float, y_bottom: float, lines: list[str],
                   size: float) -> None:
    """A side label centred between y_top and y_bottom at x=cx.

    Chinese is written top to bottom, one character under the other (竖排), with a gap between
    lines; other text is rotated 90 degrees and reads bottom to top.
    """
    if all(is_cjk(s) for s in lines):
        chars = [list(s.replace(" ", "")) for s in lines]
        slots = sum(len(cs) for cs in chars) + len(chars) - 1
        step = min(size * 1.2, (y_top - y_bottom) / max(slots, 1))
        size = min(size, step / 1.1)
        y = (y_top + y_bottom) / 2 + slots * step / 2 - size
        for i, cs in enumerate(chars):
            if i:
                y -= step
            for ch in cs:
                text(c, cx, y, ch, size, align="center", bold=True)
                y -= step
        return
    s = "  ".join(lines)
    c.saveState()
    c.translate(cx + size * 0.35, (y_top + y_bottom) / 2)
    c.rotate(90)
    text(c, 0, 0, s, size, align="center", width=y_top - y_bottom, bold=True)
    c.restoreState()


def stamp(c: Canvas, x: float, y_top: float, s: str, size: float) -> float:
    """A boxed mark such as 重打 or 冲正 with its top-left corner at (x, y_top); returns its width."""
    pad = size * 0.3
    w = text_width(s, size) + 2 * pad
    h = size * 1.35
    c.saveState()
    c.setLineWidth(1.2)
    c.rect(x, y_top - h, w, h, stroke=1, fill=0)
    c.restoreState()
    text(c, x + pad, y_top - h + size * 0.3, s, size, bold=True)
    return w


def write_atomic(path: str | os.PathLike[str], content: bytes) -> Path:
    """Write bytes to path through a temporary file in the same folder and a rename."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        # 0600: a receipt names the customer and the money (the station's user only)
        with os.fdopen(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_BINARY", 0), 0o600),
                       "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
