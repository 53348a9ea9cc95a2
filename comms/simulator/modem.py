"""A simulated GSM modem (短信猫) on a pseudo-terminal, for tests and the demo.

    with SimulatedModem() as modem:                # refuses to run outside test/demo mode
        sender = ModemSender(modem.url)            # serial:///dev/pts/N?baud=115200
        sender.send("+8613800138000", "你好")
        assert modem.messages == [("+8613800138000", "你好")]
        modem.mode = "error"                       # AT+CMGS answers ERROR
        modem.mode = "cms"; modem.cms_code = 331   # the PDU is answered +CMS ERROR: 331
        modem.mode = "silent"                      # nothing is answered at all
        modem.mode = "no_confirm"                  # the prompt comes, the PDU is never confirmed

It answers AT, ATE0/ATE1, AT+CMGF, AT+CMGS (with the "> " prompt, Ctrl-Z to send, ESC to
cancel), decodes each PDU (checking the announced TPDU length), reassembles concatenated
parts and records (number, text). It never opens an existing device: only the pty it creates.
stop() ends its thread and closes the pty.
"""
from __future__ import annotations

import os
import select
import threading
import tty

from comms.sms.pdu import PduError, Submit, decode_submit
from models.errors import PermissionDenied
from resources.i18n import _

MODES = ("ok", "error", "cms", "silent", "no_confirm")


def check_allowed(demo: bool = False, explicit_cli: bool = False) -> None:
    """Like the meter simulator: only in tests (METERSTATION_TEST_MODE=1), demo mode or when an
    administrator starts it explicitly."""
    if os.environ.get("METERSTATION_TEST_MODE") == "1" or demo or explicit_cli:
        return
    raise PermissionDenied(_("The modem simulator runs only in test or demo mode"))


class SimulatedModem:
    def __init__(self, *, mode: str = "ok", cms_code: int = 500, demo: bool = False,
                 explicit_cli: bool = False, baud: int = 115200) -> None:
        check_allowed(demo, explicit_cli)
        if mode not in MODES:
            raise ValueError(f"unknown modem mode {mode!r}")
        self.mode = mode
        self.cms_code = cms_code
        self.echo = True
        self.pdu_mode = False
        self.commands: list[str] = []           # every AT command line received
        self.parts: list[Submit] = []                   # every decoded part (comms.sms.pdu.Submit)
        self.messages: list[tuple[str, str]] = []
        self._pending: dict[tuple[str, int], dict[int, str]] = {}
        self._lock = threading.Lock()
        self._mr = 0
        self._stop = threading.Event()
        self._master, self._slave = os.openpty()
        tty.setraw(self._master)
        tty.setraw(self._slave)
        self.device = os.ttyname(self._slave)
        self.url = f"serial://{self.device}?baud={baud}"
        self._thread = threading.Thread(target=self._loop, name=f"sim-modem-{os.path.basename(self.device)}",
                                        daemon=True)
        self._thread.start()

    # --- lifecycle -----------------------------------------------------------------------------
    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass
        self._master = self._slave = -1

    def __enter__(self) -> SimulatedModem:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- wire ----------------------------------------------------------------------------------
    def _send(self, text: str) -> None:
        try:
            os.write(self._master, text.encode("ascii"))
        except OSError:
            pass

    def _loop(self) -> None:
        buf = b""
        awaiting: int | None = None            # TPDU length announced by AT+CMGS, in PDU state
        while not self._stop.is_set():
            try:
                ready, _w, _x = select.select([self._master], [], [], 0.05)
                if not ready:
                    continue
                data = os.read(self._master, 4096)
            except OSError:
                if self._stop.is_set():
                    return
                self._stop.wait(0.05)          # no reader on the slave side yet
                continue
            if not data:
                continue
            buf += data
            while True:
                if awaiting is not None:
                    end = min((i for i in (buf.find(b"\x1a"), buf.find(b"\x1b")) if i >= 0), default=-1)
                    if end < 0:
                        break
                    pdu, term, buf = buf[:end], buf[end:end + 1], buf[end + 1:]
                    length, awaiting = awaiting, None
                    if term == b"\x1a":
                        self._on_pdu(pdu.decode("ascii", "replace").strip(), length)
                    continue
                buf = buf.replace(b"\x1b", b"")        # ESC outside the prompt: ignored
                idx = min((i for i in (buf.find(b"\r"), buf.find(b"\n")) if i >= 0), default=-1)
                if idx < 0:
                    break
                line, buf = buf[:idx].decode("ascii", "replace").strip(), buf[idx + 1:]
                if line:
                    awaiting = self._on_command(line)

    def _on_command(self, line: str) -> int | None:
        with self._lock:
            self.commands.append(line)
        if self.mode == "silent":
            return None
        if self.echo:
            self._send(line + "\r")
        upper = line.upper()
        if upper == "AT":
            self._send("\r\nOK\r\n")
        elif upper in ("ATE0", "ATE1"):
            self.echo = upper == "ATE1"
            self._send("\r\nOK\r\n")
        elif upper.startswith("AT+CMGF="):
            value = upper.split("=", 1)[1]
            if value in ("0", "1"):
                self.pdu_mode = value == "0"
                self._send("\r\nOK\r\n")
            else:
                self._send("\r\nERROR\r\n")
        elif upper.startswith("AT+CMGS="):
            raw = upper.split("=", 1)[1]
            if self.mode == "error" or not raw.isdigit() or not self.pdu_mode:
                self._send("\r\nERROR\r\n")
                return None
            self._send("\r\n> ")
            return int(raw)
        else:
            self._send("\r\nERROR\r\n")
        return None

    def _on_pdu(self, pdu: str, length: int) -> None:
        if self.mode in ("silent", "no_confirm"):
            return
        if self.mode == "cms":
            self._send(f"\r\n+CMS ERROR: {self.cms_code}\r\n")
            return
        try:
            smsc_len = int(pdu[:2], 16)
            if (len(pdu) - 2 - 2 * smsc_len) // 2 != length:
                raise PduError("length does not match AT+CMGS")
            part = decode_submit(pdu)
        except (PduError, ValueError):
            self._send("\r\n+CMS ERROR: 304\r\n")
            return
        with self._lock:
            self.parts.append(part)
            self._mr = (self._mr + 1) % 256
            mr = self._mr
            if part.parts <= 1:
                self.messages.append((part.number, part.text))
            else:
                key = (part.number, part.reference or 0)
                got = self._pending.setdefault(key, {})
                got[part.seq] = part.text
                if len(got) == part.parts:
                    del self._pending[key]
                    self.messages.append((part.number, "".join(got[i] for i in sorted(got))))
        self._send(f"\r\n+CMGS: {mr}\r\n\r\nOK\r\n")
