"""What a sale reads before it writes, in ONE statement that also locks the account.

    reads = sale_reads.lock(session, "000012", key=key, station=actor.station)
    reads.account          # locked (SELECT ... FOR UPDATE OF accounts), fresh values

Each of these used to be a round trip of its own (billing/sales.py): the account found and
locked, its building (for the rights check), the entry already holding the idempotency key,
the per-operation limit (setting money.max_amount), the station's open shift, the tariff plan
the sale is priced with, and the customer, room and building printed on the receipt. They are
now scalar subqueries and outer joins of the one locking SELECT, on every backend.

What holds as before:
- the account row is the only row locked (FOR UPDATE OF accounts on PostgreSQL; SQLite's writer
  already holds the database), first, as in every service (models/db.py: accounts, counters,
  daily rows, log);
- the idempotency key: the subquery reads the statement's snapshot. A twin with the same key that
  committed while this statement waited for the account lock is not seen here; this sale then
  fails on the unique key of its entry (uq_ledger_idempotency) and answers with the twin's result
  (billing/sales.py: the IntegrityError path) — never a second sale;
- the plan rows are kept in the session (billing.tariffs.plan_store.keep_rows), so the sale is
  priced and its receipt printed from the same rows (one row a version: a plan has few);
- the limit is read through models.settings.from_stored (its default when unset or invalid).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from billing.ledger import mark_locked
from billing.lookup import find_account
from billing.tariffs.plan_store import keep_rows
from models import settings
from models.accounts import Account, AccountMeter, TariffPlan, TariffVersion
from models.archive import Customer, Floor, Meter, Room
from models.areas import Building
from models.base import table
from models.errors import NotFound
from models.ledger import LedgerEntry, Shift
from resources.i18n import _

LIMIT_KEY = "money.max_amount"


@dataclass(frozen=True)
class SaleReads:
    account: Account                   # locked, fresh values
    keyed_entry_id: int | None         # the entry already holding the idempotency key
    max_amount: Decimal                # money.max_amount
    shift_id: int | None               # the station's open shift
    building_id: int | None            # the account's building (area rights)
    place: dict[str, str]              # customer, room, building as the receipt prints them
    meters: list[tuple[int, str]] | None   # (meter id, number) of the active bindings (PostgreSQL)


def _meters_json() -> sa.ScalarSelect[Any]:
    """PostgreSQL: the account's active meters as one JSON array of [meter id, meter number] in
    binding order (billing.lookup.active_meters' answer, without its round trip). SQLite (3.40)
    has no ORDER BY inside an aggregate: there the sale asks active_meters."""
    from sqlalchemy.dialects.postgresql import aggregate_order_by

    am = AccountMeter
    pair = sa.func.json_build_array(am.meter_id, Meter.number)
    return (sa.select(sa.func.json_agg(aggregate_order_by(pair, am.id)))
            .select_from(am).join(Meter, Meter.id == am.meter_id)
            .where(am.account_id == Account.id, am.closed_at.is_(None)).scalar_subquery())


def _statement(where: sa.ColumnElement[bool], dialect: str) -> sa.Select[Any]:
    e = table(LedgerEntry)
    keyed = sa.select(e.c.id).where(e.c.idempotency_key == sa.bindparam("key")).scalar_subquery()
    shift = (sa.select(Shift.id).where(Shift.station == sa.bindparam("station"), Shift.state == "open")
             .scalar_subquery())
    meters = _meters_json() if dialect == "postgresql" else sa.null()
    return (sa.select(Account, keyed.label("keyed"), settings.stored_text(LIMIT_KEY).label("limit"),
                      shift.label("shift"), Floor.building_id, Customer.name.label("customer"),
                      Room.number.label("room"), Building.name.label("building"), TariffPlan.name.label("plan"),
                      TariffVersion.effective_from, TariffVersion.body, meters.label("meters"))
            .select_from(Account)
            .outerjoin(Customer, Customer.id == Account.customer_id)
            .outerjoin(Room, Room.id == Account.room_id).outerjoin(Floor, Floor.id == Room.floor_id)
            .outerjoin(Building, Building.id == Floor.building_id)
            .outerjoin(TariffPlan, TariffPlan.id == Account.tariff_plan_id)
            .outerjoin(TariffVersion, TariffVersion.plan_id == TariffPlan.id)
            .where(where).order_by(TariffVersion.effective_from)
            .with_for_update(of=Account)
            .execution_options(populate_existing=True))


_STATEMENTS: dict[tuple[str, str], sa.Select[Any]] = {}


def _built(dialect: str, by: str) -> sa.Select[Any]:
    if (dialect, by) not in _STATEMENTS:
        where = Account.number == sa.bindparam("number") if by == "number" else Account.id == sa.bindparam("id")
        _STATEMENTS[dialect, by] = _statement(where, dialect)
    return _STATEMENTS[dialect, by]


def lock(session: Session, ref: str | int, *, key: str, station: str) -> SaleReads:
    """The account named by `ref` (an account number; else billing.lookup.find_account's rules:
    an id, a customer name or a room), locked, with everything a sale reads about it."""
    rows: list[sa.Row[Any]] = []
    dialect = session.get_bind().dialect.name
    if isinstance(ref, str) and ref.strip():
        rows = list(session.execute(_built(dialect, "number"), {"number": ref.strip(), "key": key, "station": station}))
    if not rows:
        account_id = find_account(session, ref).id
        rows = list(session.execute(_built(dialect, "id"), {"id": account_id, "key": key, "station": station}))
        if not rows:
            raise NotFound(_("There is no account {account}").format(account=ref))
    first = rows[0]
    account: Account = first[0]
    mark_locked(session, account.id)
    if account.tariff_plan_id is not None and first.plan is not None:
        keep_rows(session, account.tariff_plan_id,
                  (first.plan, [(r.effective_from, r.body) for r in rows if r.body is not None]))
    return SaleReads(account=account, keyed_entry_id=first.keyed,
                     max_amount=Decimal(str(settings.from_stored(LIMIT_KEY, first.limit))),
                     shift_id=first.shift, building_id=first.building_id,
                     meters=None if dialect != "postgresql" else [(int(m), str(n)) for m, n in first.meters or ()],
                     place={"customer": first.customer or "", "room": first.room or "",
                            "building": first.building or ""})
