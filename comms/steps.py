"""Steps: the poller's work written once, run by a blocking thread or by the TCP event loop.

A routine read (driver.read_steps, LinkWorker._read_steps, the cycle and the service loop) is a
generator that yields what it waits for instead of waiting:

    Exchange(channel, request, extractor, match, timeout, retries)  -> the reply frame
    Call(fn, *args)          -> fn(*args): blocking work (an outbox command, the outbox's
                                database) - on a worker thread when the event loop runs it
    Wait(event, seconds)     -> the service loop idles until the event is set or the time passes
                                (cleared after); Pause(event, seconds) likewise, not cleared

run_sync(steps) runs them in the calling thread: Exchange is Channel.exchange (blocking), Call a
plain call, Wait event.wait. comms/links/tcp_loop.py runs the same generators for every tcp:// link on
one selector thread. An exception raised by a step is thrown back into the generator at the
yield, so `try/except` around `yield` reads like the blocking code it replaces.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from comms.interfaces import FrameExtractor

T = TypeVar("T")

# A steps generator that returns T: it yields steps (Exchange, Call, Wait) and is sent back what
# each step gave (the reply frame, the call's value, whether the event was set).
Steps = Generator[Any, Any, T]


class Exchange:
    """One request/reply on a Channel (comms.links.transaction.Channel.exchange's arguments)."""
    __slots__ = ("channel", "request", "extractor", "match", "timeout", "retries")

    def __init__(self, channel: Any, request: bytes, extractor: FrameExtractor, match: Callable[[bytes], bool],
                 timeout: float, retries: int) -> None:
        self.channel = channel
        self.request = request
        self.extractor = extractor
        self.match = match
        self.timeout = timeout
        self.retries = retries


class Call:
    """Blocking work done outside the event loop."""
    __slots__ = ("fn", "args")

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        self.fn = fn
        self.args = args


class Wait:
    """Idle until `event` is set or `seconds` pass; `clear` the event afterwards."""
    __slots__ = ("event", "seconds", "clear")

    def __init__(self, event: threading.Event, seconds: float, clear: bool = True) -> None:
        self.event = event
        self.seconds = seconds
        self.clear = clear


def run_sync(steps: Steps[T]) -> T:
    """Run a steps generator in this thread (blocking) and return its value."""
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            step = steps.throw(error) if error is not None else steps.send(value)
        except StopIteration as done:
            result: T = done.value      # the generator's return value (StopIteration types it Any)
            return result
        value, error = None, None
        try:
            value = do_blocking(step)
        except Exception as exc:  # noqa: BLE001 - thrown back into the generator at its yield
            error = exc


def do_blocking(step: Any) -> Any:
    if type(step) is Exchange:
        return step.channel.exchange(step.request, step.extractor, step.match, step.timeout,
                                     step.retries)
    if type(step) is Call:
        return step.fn(*step.args)
    if type(step) is Wait:
        got = step.event.wait(step.seconds)
        if step.clear:
            step.event.clear()
        return got
    raise TypeError(f"not a step: {step!r}")
