"""Power-quality thresholds (models.quality.QualityThreshold): set, list, remove, and merge.

Scopes, written the way the CLI and the settings tab take them:

    all                     every meter (the station's default)
    tag:KIND:NAME, tag:NAME a meter group: the tags reading schedules and timed control use
                            (an "area" tag per building, a "line", a "department"...)
    meter:NUMBER            one meter (an override)

Merge, limit by limit: the meter's own value if it has one, else the strictest value among its
tags (the lowest upper limit, the highest lower limit: a meter in two groups obeys both), else
the "all" value, else no limit. No thresholds anywhere = no power-quality alarms (the default).

    set_thresholds(db, actor, "tag:area:一号楼", Limits(over_voltage=Decimal("253")))
    list_thresholds(db) -> [ThresholdRow]      remove_thresholds(db, actor, "meter:E0001")

Changing them needs `settings_edit` and is logged (quality.threshold_set / _remove).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.archive import Meter, Tag
from models.audit import audited, record
from models.base import utcnow
from models.db import Database
from models.errors import InvalidInput, NotFound
from models.quality import QualityThreshold
from models.rights import Actor
from resources.i18n import N_, _

RIGHT = "settings_edit"
MILLI = Decimal(1000)
UNITS = {"over_voltage": "V", "under_voltage": "V", "over_current": "A", "overload": "kW"}
LIMIT_TITLES = {"over_voltage": N_("Over-voltage limit (V)"), "under_voltage": N_("Under-voltage limit (V)"),
                "over_current": N_("Over-current limit (A)"), "overload": N_("Overload limit (kW)")}
MAXIMA = {"over_voltage": Decimal(100000), "under_voltage": Decimal(100000), "over_current": Decimal(100000),
          "overload": Decimal(1000000)}
LOWER = ("under_voltage",)          # lower limits: alarm below; the rest alarm above


@dataclass(frozen=True)
class Limits:
    over_voltage: Decimal | None = None     # V
    under_voltage: Decimal | None = None    # V
    over_current: Decimal | None = None     # A
    overload: Decimal | None = None         # kW

    def items(self) -> list[tuple[str, Decimal | None]]:
        return [(f.name, getattr(self, f.name)) for f in fields(self)]

    def any(self) -> bool:
        return any(v is not None for _k, v in self.items())


KINDS = tuple(f.name for f in fields(Limits))


@dataclass(frozen=True)
class ThresholdRow:
    id: int
    scope: str              # "all", "tag:KIND:NAME" or "meter:NUMBER"
    limits: Limits
    updated_by: str


def parse_limit(kind: str, text: str | Decimal | None) -> Decimal | None:
    """A limit from user text ("" or None: no limit); positive, at most 3 decimals."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        value = Decimal(-1)
    if not value.is_finite() or value <= 0 or value > MAXIMA[kind] or value != value.quantize(Decimal("0.001")):
        raise InvalidInput(_("{value} is not a valid {limit}").format(value=text, limit=_(LIMIT_TITLES[kind])))
    return value.normalize() if value == value.to_integral_value() else value


def check_limits(limits: Limits) -> Limits:
    checked = Limits(**{k: parse_limit(k, v) for k, v in limits.items()})
    if not checked.any():
        raise InvalidInput(_("Give at least one limit"))
    if (checked.over_voltage is not None and checked.under_voltage is not None
            and checked.under_voltage >= checked.over_voltage):
        raise InvalidInput(_("The under-voltage limit must be below the over-voltage limit"))
    return checked


def _milli(v: Decimal | None) -> int | None:
    return None if v is None else int((v * MILLI).to_integral_value())


def _from_milli(v: int | None) -> Decimal | None:
    if v is None:
        return None
    d = Decimal(v) / MILLI
    return d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()


def limits_of(row: object) -> Limits:
    """Limits of a QualityThreshold row (or any row with the *_milli columns)."""
    return Limits(*(_from_milli(getattr(row, f"{k}_milli")) for k in KINDS))


def resolve_scope(s: Session, ref: str) -> tuple[str, int | None, int | None]:
    """(scope key, tag id, meter id) of "all", "tag:..." or "meter:..."."""
    ref = (ref or "").strip()
    if ref == "all":
        return "all", None, None
    kind, sep, rest = ref.partition(":")
    if sep and kind == "tag" and rest.strip():
        tkind, tsep, tname = rest.partition(":")
        q = sa.select(Tag.id)
        q = (q.where(Tag.kind == tkind.strip(), Tag.name == tname.strip()) if tsep
             else q.where(Tag.name == rest.strip()))
        ids = s.execute(q).scalars().all()
        if len(ids) != 1:
            raise NotFound(_("There is no tag {name}").format(name=rest.strip()))
        return f"tag:{ids[0]}", ids[0], None
    if sep and kind == "meter" and rest.strip():
        meter_id = s.scalar(sa.select(Meter.id).where(Meter.number == rest.strip()))
        if meter_id is None:
            raise NotFound(_("There is no meter {number}").format(number=rest.strip()))
        return f"meter:{meter_id}", None, meter_id
    raise InvalidInput(_("Thresholds apply to all, tag:KIND:NAME or meter:NUMBER, not {scope}").format(scope=ref))


def _details(scope: str, limits: Limits) -> dict[str, str]:
    return {"scope": scope, **{k: str(v) for k, v in limits.items() if v is not None}}


def set_thresholds(db: Database, actor: Actor, scope: str, limits: Limits) -> None:
    """Replace the thresholds of a scope (limits not given: none in this scope, inherited)."""
    limits = check_limits(limits)
    with audited(db, actor, "quality.threshold_set", scope) as s:
        actor.require(RIGHT)
        key, tag_id, meter_id = resolve_scope(s, scope)
        row = s.scalar(sa.select(QualityThreshold).where(QualityThreshold.scope == key))
        if row is None:
            row = QualityThreshold(scope=key, tag_id=tag_id, meter_id=meter_id)
            s.add(row)
        for k, v in limits.items():
            setattr(row, f"{k}_milli", _milli(v))
        row.updated_by, row.updated_at = actor.name, utcnow()
        s.flush()
        record(s, actor, "quality.threshold_set", scope.strip(), _details(scope.strip(), limits))


def remove_thresholds(db: Database, actor: Actor, scope: str) -> None:
    with audited(db, actor, "quality.threshold_remove", scope) as s:
        actor.require(RIGHT)
        key, _t, _m = resolve_scope(s, scope)
        row = s.scalar(sa.select(QualityThreshold).where(QualityThreshold.scope == key))
        if row is None:
            raise NotFound(_("No thresholds are set for {scope}").format(scope=scope.strip()))
        s.delete(row)
        record(s, actor, "quality.threshold_remove", scope.strip(), {"scope": scope.strip()})


def list_thresholds(db: Database) -> list[ThresholdRow]:
    """Every scope's thresholds: "all" first, then groups, then meters."""
    with db.read() as s:
        rows = s.execute(sa.select(QualityThreshold, Tag.kind, Tag.name, Meter.number)
                         .outerjoin(Tag, Tag.id == QualityThreshold.tag_id)
                         .outerjoin(Meter, Meter.id == QualityThreshold.meter_id)).all()
    out = []
    for r, tkind, tname, number in rows:
        scope = "all" if r.scope == "all" else f"tag:{tkind}:{tname}" if r.tag_id is not None else f"meter:{number}"
        out.append(ThresholdRow(r.id, scope, limits_of(r), r.updated_by))
    order = {"all": 0, "tag": 1, "meter": 2}
    return sorted(out, key=lambda t: (order[t.scope.split(":")[0]], t.scope))


def merge(meter: Limits | None, tags: Iterable[Limits], everyone: Limits | None) -> Limits:
    """A meter's effective limits (see the module doc)."""
    tags = list(tags)
    out = {}
    for k in KINDS:
        own = getattr(meter, k) if meter is not None else None
        group = [getattr(t, k) for t in tags if getattr(t, k) is not None]
        if own is not None:
            out[k] = own
        elif group:
            out[k] = max(group) if k in LOWER else min(group)
        else:
            out[k] = getattr(everyone, k) if everyone is not None else None
    return Limits(**out)
