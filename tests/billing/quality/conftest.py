"""Power-quality and abnormal-use alarms: the automation fixtures (simulated bus, manual clock)."""
from __future__ import annotations

from tests.billing.automation.conftest import bus_sim, sim_clock  # noqa: F401 - fixtures reused
