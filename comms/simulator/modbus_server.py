"""pymodbus's own server (ModbusTcpServer + SimDevice) serving simulated meters, in a thread.

    with ModbusSimServer({1: PrepaidModel(), 2: RegisterModel("eastron-sdm630", values)}) as srv:
        driver = ModbusDriver(MeterConfig("modbus", "1", profile=...), srv.url)

Each unit's registers are pymodbus SimData blocks built from the model's register image
(holding and input registers kept apart, addresses outside the image answer exception 02). A
SimDevice action keeps pymodbus's copy in step with the model on every access and hands writes
to the model, so the prepaid behaviour (purchases once by count, relay, clock) is the same as on
the simulator bus. framer=FramerType.RTU serves Modbus RTU over TCP (a transparent converter).
The server runs on its own asyncio loop in one thread; stop() ends both, leaving nothing behind.
"""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from typing import cast

from pymodbus import FramerType
from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusBaseServer, ModbusSerialServer, ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from comms.errors import LinkError
from comms.simulator.modbus_meter import RegisterModel
from resources.i18n import _

_BLOCK = {3: 2, 6: 2, 16: 2, 4: 3}       # function -> index in the SimDevice simdata tuple


def _blocks(image: Mapping[int, int]) -> list[SimData]:
    """SimData REGISTERS blocks for each run of consecutive addresses in an image."""
    blocks: list[SimData] = []
    run: list[int] = []
    for addr in sorted(image):
        if run and addr != run[-1] + 1:
            blocks.append(SimData(address=run[0], values=[image[a] for a in run],
                                  datatype=DataType.REGISTERS))
            run = []
        run.append(addr)
    if run:
        blocks.append(SimData(address=run[0], values=[image[a] for a in run],
                              datatype=DataType.REGISTERS))
    return blocks or [SimData(address=0, count=1, datatype=DataType.INVALID)]


def sim_device(unit: int, model: RegisterModel) -> SimDevice:
    """A pymodbus SimDevice whose registers follow `model`."""

    async def action(function: int, start: int, address: int, count: int,
                     registers: list[int], values: list[int] | list[bool] | None
                     ) -> ExcCodes | None:
        if function not in _BLOCK:          # coils / discrete inputs: not part of a meter
            return None
        block = 3 if _BLOCK[function] == 2 else 4
        if values is not None:
            refused = model.write(address, [int(v) for v in values])
            if refused is not None:
                return refused
        else:
            model.refresh()
        with model.lock:
            for addr, word in model.image[block].items():
                if 0 <= addr - start < len(registers):
                    registers[addr - start] = word
            if values is not None:
                image, words = model.image[block], cast(list[int], values)
                for i, old in enumerate(words):
                    words[i] = image.get(address + i, old)
        return None

    with model.lock:
        model.refresh()
        holding, inputs = _blocks(model.image[3]), _blocks(model.image[4])
    no_bits = [SimData(address=0, count=16, values=False, datatype=DataType.BITS)]
    return SimDevice(id=unit, simdata=(no_bits, list(no_bits), holding, inputs), action=action)


def _finish(stop: asyncio.Future[bool]) -> None:
    if not stop.done():
        stop.set_result(True)


class ModbusSimServer:
    """pymodbus ModbusTcpServer on 127.0.0.1 (or ModbusSerialServer on `serial`, a pty path)
    in a background thread (start/stop, or `with`)."""

    def __init__(self, units: Mapping[int, RegisterModel], *, host: str = "127.0.0.1",
                 port: int = 0, framer: FramerType = FramerType.SOCKET,
                 serial: str | None = None, baudrate: int = 9600) -> None:
        self.units = dict(units)
        self.host, self.port, self.framer = host, port, framer
        self.serial, self.baudrate = serial, baudrate
        if serial is not None:
            self.framer = FramerType.RTU
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Future[bool] | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        """modbus-tcp://host:port; tcp://host:port for RTU frames; serial://PTY?baud=..."""
        if self.serial is not None:
            return f"serial://{self.serial}?baud={self.baudrate}&parity=N"
        scheme = "modbus-tcp" if self.framer == FramerType.SOCKET else "tcp"
        return f"{scheme}://{self.host}:{self.port}"

    def start(self) -> ModbusSimServer:
        self._thread = threading.Thread(target=self._run, name="modbus-sim-server", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None or self._loop is None:
            self._thread.join(5)
            raise LinkError(_("The Modbus simulator could not listen on {host}:{port}: "
                              "{error}").format(host=self.host, port=self.port,
                                                error=self._error))
        return self

    def stop(self) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(_finish, stop)
        if self._thread is not None:
            self._thread.join(10)
        self._thread = self._loop = None

    def __enter__(self) -> ModbusSimServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # noqa: BLE001 - reported to start()
            self._error = exc
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        devices = [sim_device(unit, model) for unit, model in self.units.items()]
        server: ModbusTcpServer | ModbusSerialServer
        if self.serial is not None:
            server = ModbusSerialServer(devices, framer=FramerType.RTU, port=self.serial,
                                        baudrate=self.baudrate, parity="N")
            await server.serve_forever(background=True)
        else:
            server = ModbusTcpServer(devices, framer=self.framer, address=(self.host, self.port))
            await server.serve_forever(background=True)
            self.port = server.transport.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self._stop = asyncio.get_running_loop().create_future()
        self._loop = asyncio.get_running_loop()
        self._ready.set()
        try:
            await self._stop
        finally:
            await _shutdown(server)


async def _shutdown(server: ModbusBaseServer) -> None:
    """Stop a TCP or serial server (one base class: the call is checked against it)."""
    await server.shutdown()
