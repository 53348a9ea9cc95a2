"""The CJK font every printed document uses, registered in reportlab from resources/fonts/.

reportlab's built-in STSong-Light is a CID font that is *not* embedded: viewers without the
Adobe-GB1 language pack silently drop every Chinese character. We ship WenQuanYi Micro Hei
(Apache-2.0, see resources/fonts/README) and register it as a TrueType font, which reportlab
embeds as a subset, so every PDF carries its own glyphs.

The font is read through importlib.resources (it works from a zip or a frozen build) and parsed
once per process; ``font_name()`` is cheap after the first call.
"""
from __future__ import annotations

import io
import threading

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from resources import path

FONT_NAME = "MeterStationCJK"
FONT_FILE = "wqy-microhei.ttc"
_SUBFONT = 0            # 0 = WenQuanYi Micro Hei, 1 = WenQuanYi Micro Hei Mono

_lock = threading.Lock()
_registered = False


def font_name() -> str:
    """Register the shipped CJK font (once) and return its reportlab name."""
    global _registered
    with _lock:
        if not _registered:
            data = path("fonts", FONT_FILE).read_bytes()
            font = TTFont(FONT_NAME, io.BytesIO(data), subfontIndex=_SUBFONT)
            pdfmetrics.registerFont(font)
            _registered = True
    return FONT_NAME


def text_width(text: str, size: float) -> float:
    """Width of text in points in the shipped font at the given size."""
    width: float = pdfmetrics.stringWidth(text, font_name(), size)
    return width


def fit_size(text: str, width: float, size: float, minimum: float = 5.0) -> float:
    """The largest font size <= size at which text fits in width points (never below minimum)."""
    w = text_width(text, size)
    if w <= width or w == 0:
        return size
    return max(minimum, size * width / w)
