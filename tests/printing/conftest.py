"""Helpers for printing tests: PDF text and page sizes through poppler, sample receipt data."""
from __future__ import annotations

import re
import shutil
import subprocess
from datetime import datetime
from decimal import Decimal

import pytest

from resources import i18n


def _need(tool: str) -> str:
    exe = shutil.which(tool)
    if exe is None:
        pytest.skip(f"{tool} (poppler-utils) is not installed")
    return exe


class Pdf:
    """A rendered PDF on disk, inspected with poppler's command-line tools."""

    def __init__(self, data: bytes, path):
        assert data.startswith(b"%PDF-")
        self.path = path
        path.write_bytes(data)

    def text(self, page: int | None = None, crop: tuple[float, float, float, float] | None = None,
             layout: bool = False) -> str:
        """Text of the document or one page (1-based); crop = (x, y, w, h) in pt from top left."""
        cmd = [_need("pdftotext"), "-enc", "UTF-8"]
        if layout:
            cmd.append("-layout")
        if page is not None:
            cmd += ["-f", str(page), "-l", str(page)]
        if crop is not None:
            cmd += ["-r", "72"] + [a for k, v in zip("xyWH", crop, strict=True) for a in (f"-{k}", str(int(v)))]
        cmd += [str(self.path), "-"]
        return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout

    def flat(self, page: int | None = None, crop=None) -> str:
        """Text without any whitespace (stacked vertical labels read as one word)."""
        return re.sub(r"\s+", "", self.text(page, crop))

    def page_sizes(self) -> list[tuple[float, float]]:
        out = subprocess.run([_need("pdfinfo"), "-f", "1", "-l", "999", str(self.path)],
                             check=True, capture_output=True, text=True).stdout
        return [(float(w), float(h))
                for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", out)]

    def fonts(self) -> list[list[str]]:
        out = subprocess.run([_need("pdffonts"), str(self.path)], check=True,
                             capture_output=True, text=True).stdout
        return [line.split() for line in out.splitlines()[2:] if line.strip()]


@pytest.fixture
def pdf(tmp_path):
    """pdf(bytes) -> Pdf, written under the test's tmp_path."""
    counter = iter(range(1000))

    def make(data: bytes) -> Pdf:
        return Pdf(data, tmp_path / f"doc{next(counter)}.pdf")

    return make


@pytest.fixture
def zh():
    """Switch to Chinese for one test (the suite-wide fixture restores the language)."""
    i18n.set_language("zh_CN")


def sale_kwargs(**over) -> dict:
    base = dict(
        kind="sale", receipt_no="S2024000123", printed_at=datetime(2024, 5, 1, 10, 20, 30),
        operator="王芳", amount=Decimal("1234.56"), balance_after=Decimal("1500.06"),
        payment_method="wechat", company="阳光花园物业服务中心", station="一号窗口",
        customer="张三丰", room="3-2-1502", meter_numbers=["000012345678"],
        reference="4200001234", energy=Decimal("2057.6"), energy_unit="kWh",
    )
    base.update(over)
    return base


@pytest.fixture
def receipt_data():
    """receipt_data(**overrides) -> ReceiptData for a sale of ¥1,234.56."""
    from printing.receipt import ReceiptData

    return lambda **over: ReceiptData(**sale_kwargs(**over))
