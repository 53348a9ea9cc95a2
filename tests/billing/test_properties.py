"""Random operation sequences (sell, refund, reverse, consume, subsidy grant/expire, transfer)
keep the books: cached balance == SUM(entries), subsidy spent first and never refunded, a
reversal restores the balance exactly, receipt numbers without gap or repeat."""
from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.accounts_open import show
from billing.refunds import refund, reverse
from billing.sales import sell
from billing.settlement import settle_reading
from billing.subsidies import expire_month, grant
from billing.transfers import transfer
from models.base import utcnow
from models.errors import Conflict, StationError
from tests.billing import factories as f
from tests.billing.helpers import check_books

fen = st.integers(min_value=1, max_value=20_000)
op = st.one_of(
    st.tuples(st.just("sell"), st.integers(0, 1), fen),
    st.tuples(st.just("refund"), st.integers(0, 1), fen),
    st.tuples(st.just("reverse"), st.integers(0, 1), st.integers(0, 5)),
    st.tuples(st.just("consume"), st.integers(0, 1), st.integers(1, 40_000)),   # milli-kWh
    st.tuples(st.just("grant"), st.integers(0, 1), fen),
    st.tuples(st.just("expire"), st.integers(0, 1), st.just(0)),
    st.tuples(st.just("transfer"), st.integers(0, 1), fen),
)
_months = itertools.count(1)


def _money(n: int) -> D:
    return D(n).scaleb(-2)


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(op, min_size=1, max_size=12))
def test_random_sequences_keep_the_books(db, root, ops):
    accs = [f.account(db, root, reading="0"), f.account(db, root, reading="0")]
    readings = [0, 0]
    sales: list[tuple[int, str]] = []
    clock = utcnow()
    for kind, i, n in ops:
        acc = accs[i].number
        before = show(db, acc)
        try:
            if kind == "sell":
                r = sell(db, root, acc, _money(n))
                sales.append((i, r.receipt))
                assert r.balance == before.balance + _money(n)
            elif kind == "refund":
                r = refund(db, root, acc, _money(n))
                assert _money(n) <= before.refundable and r.subsidy == before.subsidy
            elif kind == "reverse" and sales:
                j, receipt = sales[n % len(sales)]
                other = show(db, accs[j].number)
                r = reverse(db, root, receipt)
                assert r.balance - other.balance == r.amount       # exactly the sale, back out
            elif kind == "consume":
                readings[i] += n
                clock += timedelta(minutes=30)
                e = settle_reading(db, root, accs[i].meters[0], D(readings[i]).scaleb(-3), clock)
                after = show(db, acc)
                if e is not None:
                    spent_subsidy = before.subsidy - after.subsidy
                    assert spent_subsidy == min(before.subsidy, -_money(e.amount_fen))   # subsidy first
            elif kind == "grant":
                month = f"{2000 + next(_months) // 12}-{next(_months) % 12 + 1:02d}"
                grant(db, root, acc, month, _money(n))
            elif kind == "expire":
                expire_month(db, root, f"{3000 + next(_months) // 12}-{next(_months) % 12 + 1:02d}")
                assert show(db, acc).subsidy == D("0.00")
            elif kind == "transfer":
                transfer(db, root, acc, accs[1 - i].number, _money(n))
                assert _money(n) <= before.refundable
        except Conflict:
            after = show(db, acc)
            assert (after.balance, after.subsidy) == (before.balance, before.subsidy)
        except StationError as e:
            raise AssertionError(f"unexpected refusal {e}") from e
        # subsidy is never part of what may be refunded
        view = show(db, acc)
        assert view.refundable == max(view.balance - view.subsidy, D("0.00"))
    check_books(db)
