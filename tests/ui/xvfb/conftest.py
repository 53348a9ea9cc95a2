"""The real program in a real X window: an Xvfb server at 1366x768 started per test, the station
started as a child process (`python app.py --demo`, xcb platform) with every folder it writes in
the test's temporary folder, real key presses sent with xdotool, and what the window shows read
from its probe file (ui/probe.py). A CUPS queue printing through cups-pdf into a temporary folder.

Without Xvfb/xdotool (or cupsd/cups-pdf) the tests skip with the reason; with CI set they fail
instead, because CI installs them (installer/bootstrap.sh).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCREEN = (1366, 768)


def need(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI installs it: installer/bootstrap.sh --test)")
    pytest.skip(reason)


@pytest.fixture
def xserver(tmp_path):
    """DISPLAY of a fresh Xvfb 1366x768x24 (a free display number chosen by Xvfb itself)."""
    need(shutil.which("Xvfb") is not None, "Xvfb is not installed (apt-get install xvfb xauth)")
    need(shutil.which("xdotool") is not None, "xdotool is not installed (apt-get install xdotool)")
    read, write = os.pipe()
    with open(tmp_path / "xvfb.log", "wb") as log:
        proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24",
                                 "-nolisten", "tcp", "-noreset"], pass_fds=(write,),
                                stdout=subprocess.DEVNULL, stderr=log)
    os.close(write)
    number = b""
    with os.fdopen(read, "rb") as f:
        while not number.endswith(b"\n"):
            chunk = f.read(1)
            if not chunk:
                break
            number += chunk
    need(number.strip().isdigit(), "Xvfb did not start: " + (tmp_path / "xvfb.log").read_text()[-300:])
    yield f":{number.decode().strip()}"
    proc.terminate()
    proc.wait(10)


class Station:
    """The station process under Xvfb and what it shows."""

    def __init__(self, display: str, folder: Path, printer: str = "") -> None:
        self.display, self.folder = display, folder
        self.receipts = folder / "receipts"
        self.probe_file = folder / "probe.json"
        config = folder / "config"
        config.mkdir(parents=True)
        settings = {"station.name": "XVFB-1"}
        if printer:
            settings["station.printer"] = printer
        (config / "settings.json").write_text(json.dumps(settings), encoding="utf-8")
        for d in ("tmp", "data", "xdg-config", "cache"):
            (folder / d).mkdir()
        self.env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb",
                    "METERSTATION_CONFIG_DIR": str(config), "METERSTATION_RECEIPT_DIR": str(self.receipts),
                    "METERSTATION_DB": f"sqlite:///{folder / 'station.db'}", "METERSTATION_PROBE": str(self.probe_file),
                    "TMPDIR": str(folder / "tmp"), "XDG_DATA_HOME": str(folder / "data"),
                    "XDG_CONFIG_HOME": str(folder / "xdg-config"), "XDG_CACHE_HOME": str(folder / "cache"),
                    "PYTHONFAULTHANDLER": "1"}
        self.env.pop("METERSTATION_TEST_MODE", None)     # the real program, as a cashier starts it
        self.log = open(folder / "station.log", "wb")
        self.proc = subprocess.Popen([sys.executable, "app.py", "--demo"], cwd=ROOT, env=self.env,
                                     stdout=self.log, stderr=subprocess.STDOUT)

    # --- what the window shows -----------------------------------------------------------------
    def probe(self) -> dict:
        try:
            return json.loads(self.probe_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def alive(self) -> bool:
        return self.proc.poll() is None

    def output(self) -> str:
        self.log.flush()
        return (self.folder / "station.log").read_text(errors="replace")[-3000:]

    def wait(self, what: str, check, timeout: float = 20.0) -> dict:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            assert self.alive(), f"the station died (exit {self.proc.returncode}) waiting for {what}:\n{self.output()}"
            p = self.probe()
            if p and check(p):
                return p
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}; last probe: {json.dumps(self.probe())[:1500]}")

    def window(self, p: dict, base: str) -> dict | None:
        return next((w for w in p.get("windows", []) if base in w["bases"]), None)

    # --- real input ------------------------------------------------------------------------------
    def xdotool(self, *args: str) -> None:
        subprocess.run(["xdotool", *args], env=self.env, check=True, timeout=20)

    def focus_main(self) -> None:
        ids = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "XVFB-1"], env=self.env,
                             capture_output=True, text=True, timeout=20).stdout.split()
        assert ids, "the main window is not on the X server"
        self.xdotool("windowfocus", "--sync", ids[0])

    def key(self, *keys: str) -> None:
        self.xdotool("key", "--delay", "80", *keys)

    def type(self, text: str) -> None:
        self.xdotool("type", "--delay", "80", text)

    def screenshot(self, name: str) -> Path | None:
        if shutil.which("import") is None:
            return None
        out = self.folder / name
        subprocess.run(["import", "-window", "root", str(out)], env=self.env, check=False, timeout=30)
        keep = os.environ.get("METERSTATION_SCREENSHOT_DIR")
        if keep and out.exists():
            shutil.copy(out, Path(keep) / name)
        return out

    def stop(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()


@pytest.fixture
def start_station(xserver, tmp_path):
    started: list[Station] = []

    def start(printer: str = "") -> Station:
        st = Station(xserver, tmp_path / f"station{len(started)}", printer)
        started.append(st)
        return st

    yield start
    for st in started:
        st.stop()
