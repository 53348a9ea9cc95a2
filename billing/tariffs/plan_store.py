"""Tariff plans in the database: create a plan, add a version from a date, load it for pricing.

A version row holds the JSON of one billing.tariffs.api version (tariff_schema.version_to_dict) and
its effective moment (UTC in effective_from; local wall-clock time inside the JSON). Versions
are never edited: a change is a new version that takes effect now or later, so every charge
already made keeps the price it was made at. The first version of a new plan takes effect from
FIRST_EFFECTIVE unless a date is given: the plan did not exist before, so nothing is rewritten,
and readings taken before the plan was typed in can still be priced.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from billing.tariffs.api import TariffPlan as PlanModel
from billing.tariffs.api import TariffVersion as VersionModel
from billing.tariffs.api import plan_from_dict, version_from_dict, version_to_dict
from models import station_time
from models.accounts import TariffPlan, TariffVersion
from models.audit import audited, record
from models.db import Database
from models.errors import Conflict, InvalidInput, NotFound
from models.rights import Actor
from resources.i18n import _

PlanRows = tuple[str, list[tuple[datetime, str]]]     # the plan's name, its versions (effective, body)

FIRST_EFFECTIVE = datetime(2000, 1, 1)


@dataclass(frozen=True)
class PlanInfo:
    name: str
    versions: tuple[tuple[str, str, str], ...]     # (effective local "YYYY-MM-DDTHH:MM", kind, summary)
    bodies: tuple[dict[str, Any], ...] = field(default=(), compare=False)   # each version's dict, same order

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "versions": [{"effective": e, "kind": k, "summary": s}
                                                for e, k, s in self.versions]}


def flat_version(price: Decimal, effective: datetime) -> dict[str, Any]:
    return {"effective": effective.isoformat(timespec="minutes"), "kind": "flat", "price": str(price)}


def _utc(local_naive: datetime) -> datetime:
    return station_time.utc(local_naive)


def _now_local() -> datetime:
    return station_time.now().replace(tzinfo=None, second=0, microsecond=0)


def _version(data: dict[str, Any], default_effective: datetime) -> VersionModel:
    data = dict(data)
    data.setdefault("effective", default_effective.isoformat(timespec="minutes"))
    return version_from_dict(data)


def add_version(db: Database, actor: Actor, name: str, data: dict[str, Any], *,
                create: bool = True) -> PlanInfo:
    """Add a version (a tariff_schema version dict; "effective" optional) to plan `name`,
    creating the plan if needed. A later version may not take effect before now."""
    name = name.strip()
    if not name or len(name) > 60:
        raise InvalidInput(_("A tariff name has 1 to 60 characters"))
    with audited(db, actor, "tariff.version", name) as s:
        actor.require("tariff_edit")
        plan = s.execute(sa.select(TariffPlan).where(TariffPlan.name == name).with_for_update()
                         ).scalar_one_or_none()
        if plan is None and not create:
            raise NotFound(_("There is no tariff {name}").format(name=name))
        first = plan is None
        version = _version(data, FIRST_EFFECTIVE if first else _now_local())
        if plan is None:
            plan = TariffPlan(name=name)
            s.add(plan)
            s.flush()
        elif version.effective < _now_local():
            raise InvalidInput(_("A tariff change cannot take effect in the past ({when}); "
                                 "it would rewrite charges already made")
                               .format(when=version.effective.isoformat(sep=" ", timespec="minutes")))
        body = version_to_dict(version)
        clash = s.execute(sa.select(TariffVersion.id).where(
            TariffVersion.plan_id == plan.id, TariffVersion.effective_from == _utc(version.effective))).first()
        if clash:
            raise Conflict(_("Tariff {name} already has a version from {when}")
                           .format(name=name, when=body["effective"]))
        s.add(TariffVersion(plan_id=plan.id, effective_from=_utc(version.effective),
                            body=json.dumps(body, ensure_ascii=False), created_by=actor.name))
        load_plan(s, plan.id, extra=version)        # the whole plan must still validate
        record(s, actor, "tariff.add" if first else "tariff.version", name, body)
    return plan_info(db, name)


PLAN_ROWS = "billing.plan_rows"
_PLAN_ROWS = (sa.select(TariffPlan.name, TariffVersion.effective_from, TariffVersion.body)
              .outerjoin(TariffVersion, TariffVersion.plan_id == TariffPlan.id)
              .where(TariffPlan.id == sa.bindparam("plan")).order_by(TariffVersion.effective_from))


def plan_rows(session: Session, plan_id: int, *, keep: bool = False
              ) -> tuple[str, list[tuple[datetime, str]]] | None:
    """The plan's name and its versions (effective_from, body JSON) oldest first, in one query;
    None when there is no such plan. With keep=True the rows are kept in the session for its
    next calls (billing.pricing.account_plan keeps the plan it prices with the same way, so a
    sale prices and prints its receipt from the same rows)."""
    cache: dict[int, PlanRows | None] = session.info.setdefault(PLAN_ROWS, {})
    if plan_id not in cache or cache[plan_id] is None:
        found = session.execute(_PLAN_ROWS, {"plan": plan_id}).all()
        rows = None if not found else (found[0][0], [(at, body) for _n, at, body in found if body is not None])
        if not keep:
            return rows
        cache[plan_id] = rows
    return cache[plan_id]


def keep_rows(session: Session, plan_id: int, rows: PlanRows) -> None:
    """Keep a plan's rows read by the caller's own query (billing/sale_reads.py reads them with
    the account it locks) for this session's next plan_rows / load_plan calls."""
    session.info.setdefault(PLAN_ROWS, {})[plan_id] = rows


def load_plan(session: Session, plan_id: int, *, extra: VersionModel | None = None,
              keep: bool = False) -> PlanModel:
    """The plan with all its versions, ready for billing.tariffs.api pricing."""
    rows = plan_rows(session, plan_id, keep=keep)
    if rows is None:
        raise NotFound(_("There is no tariff {name}").format(name=plan_id))
    name, versions = rows
    if extra is None:
        return _plan_of(name, tuple(b for _at, b in versions))
    bodies = [json.loads(b) for _at, b in versions]
    if version_to_dict(extra) not in bodies:
        bodies.append(version_to_dict(extra))
    return plan_from_dict({"name": name, "versions": bodies})


@functools.lru_cache(maxsize=64)
def _plan_of(name: str, bodies: tuple[str, ...]) -> PlanModel:
    """The plan made of these stored rows: the same rows make the same (frozen) plan, so a plan
    read again by the next sale is not parsed and validated again. Keyed by the rows themselves,
    never by id: a new version is a different key."""
    return plan_from_dict({"name": name, "versions": [json.loads(b) for b in bodies]})


def find_plan_id(session: Session, name: str) -> int:
    plan_id = session.execute(sa.select(TariffPlan.id).where(TariffPlan.name == name.strip())).scalar()
    if plan_id is None:
        raise NotFound(_("There is no tariff {name}").format(name=name))
    return int(plan_id)


def _summary(body: dict[str, Any]) -> str:
    if body["kind"] == "flat":
        return str(body["price"])
    if "tou" in body:
        return " ".join(f"{r}={p}" for r, p in body["tou"]["prices"].items())
    return f"{len(body['tiers']['steps'])} tiers"


def plan_info(db: Database, name: str) -> PlanInfo:
    return next(p for p in list_plans(db) if p.name == name.strip())


def list_plans(db: Database) -> list[PlanInfo]:
    out = []
    with db.read() as s:
        for plan in s.execute(sa.select(TariffPlan).order_by(TariffPlan.name)).scalars():
            bodies = [json.loads(b) for b in s.execute(
                sa.select(TariffVersion.body).where(TariffVersion.plan_id == plan.id)
                .order_by(TariffVersion.effective_from)).scalars()]
            out.append(PlanInfo(plan.name, tuple((b["effective"], b["kind"], _summary(b)) for b in bodies),
                                tuple(bodies)))
    return out
