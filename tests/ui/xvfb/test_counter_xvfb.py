"""A cash sale as a cashier makes it, in the real program under Xvfb at 1366x768 with default
settings: F1, type 101, Enter, 50, Enter, Enter — the receipt goes to the print preview, which
stays open >= 10 s with the program alive; the receipt PDF exists; every control of the counter,
the key hints and the status bar are on the screen. The same sale printed to a CUPS queue
(cups-pdf) comes out of the queue as a PDF of the receipt."""
from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.ui.xvfb.conftest import SCREEN, need
from ui.gui_main import SWITCH_INTERVAL_S

pytestmark = pytest.mark.slow


def inside_screen(rect) -> bool:
    x, y, w, h = rect
    return x >= 0 and y >= 0 and x + w <= SCREEN[0] and y + h <= SCREEN[1]


def cash_sale(st) -> dict:
    """Wait for the window, sell 50 yuan in cash to the account found by typing 101."""
    p = st.wait("the main window", lambda p: p.get("page") == "counter", timeout=180)
    # the program's interpreter hands its lock to the GUI thread every millisecond (ui/gui_main.py)
    assert p["switch_interval"] == pytest.approx(SWITCH_INTERVAL_S)
    time.sleep(1.0)
    st.focus_main()
    st.key("F1")
    st.type("101")
    st.key("Return")
    p = st.wait("an account on the card", lambda p: p.get("card"))
    st.type("50")
    time.sleep(0.6)                                    # the tariff preview of the amount
    st.key("Return")
    st.wait("the confirmation", lambda p: st.window(p, "QMessageBox") or st.window(p, "QDialog") and any(
        "确认" in w["title"] for w in p["windows"]))
    st.screenshot("counter-confirmation-1366x768.png")
    st.key("Return")
    return p


def assert_counter_on_screen(p: dict) -> None:
    assert p["screen"][2:] == list(SCREEN)
    off = [c for c in p["controls"] if not inside_screen(c["rect"])]
    assert not off, f"controls of the counter off the {SCREEN} screen (window {p['window']}): {off[:8]}"
    names = " ".join(c["name"] for c in p["controls"])
    for needed in ("QStatusBar:main", ":退费", ":冲正", ":重打", "QLabel:hint:回车"):
        assert needed in names, f"{needed} is not visible on the counter"
    assert inside_screen(p["window"]), f"main window {p['window']} larger than the screen"


def test_cash_sale_with_print_preview_stays_alive(start_station):
    st = start_station()
    cash_sale(st)
    p = st.wait("the print preview", lambda p: st.window(p, "QPrintPreviewDialog"), timeout=30)
    st.screenshot("counter-preview-1366x768.png")
    opened = time.monotonic()
    while time.monotonic() - opened < 10.5:          # the crash came 1-6 s after the preview opened
        assert st.alive(), f"the station died with the preview open (exit {st.proc.returncode}):\n{st.output()}"
        time.sleep(0.25)
    p = st.wait("a fresh probe", lambda q: q["time"] > time.time() - 2)        # the event loop still runs
    assert st.window(p, "QPrintPreviewDialog"), "the preview closed by itself"
    assert inside_screen(st.window(p, "QPrintPreviewDialog")["rect"])
    receipts = sorted(st.receipts.glob("*-sale.pdf"))
    assert receipts and p["receipt"] and Path(p["receipt"]) in receipts
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", p["receipt"], "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "50.00" in text and "伍拾元整" in text.replace(" ", "")
    assert_counter_on_screen(p)


@pytest.fixture
def cups_queue(tmp_path):
    """A CUPS queue printing through cups-pdf into tmp_path/cups-out; yields (name, folder)."""
    need(shutil.which("lpadmin") is not None and shutil.which("lpstat") is not None,
         "CUPS is not installed (apt-get install cups cups-client)")
    need(Path("/usr/lib/cups/backend/cups-pdf").exists(), "cups-pdf is not installed (printer-driver-cups-pdf)")
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    running = subprocess.run(["lpstat", "-r"], capture_output=True, text=True).stdout
    if "not running" in running or not running.strip():
        subprocess.run([*sudo, "cupsd"], check=False)
        for _ in range(50):
            if "is running" in subprocess.run(["lpstat", "-r"], capture_output=True, text=True).stdout:
                break
            time.sleep(0.1)
    need("is running" in subprocess.run(["lpstat", "-r"], capture_output=True, text=True).stdout,
         "the CUPS scheduler (cupsd) is not running and could not be started")
    tag = "ms" + uuid.uuid4().hex[:8]
    out = tmp_path / "cups-out"
    out.mkdir()
    out.chmod(0o777)
    conf = Path(f"/etc/cups/cups-pdf-{tag}.conf")        # cups-pdf reads cups-pdf-<uri path>.conf
    body = f"Out {out}\nAnonDirName {out}\nLabel 1\n"
    made = subprocess.run([*sudo, "tee", str(conf)], input=body, text=True, capture_output=True)
    need(made.returncode == 0, f"cannot write {conf}: {made.stderr.strip()}")
    name = "MeterStation-" + tag
    added = subprocess.run([*sudo, "lpadmin", "-p", name, "-v", f"cups-pdf:/{tag}", "-E",
                            "-P", "/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd"], capture_output=True, text=True)
    need(added.returncode == 0, f"lpadmin failed: {added.stderr.strip()}")
    yield name, out
    subprocess.run([*sudo, "lpadmin", "-x", name], check=False)
    subprocess.run([*sudo, "rm", "-f", str(conf)], check=False)


def test_cash_sale_printed_to_a_cups_queue(start_station, cups_queue):
    name, out = cups_queue
    st = start_station(printer=name)
    cash_sale(st)
    end = time.monotonic() + 60
    while time.monotonic() < end and not list(out.rglob("*.pdf")):
        assert st.alive(), st.output()
        time.sleep(0.5)
    printed = list(out.rglob("*.pdf"))
    assert printed, f"nothing came out of the queue {name}; station log:\n{st.output()}"
    time.sleep(1.0)                                   # cups-pdf finishes writing
    info = subprocess.run(["pdfinfo", str(printed[0])], capture_output=True, text=True, check=True).stdout
    assert "Pages:           3" in info
    p = st.wait("the receipt PDF", lambda q: q.get("receipt"))
    assert Path(p["receipt"]).exists()
    assert not st.window(p, "QPrintPreviewDialog")     # printed, not previewed
    assert st.alive()
