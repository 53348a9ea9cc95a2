"""The soak benchmark (tests/benchmarks/bench_soak.py) runs, so it cannot rot: ~10 s on SQLite
with 4 cashier processes and the polling service; nothing lost, doubled or shown as an error."""
from __future__ import annotations

import pytest


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_soak_smoke(monkeypatch, tmp_path):
    from tests.benchmarks import bench_soak

    monkeypatch.setattr(bench_soak.tempfile, "mkdtemp", lambda prefix="": str(tmp_path / "soak"))
    (tmp_path / "soak").mkdir()
    out = bench_soak.run(10, "sqlite", cashiers=4, meters=6)
    assert out["cashiers"] == 4 and out["operations"] > 0 and out["sales"] > 0, out
    assert (out["lost"], out["doubled"], out["receipt_gaps"], out["errors_seen"]) == (0, 0, 0, 0), out
    assert out["poller_exit"] == 0 and out["poller_tracebacks"] == 0, out
    assert out["retries_poller"] is not None and out["deadlocks_retried"] >= 0, out   # counted, reported
