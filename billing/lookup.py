"""Finding what a cashier names: an account (number, customer name or room number), a meter,
a room; plus the small reads every money service shares (building for rights, open shift,
active meter bindings, the per-operation amount limit).
"""
from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from billing.money import parse_amount
from models import settings
from models.accounts import Account, AccountMeter
from models.archive import Customer, Floor, Meter, Room
from models.errors import Conflict, InvalidInput, NotFound
from models.ledger import Shift
from resources.i18n import _

if TYPE_CHECKING:
    from models.db import Database
    from models.rights import Actor


def find_account(session: Session, text: str | int) -> Account:
    """The account named by its number, its id (int), or an unambiguous customer name or room."""
    if isinstance(text, int):
        account = session.get(Account, text)
        if account is None:
            raise NotFound(_("There is no account {account}").format(account=text))
        return account
    key = str(text).strip()
    if not key:
        raise InvalidInput(_("Name an account"))
    found = session.execute(sa.select(Account).where(Account.number == key)).scalar_one_or_none()
    if found is not None:
        return found
    by_customer = sa.select(Account).join(Customer, Customer.id == Account.customer_id) \
        .where(Customer.name == key)
    by_room = sa.select(Account).join(Room, Room.id == Account.room_id).where(Room.number == key)
    for query in (by_customer, by_room):
        rows = list(session.execute(query.order_by(Account.id)).scalars())
        live = [a for a in rows if a.state == "open"] or rows
        if len(live) == 1:
            return live[0]
        if len(live) > 1:
            raise InvalidInput(_("{name} matches several accounts ({numbers}); give the account number")
                               .format(name=key, numbers=", ".join(a.number for a in live[:5])))
    raise NotFound(_("There is no account {account}").format(account=key))


def require_open(account: Account) -> None:
    if account.state != "open":
        raise Conflict(_("Account {account} is closed").format(account=account.number))


def find_meter(session: Session, number: str | int) -> Meter:
    if isinstance(number, int):
        meter = session.get(Meter, number)
    else:
        meter = session.execute(sa.select(Meter).where(Meter.number == str(number).strip())).scalar_one_or_none()
    if meter is None:
        raise NotFound(_("There is no meter {meter}").format(meter=number))
    return meter


def find_customer(session: Session, text: str | int) -> Customer:
    key = str(text).strip()
    if isinstance(text, int) or key.isdigit():
        by_id = session.get(Customer, int(key))
        if by_id is not None:
            return by_id
    rows = list(session.execute(sa.select(Customer).where(Customer.name == key)).scalars())
    if len(rows) > 1:
        raise InvalidInput(_("Several customers are named {name}; give the customer id").format(name=key))
    if not rows:
        raise NotFound(_("There is no customer {name}").format(name=key))
    return rows[0]


def room_building(session: Session, room_id: int | None) -> int | None:
    if room_id is None:
        return None
    return session.execute(sa.select(Floor.building_id).join(Room, Room.floor_id == Floor.id)
                           .where(Room.id == room_id)).scalar_one_or_none()


def account_building(session: Session, account: Account) -> int | None:
    """The building an account lies in (for area rights), None when it has no room."""
    return room_building(session, account.room_id)


def active_bindings(session: Session, account_id: int) -> list[AccountMeter]:
    return list(session.execute(_ACTIVE_BINDINGS, {"account": account_id}).scalars())


def binding_of_meter(session: Session, meter_id: int) -> AccountMeter | None:
    return session.execute(sa.select(AccountMeter).where(AccountMeter.meter_id == meter_id,
                                                         AccountMeter.closed_at.is_(None))
                           .execution_options(populate_existing=True)).scalar_one_or_none()


_OPEN_SHIFT = sa.select(Shift.id).where(Shift.station == sa.bindparam("station"), Shift.state == "open")
_ACTIVE_BINDINGS = (sa.select(AccountMeter).where(AccountMeter.account_id == sa.bindparam("account"),
                                                  AccountMeter.closed_at.is_(None))
                    .order_by(AccountMeter.id).execution_options(populate_existing=True))


_ACTIVE_METERS = (sa.select(AccountMeter.meter_id, Meter.number).join(Meter, Meter.id == AccountMeter.meter_id)
                  .where(AccountMeter.account_id == sa.bindparam("account"), AccountMeter.closed_at.is_(None))
                  .order_by(AccountMeter.id))


def active_meters(session: Session, account_id: int) -> list[tuple[int, str]]:
    """(meter id, meter number) of the account's active bindings, in binding order (the order of
    active_bindings): one Core query, no binding objects loaded."""
    return [(r[0], r[1]) for r in session.connection().execute(_ACTIVE_METERS, {"account": account_id})]


def open_shift_id(session: Session, station: str) -> int | None:
    return session.execute(_OPEN_SHIFT, {"station": station}).scalar_one_or_none()


def max_amount(session: Session) -> Decimal:
    """The setting money.max_amount (largest single sale or refund)."""
    # the reader falls back to the default for a value its check refuses (a limit stored
    # before settings were checked, -1 or NaN, must not block every sale)
    return Decimal(str(settings.read(session, "money.max_amount")))


def amount_arg(session: Session, amount: Decimal | str, *, limit: Decimal | None = None) -> Decimal:
    """A positive amount of money (typed text or Decimal) within the per-operation limit
    (`limit`: the setting money.max_amount when the caller already read it)."""
    limit = max_amount(session) if limit is None else limit
    value = parse_amount(amount, maximum=limit) if isinstance(amount, str) else \
        parse_amount(str(amount), maximum=limit)
    if value <= 0:
        raise InvalidInput(_("The amount must be above zero"))
    return value


def require_account_read(db: Database, actor: Actor, right: str, action: str, account_ref: str | int) -> None:
    """The check of a read of one account's data: the plain right first (a refusal says nothing
    of which accounts exist), then the account, then the right on its building; refusals are
    logged as denied (models.audit.require_read)."""
    from models.audit import require_read

    require_read(db, actor, right, action, str(account_ref))
    with db.read() as s:
        building = account_building(s, find_account(s, account_ref))
    require_read(db, actor, right, action, str(account_ref), building)
