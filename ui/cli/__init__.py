"""The command line: `meterstation [--db URL] [--lang zh_CN|en] [--demo] COMMAND ...`.

Each command group lives in its own module with a `register(subparsers)` function; add new
modules to COMMAND_MODULES. Handlers take (CliContext, args) and return the exit code. The
contract is ../shared/docs/cli.md.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import traceback

from models.errors import StationError
from resources import i18n
from resources.i18n import _

COMMAND_MODULES = [
    "ui.cli.cmd_db",
    "ui.cli.cmd_operator",
    "ui.cli.cmd_log",
    "ui.cli.cmd_settings",
    "ui.cli.cmd_comms",
    "ui.cli.cmd_screenshot",
    "ui.cli.cmd_billing",
    "ui.cli.cmd_archive",
    "ui.cli.cmd_backup",
    "ui.cli.cmd_report",
    "ui.cli.cmd_bills",
    "ui.cli.cmd_corrections",
    "ui.cli.cmd_service",
    "ui.cli.cmd_timed",
    "ui.cli.cmd_alarm_threshold",
]


def _global_options(parser: argparse.ArgumentParser, *, sub: bool) -> None:
    default = argparse.SUPPRESS if sub else None
    parser.add_argument("--db", metavar="URL", default=default,
                        help=_("database URL (sqlite:///file.db, postgresql+psycopg://..., mssql+pyodbc://...)"))
    parser.add_argument("--operator", metavar="NAME", default=default,
                        help=_("act as this operator (password from METERSTATION_PASSWORD or stdin)"))


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line, translated usage error (exit 2)."""

    def error(self, message: str):  # noqa: D401
        self.exit(2, f"{self.prog}: {_('usage error')}: {message}\n")


def _demo_meters(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 144 <= n <= 100_000:
        raise argparse.ArgumentTypeError(_("the demo holds 144 to 100000 meters, not {text}").format(text=text))
    return n


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="meterstation",
                     description=_("MeterStation: prepaid and postpaid metering station"))
    _global_options(parser, sub=False)
    parser.add_argument("--lang", choices=i18n.LANGS, help=_("language (default zh_CN)"))
    parser.add_argument("--demo", action="store_true", help=_("open a fresh demo station with simulated meters"))
    parser.add_argument("--demo-meters", type=_demo_meters, metavar="N",
                        help=_("open the demo station with N simulated meters (implies --demo; at least 144)"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    common = _Parser(add_help=False)
    _global_options(common, sub=True)
    original = sub.add_parser

    def add_parser(name, **kw):
        kw.setdefault("parents", [common])
        return original(name, **kw)

    sub.add_parser = add_parser  # every subcommand also accepts --db/--operator after its name
    for mod in COMMAND_MODULES:
        importlib.import_module(mod).register(sub)
    return parser


def _error_log(exc: BaseException) -> str:
    """Write the traceback of an unexpected error to the log folder; return the file name."""
    import platformdirs
    from pathlib import Path

    from models.station_files import private_dir, private_file

    folder = Path(platformdirs.user_log_dir("MeterStation", appauthor=False))
    try:
        private_dir(folder)
        path = folder / "errors.log"
        fd = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)   # tracebacks may hold data
        with os.fdopen(fd, "a", encoding="utf-8") as f:
            f.write("".join(traceback.format_exception(exc)))
        private_file(path)
        return str(path)
    except OSError:
        return "-"


def run(args: argparse.Namespace) -> int:
    from ui.cli.context import CliContext

    ctx = CliContext(args)
    try:
        return int(args.func(ctx, args) or 0)
    except StationError as e:
        print(f"meterstation: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `meterstation ... | head`: the reader left before the end; stdout is gone, so it goes to
        # /dev/null (else Python's own flush at exit prints a second traceback)
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        print(_("meterstation: the output was closed before it was complete (broken pipe)"), file=sys.stderr)
        return 1
    except Exception as e:  # a bug: one line for the user, the traceback to the log file
        logging.getLogger(__name__).debug("unexpected", exc_info=True)
        print(_("meterstation: internal error ({kind}); details in {file}").format(
            kind=type(e).__name__, file=_error_log(e)), file=sys.stderr)
        return 1
    finally:
        ctx.close()
