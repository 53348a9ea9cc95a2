"""A sale's stored receipt carries the account number, building, room, tariff and its flat price;
the PDF printed from it (through the stored layout and the company.name setting) shows them on
all three plies (pdftotext)."""
from __future__ import annotations

import re
import shutil
import subprocess
from decimal import Decimal

import pytest

from billing import receipts, sales
from billing.settings_service import save_settings
from models.receipt_layout import ReceiptLayout
from resources import i18n
from tests.billing import factories


def _text(path) -> str:
    exe = shutil.which("pdftotext")
    if exe is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run([exe, "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def test_sale_receipt_names_account_building_tariff_and_company(db, root, tmp_path, station_config):
    room = factories.place(db)[0]
    factories.flat_tariff(db, root, "居民电价", "0.5283")
    view = factories.account(db, root, tariff="居民电价", room_id=room)
    result = sales.sell(db, root, view.number, Decimal("50"))
    info = receipts.load(db, result.receipt)
    assert info.payload["account"] == view.number and info.payload["tariff"] == "居民电价"
    assert info.payload["unit_price"] == "0.5283" and info.payload["building"].startswith("B")
    layout = ReceiptLayout()
    layout.fields = [f for f in layout.fields if f.key != "building"] + \
        [f for f in layout.fields if f.key == "building"]
    save_settings(db, root, {"company.name": "阳光物业", "receipt.layout": layout.to_json()})
    i18n.set_language("zh_CN")
    path = tmp_path / "r.pdf"
    receipts.write_pdf(db, info, str(path))
    pages = [re.sub(r"\s+", "", p) for p in _text(path).split("\f") if p.strip()]
    assert len(pages) == 3
    for body in pages:
        for needle in ("阳光物业", f"户号{view.number}", info.payload["building"], info.payload["room"],
                       "0.5283元/kWh（居民电价）", "收费点：TEST"):
            assert needle in body, needle
        assert body.index("单价") < body.index("楼栋")      # the stored layout's order is printed
