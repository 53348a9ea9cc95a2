"""Sending SMS through a GSM modem (短信猫) on a serial port, with AT commands in PDU mode.

    with ModemSender("serial:///dev/ttyUSB0?baud=115200") as modem:     # or "/dev/ttyUSB0", "COM3"
        refs = modem.send("+8613800138000", "您的电费余额不足，请及时充值")

The dialogue (3GPP TS 27.005):  AT → OK;  ATE0 → OK;  AT+CMGF=0 → OK; then per part
AT+CMGS=<tpdu length> → "> " prompt → PDU + Ctrl-Z → "+CMGS: <mr>" and OK.
ERROR, +CMS ERROR: n and +CME ERROR: n raise ModemRejected; a modem that stays silent raises
ModemNoReply after the timeout (every read has a deadline: this never blocks forever); a port
that cannot be opened or drops raises LinkError. The modem is opened for one batch of sends
and closed again, so the port is not held between runs.
"""
from __future__ import annotations

import random
import time
from urllib.parse import parse_qs, urlsplit

import serial

from comms.errors import CommsError, LinkError
from comms.sms.pdu import PduError, encode_submit
from resources.i18n import _

CTRL_Z = b"\x1a"
ESC = b"\x1b"
_SLICE = 0.05
FINAL_OK = "OK"
CMS_REASONS = {
    300: "ME failure", 301: "SMS service of ME reserved", 302: "operation not allowed",
    303: "operation not supported", 304: "invalid PDU mode parameter", 310: "SIM not inserted",
    311: "SIM PIN required", 313: "SIM failure", 320: "memory failure", 322: "memory full",
    330: "SMSC address unknown", 331: "no network service", 332: "network timeout",
    500: "unknown error",
}


class SmsError(CommsError):
    """An SMS could not be handed to the modem or the network."""


class ModemNoReply(SmsError):
    """The modem did not answer within the timeout."""


class ModemRejected(SmsError):
    """The modem answered ERROR, +CMS ERROR or +CME ERROR."""

    def __init__(self, message: str, code: int | None = None, **details: object) -> None:
        super().__init__(message, **details)
        self.code = code


def parse_port(port: str, default_baud: int = 115200) -> tuple[str, int]:
    """(device, baud) from "serial:///dev/ttyUSB0?baud=115200", "serial://COM3" or a plain path.

    Other pyserial URLs (socket://, rfc2217://, loop://) pass through unchanged."""
    text = port.strip()
    if not text:
        raise LinkError(_("No serial port is set for the GSM modem (setting sms.port)"))
    if text.startswith("serial://"):
        parts = urlsplit(text)
        device = (parts.netloc + parts.path) if parts.netloc else parts.path
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        try:
            baud = int(query.get("baud", default_baud))
        except ValueError:
            baud = -1
        if not device or baud <= 0:
            raise LinkError(_("The GSM modem port {port} is not valid").format(port=port))
        return device, baud
    return text, default_baud


class ModemSender:
    """One GSM modem. Not thread-safe: one batch of sends at a time."""

    def __init__(self, port: str, baud: int = 115200, *, timeout: float = 10.0,
                 send_timeout: float = 60.0) -> None:
        self.device, self.baud = parse_port(port, baud)
        self.port_name = port
        self.timeout = timeout               # for AT commands and the "> " prompt
        self.send_timeout = send_timeout     # from Ctrl-Z to +CMGS (the network can be slow)
        self._port: serial.SerialBase | None = None
        self._buf = b""

    # --- port ----------------------------------------------------------------------------------
    def open(self) -> None:
        if self._port is not None:
            return
        try:
            self._port = serial.serial_for_url(self.device, baudrate=self.baud, timeout=_SLICE,
                                               write_timeout=self.timeout)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise LinkError(_("Cannot open the GSM modem port {port}: {reason}")
                            .format(port=self.device, reason=exc)) from None
        self._buf = b""
        try:
            self._reset_prompt()
            self._command("AT")
            self._command("ATE0")
            self._command("AT+CMGF=0")
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except (serial.SerialException, OSError):
                pass

    def __enter__(self) -> ModemSender:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, data: bytes) -> None:
        if self._port is None:
            raise LinkError(_("The GSM modem port {port} is not open").format(port=self.device))
        try:
            self._port.write(data)
            self._port.flush()
        except (serial.SerialException, OSError) as exc:
            self.close()
            raise LinkError(_("The GSM modem port {port} failed: {reason}")
                            .format(port=self.device, reason=exc)) from None

    def _read_more(self, deadline: float) -> bool:
        """Read what is there (waiting at most until deadline); False when the time is up."""
        if self._port is None:
            raise LinkError(_("The GSM modem port {port} is not open").format(port=self.device))
        if time.monotonic() >= deadline:
            return False
        try:
            data = self._port.read(self._port.in_waiting or 1)
        except (serial.SerialException, OSError) as exc:
            self.close()
            raise LinkError(_("The GSM modem port {port} failed: {reason}")
                            .format(port=self.device, reason=exc)) from None
        self._buf += data
        return True

    def _next_line(self, deadline: float, *, prompt: bool = False) -> str:
        """The next non-empty line ("> " counts as a line when prompt is True)."""
        while True:
            stripped = self._buf.lstrip(b"\r\n")
            if prompt and stripped.startswith(b">"):
                self._buf = stripped[1:].lstrip(b" ")
                return ">"
            ends = [i for i in (stripped.find(b"\r"), stripped.find(b"\n")) if i >= 0]
            idx = min(ends) if ends else -1
            if idx >= 0:
                line, self._buf = stripped[:idx], stripped[idx + 1:]
                text = line.decode("ascii", "replace").strip()
                if text:
                    return text
                continue
            self._buf = stripped
            if not self._read_more(deadline):
                raise ModemNoReply(_("The GSM modem on {port} did not answer").format(port=self.device))

    @staticmethod
    def _failure(line: str, command: str) -> ModemRejected | None:
        upper = line.upper()
        if upper == "ERROR":
            return ModemRejected(_("The GSM modem answered ERROR to {command}").format(command=command))
        for prefix in ("+CMS ERROR:", "+CME ERROR:"):
            if upper.startswith(prefix):
                raw = line[len(prefix):].strip()
                code = int(raw) if raw.isdigit() else None
                reason = CMS_REASONS.get(code, raw) if code is not None else raw
                return ModemRejected(_("The GSM modem refused the message: {error} ({reason})")
                                     .format(error=line, reason=reason), code=code)
        return None

    def _command(self, command: str, timeout: float | None = None) -> list[str]:
        """Send an AT command; return the information lines before OK."""
        self._buf = b""
        self._write(command.encode("ascii") + b"\r")
        deadline = time.monotonic() + (timeout or self.timeout)
        lines: list[str] = []
        while True:
            line = self._next_line(deadline)
            if line == command:                 # echo (before ATE0)
                continue
            if line == FINAL_OK:
                return lines
            failure = self._failure(line, command)
            if failure is not None:
                raise failure
            lines.append(line)

    # --- sending -------------------------------------------------------------------------------
    def send(self, phone: str, text: str, *, reference: int | None = None) -> list[int]:
        """Send one message (several parts if long); returns the message references (+CMGS)."""
        try:
            parts = encode_submit(phone, text, reference=random.randrange(256) if reference is None
                                  else reference)
        except PduError as exc:
            raise SmsError(_("The SMS to {phone} cannot be encoded: {reason}")
                           .format(phone=phone, reason=exc)) from None
        opened_here = self._port is None
        if opened_here:
            self.open()
        try:
            return [self._send_part(pdu, length) for pdu, length in parts]
        finally:
            if opened_here:
                self.close()

    def _send_part(self, pdu: str, length: int) -> int:
        command = f"AT+CMGS={length}"
        self._buf = b""
        self._write(command.encode("ascii") + b"\r")
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                line = self._next_line(deadline, prompt=True)
            except ModemNoReply:
                self._cancel()
                raise
            if line == ">":
                break
            if line == command:
                continue
            failure = self._failure(line, command)
            if failure is not None:
                raise failure
        self._write(pdu.encode("ascii") + CTRL_Z)
        deadline = time.monotonic() + self.send_timeout
        reference: int | None = None
        while True:
            line = self._next_line(deadline)
            if line.upper().startswith("+CMGS:"):
                raw = line.split(":", 1)[1].strip().split(",")[0]
                reference = int(raw) if raw.isdigit() else 0
                continue
            if line == FINAL_OK:
                if reference is None:
                    raise ModemRejected(_("The GSM modem answered OK without a message reference"))
                return reference
            failure = self._failure(line, command)
            if failure is not None:
                raise failure
            # anything else (echo of the PDU, unsolicited +CMTI/RING...) is ignored

    def _reset_prompt(self) -> None:
        """A modem left waiting for a PDU (a run that died at the "> " prompt) would take our AT
        commands as PDU text: ESC leaves that state; whatever it answers is dropped."""
        self._write(ESC)
        time.sleep(0.05)
        try:
            assert self._port is not None
            self._port.reset_input_buffer()
        except (serial.SerialException, OSError):
            pass

    def _cancel(self) -> None:
        """Leave the PDU prompt (ESC) so the next command starts clean; errors are ignored."""
        try:
            if self._port is not None:
                self._port.write(ESC)
                self._port.flush()
        except (serial.SerialException, OSError):
            pass
