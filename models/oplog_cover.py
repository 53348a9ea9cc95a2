"""What the operation log's chain covers besides its own rows: ledger entries and rights.

Every transaction's log rows are written when it commits (models/oplog.py), and the newest of
them carries `covers`: the digests of the ledger entries this transaction inserted and, when an
operator, role or operator's buildings changed, the digest of the whole rights state (roles with
their rights; operators with role, active flag, areas and password hash). `log verify` then
finds a ledger entry that no log row covers (inserted behind the station's back), a covered
entry changed or gone, and a rights state that differs from the last one the log recorded (a
cashier promoted by a direct UPDATE).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.ledger import LedgerEntry as LedgerEntry  # re-exported: models.oplog reads them here
from models.operators import Operator as Operator
from models.operators import OperatorArea, Role

RIGHTS_CLASSES = (Operator, Role, OperatorArea)
LEDGER_FIELDS = ("id", "account_id", "kind", "amount_fen", "subsidy_fen", "balance_after_fen",
                 "subsidy_after_fen", "energy_milli", "at", "operator", "station", "method", "reference",
                 "receipt_no", "reverses_id", "idempotency_key", "period_key", "shift_id", "meter_id", "note")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds")
    return value


def _sha(parts: list[Any]) -> str:
    text = json.dumps(parts, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def entry_digest(values: dict[str, Any] | Any) -> str:
    get = values.get if isinstance(values, dict) else (lambda k: getattr(values, k))
    return _sha([_plain(get(f)) for f in LEDGER_FIELDS])


def ledger_digests(session: Session, batch: int = 20000) -> Iterator[tuple[int, str]]:
    """(id, digest) of every ledger entry, in id order."""
    cols = [getattr(LedgerEntry.__table__.c, f) for f in LEDGER_FIELDS]
    cols[LEDGER_FIELDS.index("at")] = sa.type_coerce(cols[LEDGER_FIELDS.index("at")], sa.DateTime())  # naive UTC
    last = 0
    while True:
        rows = session.execute(sa.select(*cols).where(LedgerEntry.__table__.c.id > last)
                               .order_by(LedgerEntry.__table__.c.id).limit(batch)).all()
        if not rows:
            return
        for r in rows:
            yield r[0], _sha([_plain(v) for v in r])
        last = rows[-1][0]


def rights_digest(session: Session) -> str:
    roles = session.execute(sa.select(Role.__table__.c.id, Role.name, Role.rights).order_by(Role.name)).all()
    role_names = {r.id: r.name for r in roles}
    areas: dict[int, list[int]] = {}
    for op_id, building in session.execute(sa.select(OperatorArea.operator_id, OperatorArea.building_id)):
        areas.setdefault(op_id, []).append(building)
    ops = session.execute(sa.select(Operator.__table__.c.id, Operator.__table__.c.name,
                                    Operator.__table__.c.role_id, Operator.__table__.c.active,
                                    Operator.__table__.c.all_areas, Operator.__table__.c.password_hash)
                          .order_by(Operator.__table__.c.name)).all()
    return _sha([[[r.name, " ".join(sorted(r.rights.split()))] for r in roles],
                 [[o.name, role_names.get(o.role_id, "?"), bool(o.active), bool(o.all_areas), o.password_hash,
                   sorted(areas.get(o.id, []))] for o in ops]])


def covers_json(ledger: list[tuple[int, str]], rights: str | None) -> str:
    if not ledger and rights is None:
        return ""
    body: dict[str, Any] = {}
    if ledger:
        body["ledger"] = [[i, d] for i, d in ledger]
    if rights is not None:
        body["rights"] = rights
    return json.dumps(body, separators=(",", ":"))
