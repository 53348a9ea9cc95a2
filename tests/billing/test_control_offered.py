"""control.offered_map (the control page's "which commands may each meter take"): the answer
of offered() for every meter, worked out once per distinct model rather than once per meter
(at 10,000 meters the per-meter way cost a read worker ≈ 400 ms of CPU under the GIL at every
visit of the control page, and the window stalled waiting for the GIL; issue 12)."""
from __future__ import annotations

import sqlalchemy as sa

from archive import service as svc
from billing import control
from models import capabilities
from models.archive import Meter


def test_offered_map_answers_as_offered_once_per_model(db, superadmin, monkeypatch):
    svc.add_link(db, superadmin, "bus1", "tcp://127.0.0.1:9")
    models = [("modbus", "meterstation-sim-prepaid", "electricity"), ("dlt645", "", "electricity"),
              ("modbus", "meterstation-sim-prepaid", "electricity"), ("dlt645", "", "electricity"),
              ("dlt645", "", "electricity")]
    for i, (protocol, profile, kind) in enumerate(models):
        svc.add_meter(db, superadmin, f"M{i}", address=f"{i + 1:012d}", link="bus1", protocol=protocol,
                      profile=profile, kind=kind)
    with db.read() as s:
        expected = {m.id: tuple(control.offered(m)) for m in s.execute(sa.select(Meter)).scalars()}
    assert len(expected) == 5 and len(set(expected.values())) == 2       # two models, two answers
    seen: list[tuple[str, str | None]] = []
    of_meter = capabilities.of_meter

    def counted(meter):
        seen.append((meter.protocol, meter.profile))
        return of_meter(meter)
    monkeypatch.setattr(capabilities, "of_meter", counted)
    assert control.offered_map(db) == expected
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 2           # once per model, not per meter
