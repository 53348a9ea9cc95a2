"""Field simulator: DL/T 645-2007/-1997 and CJ/T 188 meters on a simulated RS-485 bus, served on
a loopback TCP port (like a transparent serial server) or a pseudo-terminal.

    from comms.simulator import SimulatorSpec, start_simulator
    with start_simulator("dlt645-2007:000000000001-000000000004", baud=9600) as sim:
        print(sim.url)            # tcp://127.0.0.1:PORT  (or serial:///dev/pts/N?... with pty=True)
        sim.bus.set_fault("000000000002", "silent")

It refuses to run outside tests, demo mode or an explicit CLI start (base.check_allowed), and it
never opens an existing device: only a pty it creates or a loopback TCP port.
"""
from comms.simulator.base import ManualClock, check_allowed
from comms.simulator.bus import Bus
from comms.simulator.server import PtySimulator, TcpSimulator, start_simulator
from comms.simulator.spec import SimulatorSpec

__all__ = ["Bus", "ManualClock", "PtySimulator", "SimulatorSpec", "TcpSimulator",
           "check_allowed", "start_simulator"]
