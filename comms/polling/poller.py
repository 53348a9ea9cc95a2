"""The poller: one LinkWorker per link (a half-duplex bus: one exchange at a time on it),
links in parallel - the tcp:// links as tasks on one event loop thread (comms/links/tcp_loop.py), a
serial port or a Modbus TCP link on a thread of its own. A worker's cycle, service loop and
reads are steps (comms/steps.py) that either runs. It only schedules: protocols are in the
drivers, storage in a PollSink, commands come from a CommandSource (the persisted outbox) and
jump ahead of routine reads.

    poller = Poller(plans, sink, commands=outbox_source, events=bus)
    poller.start() ... poller.stop()          # the service (GUI background, `meterstation poll`)
    summary = poller.run_once()               # every meter once, with 补抄 retries (poll --once)

What a bus does to a cycle (issue 15):
- a silent meter costs one timeout per cycle, the first included: routine reads are not retried
  on a timeout within the exchange, and a meter that timed out gets no 补抄 in that cycle; the
  other failures (garbled, refused) are re-read once at the end of the cycle, after every live
  meter;
- a converter that drops the connection once is reconnected and the cycle goes on with the same
  meter; a link that fails again right after, or any exception in the link's worker (a bug, a
  port pyserial cannot configure), ends the link's cycle as a failed link: its meters that were
  not read are counted failed, and `unreachable` unless they failed on their own before; the
  summary names the link; an outbox command in flight is finished with the error (never left
  "sending").
"""
from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from comms import events as ev
from comms.errors import CommsError, LinkError, NoReply
from comms.interfaces import QUANTITIES, MeterConfig, MeterDriver, Reading
from comms.polling.read_schedule import LinkPlan, LinkSchedule, MeterPlan
from comms.session import LinkSession
from comms.steps import Call, Steps, Wait, run_sync
from resources.i18n import _

if TYPE_CHECKING:
    from comms.links.tcp_loop import Hub

log = logging.getLogger(__name__)


class PollSink(Protocol):
    def reading(self, link: LinkPlan, meter: MeterPlan, at: datetime, values: dict[str, Reading]) -> None: ...
    def failure(self, link: LinkPlan, meter: MeterPlan, at: datetime, error: CommsError) -> None: ...
    def meter_state(self, meter: MeterPlan, state: str) -> None: ...
    def link_state(self, link: LinkPlan, state: str) -> None: ...


@dataclass
class Command:
    """A side effect for one meter (from the outbox): kind is "control:trip", "recharge" ..."""
    item_id: int
    meter_id: int
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)


class CommandSource(Protocol):
    def take(self, link_id: int) -> Command | None: ...
    def finished(self, command: Command, result: Any, error: CommsError | None) -> None: ...


@dataclass
class CycleSummary:
    meters: int = 0
    ok: int = 0
    failed: int = 0                  # not read this cycle (unreachable ones included)
    seconds: float = 0.0
    commands: int = 0
    unreachable: int = 0             # not read because their link failed
    failed_links: list[str] = field(default_factory=list)      # "name: reason"
    timeouts: int = 0                # NoReply failures this cycle

    def add(self, other: CycleSummary) -> None:
        self.meters += other.meters
        self.ok += other.ok
        self.failed += other.failed
        self.commands += other.commands
        self.unreachable += other.unreachable
        self.failed_links += other.failed_links
        self.timeouts += other.timeouts


class LinkFailed(CommsError):
    """A link's worker stopped on something that is not a meter's fault (its message is shown
    in the summary); the original exception is chained."""


class NullSink:
    def reading(self, *a: Any) -> None: ...
    def failure(self, *a: Any) -> None: ...
    def meter_state(self, *a: Any) -> None: ...
    def link_state(self, *a: Any) -> None: ...


def _now() -> datetime:
    return datetime.now(UTC)


def _blocking_read(driver: MeterDriver, quantities: Sequence[str]) -> Steps[dict[str, Reading]]:
    """The read of a driver without steps: a blocking call."""
    values: dict[str, Reading] = yield Call(driver.read, quantities)
    return values


class LinkWorker:
    """Polls one link. Not shared between threads except through wake()/stop()."""

    LINK_RETRY = (5.0, 15.0, 60.0)      # seconds before reconnecting a lost converter

    def __init__(self, plan: LinkPlan, sink: PollSink, *, events: ev.EventBus | None = None,
                 commands: CommandSource | None = None, lost_after: int = 3, retry_base: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.plan = plan
        self.sink = sink
        self.events = events or ev.EventBus()
        self.commands = commands
        self.clock = clock
        self.schedule = LinkSchedule(plan.meters, now=clock(), lost_after=lost_after, retry_base=retry_base)
        self.session = LinkSession(plan.url)
        self.link_state = "unknown"
        self._link_failures = 0
        self._wake = threading.Event()
        self._asked: collections.deque[int] = collections.deque()   # read_now from other threads
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._by_id = {m.meter_id: m for m in plan.meters}
        self._online: set[int] = set()
        # lost already when this poller started (the archive said so): the first failure says it
        # once, so a window that marked every state unknown (a new runtime child) hears it again
        self._unsaid_lost = {m.meter_id for m in plan.meters if m.lost}
        # meter id -> (its config, lost, that config with the link's options, its driver once a
        # read asked for it): built once per meter and state, not per read - a read asks neither
        # _config nor the session (_driver_steps). One tuple a meter: 10,000 of them in a first
        # cycle, each for the cyclic collector to count and walk
        self._configs: dict[int, tuple[MeterConfig, bool, MeterConfig, MeterDriver | None]] = {}
        # (the meter's own options, lost) -> the options with the link's: one dict for all the
        # meters that share them, not one each
        self._link_options: dict[tuple[tuple[tuple[str, str], ...], bool], dict[str, str]] = {}
        self._link_up = False            # an exchange succeeded since the last (re)connect
        self._silence_retried = True     # as the session's retry_silence was last set (it starts True)
        self.hub: Hub | None = None      # comms.links.tcp_loop.Hub running this link, or a thread
        self._task_done: threading.Event | None = None

    # -- one exchange's worth of work ----------------------------------------------------
    def _config(self, meter: MeterPlan) -> MeterConfig:
        cfg = meter.config
        if self.plan.timeout is None and self.plan.retries is None and not meter.lost:
            return cfg
        cached = self._configs.get(meter.meter_id)
        if cached is None or cached[0] is not cfg or cached[1] != meter.lost:
            cached = self._configs[meter.meter_id] = (cfg, meter.lost, self._with_link_options(cfg, meter.lost),
                                                      None)
        return cached[2]

    def _with_link_options(self, cfg: MeterConfig, lost: bool) -> MeterConfig:
        key: tuple[tuple[tuple[str, str], ...], bool] | None = None
        opts: dict[str, str] | None = None
        try:
            key = (tuple(sorted(cfg.options.items())), lost)
            opts = self._link_options.get(key)
        except TypeError:                           # an option value that cannot be a key
            key = None
        if opts is None:
            opts = dict(cfg.options)
            if lost:                     # a lost meter gets one attempt: one timeout per cycle
                opts["retries"] = "0"
            if self.plan.timeout is not None:
                opts.setdefault("timeout", str(self.plan.timeout))
            if self.plan.retries is not None:
                opts.setdefault("retries", str(self.plan.retries))
            if key is not None and len(self._link_options) < 1024:
                self._link_options[key] = opts
        # MeterConfig's fields by name (dataclasses.replace costs more than the driver it feeds,
        # once per meter); tests/comms/polling/test_poller.py checks no field is left behind
        return MeterConfig(protocol=cfg.protocol, address=cfg.address, profile=cfg.profile, options=opts)

    def _set_link(self, state: str) -> None:
        if state != self.link_state:
            self.link_state = state
            self.sink.link_state(self.plan, state)
            self.events.publish(ev.LINK_STATE, link_id=self.plan.link_id, state=state)

    def read_meter(self, meter: MeterPlan) -> bool:
        """Read one meter now; record the result in the schedule, the sink and the events."""
        return self._read_reconnecting(meter, meter.quantities)[1] is None

    def _read_reconnecting(self, meter: MeterPlan, quantities: Sequence[str]
                           ) -> tuple[dict[str, Reading] | None, CommsError | None]:
        return run_sync(self._read_reconnecting_steps(meter, quantities))

    def _read_reconnecting_steps(self, meter: MeterPlan, quantities: Sequence[str]
                                 ) -> Steps[tuple[dict[str, Reading] | None, CommsError | None]]:
        """_read; when a link that was working drops (a converter closing the connection), one
        reconnect and the same meter again. A LinkError on a link that never came up, or again
        right after the reconnect, is raised."""
        was_up = self._link_up
        try:
            return (yield from self._read_steps(meter, quantities))
        except LinkError:
            if not was_up:
                raise
            self.session.close()            # the next exchange reconnects
            log.info("link %s dropped; reconnecting", self.plan.name)
            return (yield from self._read_steps(meter, quantities))

    def _read(self, meter: MeterPlan, quantities: Sequence[str]
              ) -> tuple[dict[str, Reading] | None, CommsError | None]:
        return run_sync(self._read_steps(meter, quantities))

    def _driver_steps(self, meter: MeterPlan, quantities: Sequence[str]) -> Steps[dict[str, Reading]]:
        """The steps of a routine read of meter by its driver (built once per meter and state:
        the session and _config are asked only then); raises what building the driver raises."""
        if self._silence_retried:                   # one timeout per silent meter per read
            self.session.retry_silence(False)
            self._silence_retried = False
        known = self._configs.get(meter.meter_id)
        if known is not None and known[3] is not None and known[0] is meter.config and known[1] == meter.lost:
            driver = known[3]
        else:
            config = self._config(meter)
            driver = self.session.driver(config)
            self._configs[meter.meter_id] = (meter.config, meter.lost, config, driver)
        read_steps = getattr(driver, "read_steps", None)
        if read_steps is not None:
            steps: Steps[dict[str, Reading]] = read_steps(quantities)
            return steps
        return _blocking_read(driver, quantities)   # a driver without steps: a blocking call

    def _read_steps(self, meter: MeterPlan, quantities: Sequence[str]
                    ) -> Steps[tuple[dict[str, Reading] | None, CommsError | None]]:
        """(values, None) or (None, error), recorded; a LinkError is recorded and raised.
        (_cycle_steps does the same without this generator: keep them alike.)"""
        try:
            values = yield from self._driver_steps(meter, quantities)
        except LinkError as e:
            self._link_lost(meter, e)
            raise
        except CommsError as e:
            return None, self._read_failed(meter, e)
        return self._read_done(meter, values), None

    def _link_lost(self, meter: MeterPlan, e: LinkError) -> None:
        """A read ended on a LinkError: recorded (the caller raises it)."""
        self._link_failures += 1
        self._link_up = False
        self._set_link("lost")
        # a dead converter is not the meter's fault: its schedule and streak stay as they are
        self.sink.failure(self.plan, meter, _now(), e)
        self.events.publish(ev.READ_FAILED, meter_id=meter.meter_id, error=str(e), link=True)

    def _read_failed(self, meter: MeterPlan, e: CommsError) -> CommsError:
        """A read ended on the meter's fault (the line works): recorded; e."""
        self._link_up = True                    # the line works; the meter did not answer
        became_lost = self.schedule.failed(meter, self.clock(), silent=isinstance(e, NoReply))
        self.sink.failure(self.plan, meter, _now(), e)
        self.events.publish(ev.READ_FAILED, meter_id=meter.meter_id, error=str(e))
        if became_lost:
            self.sink.meter_state(meter, "lost")
            self.events.publish(ev.METER_STATE, meter_id=meter.meter_id, state="lost")
        elif self._unsaid_lost and meter.meter_id in self._unsaid_lost and meter.lost:
            self._unsaid_lost.discard(meter.meter_id)         # the archive knows: an event only
            self.events.publish(ev.METER_STATE, meter_id=meter.meter_id, state="lost")
        return e

    def _read_done(self, meter: MeterPlan, values: dict[str, Reading]) -> dict[str, Reading]:
        """A read gave values: recorded; values."""
        self._link_failures = 0
        self._link_up = True
        if self.link_state != "online":
            self._set_link("online")
        came_back = self.schedule.succeeded(meter, self.clock())
        self.sink.reading(self.plan, meter, datetime.now(UTC), values)     # _now(), a call less a read
        if self.events.listening:           # the payload is built only for someone
            self.events.publish(ev.READING, meter_id=meter.meter_id,
                                values={k: str(v.value) for k, v in values.items()})
        if came_back or meter.meter_id not in self._online:
            self._online.add(meter.meter_id)
            self.sink.meter_state(meter, "online")
            self.events.publish(ev.METER_STATE, meter_id=meter.meter_id, state="online")
        return values

    def run_command(self, command: Command) -> None:
        from comms.polling.command_delivery import BadCommand, execute

        meter = self._by_id.get(command.meter_id)
        if meter is None:
            return
        result: Any = None
        error: CommsError | None = None
        crash: Exception | None = None
        self.session.retry_silence(True)
        self._silence_retried = True
        try:
            if command.kind == "read":          # 点抄 from the outbox: stored like a routine read
                quantities = tuple(command.payload.get("quantities") or meter.quantities)
                unknown = [q for q in quantities if q not in QUANTITIES]
                if unknown:                     # the request is wrong, not the meter
                    raise BadCommand(_("Unknown quantity {q}").format(q=unknown[0]))
                values, error = self._read_reconnecting(meter, quantities)
                self.session.retry_silence(True)
                self._silence_retried = True
                result = None if values is None else {"values": {k: str(v.value) for k, v in values.items()}}
            else:
                result = execute(self.session.driver(self._config(meter)), command)
                self._set_link("online")
        except CommsError as e:
            if isinstance(e, LinkError):
                self._set_link("lost")
            error = e
        except (KeyError, ValueError, TypeError, ArithmeticError) as e:     # a payload that makes no sense
            log.warning("outbox item %s (%s) is malformed: %r", command.item_id, command.kind, e)
            error = BadCommand(_("The command {kind} is malformed: {reason}").format(kind=command.kind, reason=e))
        except Exception as e:  # noqa: BLE001 - the item is finished with the error, then the link fails
            crash = e
            error = LinkFailed(_("Link {link} failed: {reason}").format(link=self.plan.name, reason=_describe(e)))
        if self.commands is not None:
            self.commands.finished(command, result if error is None else None, error)
        if crash is not None:
            raise crash

    def _next_command(self) -> Command | None:
        return run_sync(self._next_command_steps())

    def _next_command_steps(self) -> Steps[Command | None]:
        """The next outbox command for this link, or None. A source that may touch its
        database in take() says so first (might_have): then take() is a Call, off the event
        loop; a source without might_have is asked directly (in memory)."""
        if self.commands is None:
            return None
        might_have = getattr(self.commands, "might_have", None)
        if might_have is None:
            return self.commands.take(self.plan.link_id)
        if not might_have(self.plan.link_id):
            return None
        command: Command | None = yield Call(self.commands.take, self.plan.link_id)
        return command

    # -- modes ---------------------------------------------------------------------------
    def cycle_once(self) -> CycleSummary:
        return run_sync(self._cycle_steps())

    def _cycle_steps(self) -> Steps[CycleSummary]:
        """Every meter once, then one 补抄 pass (at the end, after every live meter) over the
        failures that cost no timeout and are not lost; pending commands first and between
        reads. A link failure ends the link's cycle (see the module notes)."""
        start = time.monotonic()
        summary = CycleSummary(meters=len(self.plan.meters))
        read_ok: set[int] = set()
        meter_failed: set[int] = set()      # failed on their own (the line worked)
        again: list[MeterPlan] = []

        def commands() -> Steps[None]:
            while (cmd := (yield from self._next_command_steps())) is not None:
                summary.commands += 1
                yield Call(self.run_command, cmd)

        source = self.commands is not None     # none: no generator per meter to ask for nothing
        try:
            if source:
                yield from commands()
            for first, meters in ((True, self.plan.meters), (False, again)):     # again: 补抄
                for meter in meters:
                    if source:
                        yield from commands()
                    # _read_reconnecting_steps and _read_steps written out here: two generators
                    # less per read
                    was_up = self._link_up
                    error: CommsError | None = None
                    try:
                        values = yield from self._driver_steps(meter, meter.quantities)
                    except LinkError as e:
                        self._link_lost(meter, e)
                        if not was_up:
                            raise
                        self.session.close()            # the next exchange reconnects
                        log.info("link %s dropped; reconnecting", self.plan.name)
                        error = (yield from self._read_steps(meter, meter.quantities))[1]
                    except CommsError as e:
                        error = self._read_failed(meter, e)
                    else:
                        self._read_done(meter, values)
                    if error is None:
                        read_ok.add(meter.meter_id)
                        meter_failed.discard(meter.meter_id)
                        continue
                    meter_failed.add(meter.meter_id)
                    silent = isinstance(error, NoReply)
                    summary.timeouts += silent
                    if first and not silent and not meter.lost:
                        again.append(meter)
            if source:
                yield from commands()
        except Exception as exc:  # noqa: BLE001 - a failed link, never a silent thread death
            self._link_failed(summary, exc)
            summary.unreachable = sum(m.meter_id not in read_ok and m.meter_id not in meter_failed
                                      for m in self.plan.meters)
        summary.ok = len(read_ok)
        summary.failed = summary.meters - summary.ok
        summary.seconds = time.monotonic() - start
        if not summary.failed_links:
            self.events.publish(ev.CYCLE_DONE, link_id=self.plan.link_id, meters=summary.meters,
                                ok=summary.ok, failed=summary.failed, seconds=summary.seconds)
        return summary

    def _link_failed(self, summary: CycleSummary, exc: BaseException) -> None:
        if not isinstance(exc, CommsError):
            log.error("poller worker for %s failed", self.plan.name, exc_info=exc)
        self._link_up = False
        self._set_link("lost")
        summary.failed_links.append(f"{self.plan.name}: {_describe(exc)}")
        try:
            self.session.close()
        except Exception:  # noqa: BLE001 - closing a broken port must not hide the failure
            log.debug("closing %s failed", self.plan.name, exc_info=True)

    def _loop(self) -> None:
        run_sync(self._loop_steps())

    def _loop_steps(self) -> Steps[None]:
        """The service: commands first, then due meters, else idle until woken."""
        while not self._stop.is_set():
            try:
                cmd = yield from self._next_command_steps()
                if cmd is not None:
                    yield Call(self.run_command, cmd)
                    continue
                while self._asked:            # the schedule is this worker's alone
                    self.schedule.read_now(self._asked.popleft(), self.clock())
                meter = self.schedule.pop_due(self.clock())
                if meter is not None:
                    yield from self._service_read_steps(meter)
                    continue
                due = self.schedule.next_due()
                wait = 1.0 if due is None else max(0.0, min(due - self.clock(), 1.0))
                yield Wait(self._wake, wait)
            except LinkError:
                self.session.close()
                pause = self.LINK_RETRY[max(1, min(self._link_failures, len(self.LINK_RETRY))) - 1]
                yield Wait(self._stop, pause, clear=False)
            except Exception:  # noqa: BLE001 - a bug must not kill the link's worker
                log.exception("poller worker for %s failed; continuing", self.plan.name)
                yield Wait(self._stop, 1.0, clear=False)
        self.session.close()

    def _service_read_steps(self, meter: MeterPlan) -> Steps[None]:
        """read_meter for the service loop: the meter was taken off the schedule, so whatever
        happens it goes back on it - after a link failure it is read first when the link
        returns; after an exception in the worker it counts as a failed read (logged)."""
        try:
            yield from self._read_reconnecting_steps(meter, meter.quantities)
        except LinkError:
            self.schedule.requeue(meter, self.clock())
            raise
        except Exception as exc:
            error = LinkFailed(_("Link {link} failed: {reason}").format(link=self.plan.name, reason=_describe(exc)))
            self.schedule.failed(meter, self.clock())
            self.sink.failure(self.plan, meter, _now(), error)
            raise

    def start(self) -> None:
        if self.hub is not None:            # a tcp:// link: a task on the event loop
            # the callback holds this task's own event (stop() drops self._task_done after waiting)
            done = self._task_done = threading.Event()
            self.hub.spawn(self._loop_steps(), lambda value, error: done.set())
            return
        self._thread = threading.Thread(target=self._loop, name=f"poll-{self.plan.name}", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None or self._task_done is not None

    def wake(self) -> None:
        self._wake.set()
        if self.hub is not None:
            self.hub.nudge()

    def read_now(self, meter_id: int) -> None:
        """点抄 from any thread: handed to the worker's loop (the schedule's heap is not
        thread-safe: pushing from the GUI thread while the worker pops raised "list changed
        size during iteration" at 10,000 meters)."""
        self.read_many((meter_id,))

    def read_many(self, meter_ids: Iterable[int]) -> None:
        """read_now for several meters, the loop woken once (a wake per meter of "read all now"
        was 10,000 event sets and socket sends on the GUI thread at 10,000 meters: 0.1 s)."""
        if not self.running:
            now = self.clock()
            for meter_id in meter_ids:
                self.schedule.read_now(meter_id, now)
        else:
            self._asked.extend(meter_ids)
        self.wake()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.wake()
        if self._task_done is not None:
            self._task_done.wait(timeout)
            self._task_done = None
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None


class Poller:
    """All links: one LinkWorker each. The tcp:// links (transparent serial servers) are tasks
    on one event loop thread (comms/links/tcp_loop.py) unless event_loop=False; serial ports and
    Modbus TCP links have a thread each."""

    def __init__(self, plans: list[LinkPlan], sink: PollSink | None = None, *,
                 commands: CommandSource | None = None, events: ev.EventBus | None = None,
                 event_loop: bool = True, **worker_options: Any) -> None:
        self.events = events or ev.EventBus()
        self.workers = [LinkWorker(p, sink or NullSink(), events=self.events, commands=commands,
                                   **worker_options) for p in plans]
        self.hub: Hub | None = None
        tcp = [w for w in self.workers if w.session.spec.scheme == "tcp"]
        if event_loop and tcp:
            from comms.links.tcp_loop import Hub

            self.hub = Hub()
            for w in tcp:
                w.hub = self.hub

    def run_once(self, link_names: set[str] | None = None) -> CycleSummary:
        """Poll every meter (of the named links) once, links in parallel; sum the results."""
        chosen = [w for w in self.workers if link_names is None or w.plan.name in link_names]
        results: dict[int, CycleSummary] = {}
        start = time.monotonic()

        def ended(w: LinkWorker, summary: CycleSummary | None, exc: BaseException | None) -> None:
            """A link's cycle is over: its summary kept, its session closed."""
            try:
                if exc is not None or summary is None:  # cycle_once contains its own; this is a last guard
                    failed = CycleSummary(meters=len(w.plan.meters), failed=len(w.plan.meters))
                    w._link_failed(failed, exc if exc is not None else RuntimeError("no summary"))
                    summary = failed
                results[w.plan.link_id] = summary
            finally:
                try:
                    w.session.close()
                except Exception:  # noqa: BLE001
                    log.debug("closing %s failed", w.plan.name, exc_info=True)

        def run_steps(w: LinkWorker) -> Steps[None]:
            """A thread's link."""
            try:
                summary = yield from w._cycle_steps()
            except Exception as exc:  # noqa: BLE001
                ended(w, None, exc)
                return
            except BaseException:
                w.session.close()
                raise
            ended(w, summary, None)

        def on_loop_done(w: LinkWorker) -> Callable[[Any, BaseException | None], None]:
            def done(value: Any, error: BaseException | None) -> None:
                try:
                    ended(w, value, error)
                finally:
                    pending.release()
            return done

        on_loop = [(w, w.hub) for w in chosen if w.hub is not None]
        pending = threading.Semaphore(0)
        for w, hub in on_loop:
            # the cycle itself is the task, its end handled by the loop's callback: no wrapping
            # generator for every read to pass through (issue 12)
            hub.spawn(w._cycle_steps(), on_loop_done(w))
        threads = [threading.Thread(target=run_sync, args=(run_steps(w),), name=f"poll-once-{w.plan.name}")
                   for w in chosen if w.hub is None]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for _w in on_loop:
            pending.acquire()
        total = CycleSummary(seconds=time.monotonic() - start)
        for w in chosen:
            total.add(results[w.plan.link_id])
        return total

    def start(self) -> None:
        for w in self.workers:
            w.start()

    def stop(self) -> None:
        for w in self.workers:
            w._stop.set()
            w.wake()
        for w in self.workers:
            w.stop()

    def wake(self) -> None:
        for w in self.workers:
            w.wake()

    def worker_for_meter(self, meter_id: int) -> LinkWorker | None:
        return next((w for w in self.workers if meter_id in w._by_id), None)

    def read_many(self, meter_ids: Iterable[int]) -> int:
        """点抄 of several meters: each worker given its own at once and woken once; returns how
        many of them this poller reads."""
        wanted = set(meter_ids)
        queued = 0
        for w in self.workers:
            mine = [m for m in w._by_id if m in wanted]
            if mine:
                w.read_many(mine)
                queued += len(mine)
        return queued


def _describe(exc: BaseException) -> str:
    """One line for a failure: a CommsError's own message; otherwise its kind and text."""
    if isinstance(exc, CommsError):
        return str(exc)
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
