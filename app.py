"""MeterStation entry point: `meterstation` opens the station's windows, `meterstation
COMMAND` runs a command (see `meterstation --help` and ../shared/docs/cli.md)."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--runtime-child"]:      # the window's runtime process: before any Qt import
        from station import runtime_child

        return runtime_child.main()
    if argv[:1] == ["--simulator-process"]:     # the demo's simulated meters (comms/simulator/process.py)
        from comms.simulator.process import serve

        serve()                                 # never returns
    from models import settings
    from resources import i18n
    from ui.cli import parse_args, run

    # the language must be known before --help texts are built
    lang = settings.get_local("station.language")
    if "--lang" in argv and argv.index("--lang") + 1 < len(argv):
        lang = argv[argv.index("--lang") + 1]
    if lang in i18n.LANGS:
        i18n.set_language(lang)
    args = parse_args(argv)
    if args.command is None:
        from ui.gui_main import run_gui

        return run_gui(args)
    code = run(args)
    _finished_command[:] = [code]
    return code


_finished_command: list[int] = []      # set when a command (not the windows) has run to its end


def exit_after_command(code: int) -> None:
    """End the process of a finished command (or of --help) without tearing the interpreter down.

    Python's own exit unloads every module and collects the heap: after a sale that is
    ≈ 0.2 s of CPU (a quarter of the command; tests/benchmarks/bench_cli.py) spent freeing
    what the process gives back anyway. A command has closed its database and files by the
    time run() returns; the log handlers and the standard streams are flushed here. Only when
    no other thread is left (a command that left one running gets the ordinary exit)."""
    import logging
    import os
    import threading

    if threading.active_count() != 1:
        sys.exit(code)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):           # a closed pipe: nothing more can be said
            code = code or 1
    os._exit(code)


if __name__ == "__main__":
    try:
        status = main()
    except SystemExit as stop:              # argparse's --help and usage errors (exit 0 / 2)
        if stop.code is not None and not isinstance(stop.code, int):
            raise
        exit_after_command(stop.code or 0)
    if _finished_command:
        exit_after_command(status)
    sys.exit(status)
