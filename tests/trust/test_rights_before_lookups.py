"""A refusal says nothing of what exists: an operator without the right to open accounts who
names a customer that is not there is refused for the right, not told "no such customer" (the
walk's hostile cashier learnt which customers exist that way). Logged as denied."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from billing.accounts_open import open_account
from models.errors import PermissionDenied
from models.oplog import OpLogEntry


def test_a_cashier_opening_an_account_for_nobody_is_refused_for_the_right(db, cashier):
    with pytest.raises(PermissionDenied):
        open_account(db, cashier, "nobody-at-all", [])
    with db.read() as s:
        row = s.execute(sa.select(OpLogEntry).where(OpLogEntry.action == "denied")
                        .order_by(OpLogEntry.seq.desc())).scalars().first()
    assert row is not None and row.operator == "cas" and row.target == "nobody-at-all"
