"""Postpaid bill documents: accounts billed over a known span (binding opened at a set local
time), the tariffs of the engine tests, and the text of a PDF (pdftotext)."""
from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from billing.postpaid import bill_account
from billing.tariffs import plan_store
from models.accounts import Account, AccountMeter
from tests.billing import factories as f


def local(y, mo, d, h=0, mi=0) -> datetime:
    return datetime(y, mo, d, h, mi).astimezone().astimezone(UTC)


def pdf_text(path) -> str:
    if shutil.which("pdftotext") is None:      # pragma: no cover - poppler-utils is a test dependency
        pytest.fail("pdftotext (poppler-utils) is needed to check the bill PDFs")
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    return out.stdout


def postpaid(db, actor, *, version: dict | None = None, tariff: str = "flat", reading="100",
             opened: datetime | None = None, meters: int = 1):
    """A postpaid account whose meters were bound at `opened` (default 2026-10-05 08:00 local)."""
    if version is not None and tariff not in [p.name for p in plan_store.list_plans(db)]:
        plan_store.add_version(db, actor, tariff, version)
    acc = f.account(db, actor, mode="postpaid", tariff=tariff, reading=reading, meters=meters)
    opened = opened or local(2026, 10, 5, 8)
    with db.write() as s:
        account_id = s.scalar(sa.select(Account.id).where(Account.number == acc.number))
        s.execute(sa.update(AccountMeter).where(AccountMeter.account_id == account_id)
                  .values(opened_at=opened, last_settled_at=opened))
        s.execute(sa.update(Account).where(Account.id == account_id).values(opened_at=opened))
    return acc


def bill(db, actor, acc, month: str, readings: dict[str, str], at: datetime):
    return bill_account(db, actor, acc.number, month, {k: Decimal(v) for k, v in readings.items()}, at=at)


@pytest.fixture
def root(superadmin):
    return superadmin


@pytest.fixture
def cashier(db, superadmin):
    from access import login as auth
    from access import operators as operator_service

    operator_service.add_operator(db, superadmin, "cas", "pass-123", "cashier")
    return auth.login(db, "cas", "pass-123", "TEST")


@pytest.fixture
def viewer(db, superadmin):
    from access import login as auth
    from access import operators as operator_service

    operator_service.add_operator(db, superadmin, "vie", "pass-123", "viewer")
    return auth.login(db, "vie", "pass-123", "TEST")
