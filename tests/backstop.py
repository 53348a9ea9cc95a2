"""The backstop behind pytest-timeout: a test still running 2 minutes after its timeout (a hang
the timeout's signal could not end: in C code that never returns to Python, in code that
swallows the timeout's exception, in a teardown after the timeout fired) makes faulthandler
write every thread's stack to a file and end the process.

Before, such a test held its xdist worker until CI's own limit (90 minutes) cut the run with
nothing said. Now installer/test.sh runs the workers with --max-worker-restart 0 (a crashed
worker ends the run, red, in seconds: xdist would run the crashed test again in each new worker)
and prints the stack files after pytest (a worker's own stderr is captured and lost with it).

The folder is METERSTATION_HANG_DIR (installer/test.sh sets it) or the system's temporary
folder; a test that ends in time leaves no file.
"""
from __future__ import annotations

import faulthandler
import os
import tempfile

import pytest

MARGIN_S = 120.0        # METERSTATION_HANG_MARGIN_S overrides it (tests/foundation/test_backstop.py)


def limit_s(item: pytest.Item) -> float | None:
    """The test's timeout (its marker's or the configured one) plus the margin; None for none."""
    margin = float(os.environ.get("METERSTATION_HANG_MARGIN_S") or MARGIN_S)
    marker = item.get_closest_marker("timeout")
    if marker is not None and marker.args:
        timeout = float(marker.args[0])
    else:
        timeout = float(item.config.getini("timeout") or 0)
    return timeout + margin if timeout > 0 else None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem):
    limit = limit_s(item)
    if limit is None:
        yield
        return
    folder = os.environ.get("METERSTATION_HANG_DIR") or tempfile.gettempdir()
    path = os.path.join(folder, f"meterstation-hang-{os.getpid()}.txt")
    with open(path, "w", encoding="utf-8") as stacks:
        stacks.write(f"{item.nodeid} still ran {limit:.0f} s after it started; every thread:\n")
        stacks.flush()
        faulthandler.dump_traceback_later(limit, exit=True, file=stacks)
        try:
            yield
        finally:
            faulthandler.cancel_dump_traceback_later()
    os.unlink(path)
