"""The command line: `meterstation [--db URL] [--lang zh_CN|en] [--demo] COMMAND ...`.

Each command group lives in its own module with a `register(subparsers)` function. COMMANDS
names every command, the module that registers it and its one-line help, in the order of
`meterstation --help`: `--help` is built from this table alone and only the chosen command's
module is imported (a test keeps the table equal to what the modules register). Handlers take
(CliContext, args) and return the exit code. The contract is ../shared/docs/cli.md.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from resources import i18n
from resources.i18n import N_, _

# (command, module ui.cli.cmd_<module>, help) — a new command: a row here and in its module
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("db", "db", N_("database schema")),
    ("operator", "operator", N_("operators and their rights")),
    ("role", "operator", N_("roles an administrator defines")),
    ("log", "log", N_("the operation log")),
    ("settings", "settings", N_("station and business settings")),
    ("read", "comms", N_("read a meter now")),
    ("control", "comms", N_("send a relay or valve command and confirm it")),
    ("poll", "comms", N_("poll the meters (--once: one pass, then exit)")),
    ("simulate", "comms", N_("run a bus of simulated meters (tests, demos, or an administrator)")),
    ("screenshot", "screenshot", N_("render every page and the login dialog to PNG files")),
    ("account", "billing", N_("open, show and close accounts")),
    ("sell", "billing", N_("sell to an account (by amount, or by energy with --energy)")),
    ("refund", "billing", N_("refund the account's own money (never subsidy)")),
    ("reverse", "billing", N_("reverse (冲正) the sale of a receipt")),
    ("reprint", "billing", N_("reprint a receipt as a copy (same number)")),
    ("shift", "billing", N_("open and close the cashier's shift")),
    ("tariff", "billing", N_("tariff plans")),
    ("link", "archive", N_("links: serial ports and TCP converters")),
    ("meter", "archive", N_("the meter archive")),
    ("customer", "archive", N_("customers (users and merchants)")),
    ("building", "archive", N_("buildings")),
    ("floor", "archive", N_("floors")),
    ("room", "archive", N_("rooms and shops")),
    ("archive", "archive", N_("import or export the whole archive")),
    ("backup", "backup", N_("back the database up into FILE (the station keeps working)")),
    ("restore", "backup", N_("replace the database with the backup FILE (stop the station first)")),
    ("report", "report", N_("reports: to Excel (--xlsx), JSON or a table")),
    ("bill", "bills", N_("postpaid bills: print, reprint and list them")),
    ("recompute", "corrections", N_("recompute settled consumption charges of a period with the "
                                    "corrected tiered pricing; post one adjustment per account")),
    ("service", "service", N_("install, remove or show the headless polling service")),
    ("timed", "timed", N_("timed remote control: switch a meter group off and on at set times")),
    ("schedule", "schedule", N_("reading schedules: when the meters (or a meter group) are read")),
    ("alarm-threshold", "alarm_threshold", N_("power-quality alarm limits of all meters, a group or a meter")),
)

# every command module, in the order they register
COMMAND_MODULES = list(dict.fromkeys(f"ui.cli.cmd_{module}" for _name, module, _help in COMMANDS))


def _global_options(parser: argparse.ArgumentParser, *, sub: bool) -> None:
    default = argparse.SUPPRESS if sub else None
    parser.add_argument("--db", metavar="URL", default=default,
                        help=_("database URL (sqlite:///file.db, postgresql+psycopg://..., mssql+pyodbc://...)"))
    parser.add_argument("--operator", metavar="NAME", default=default,
                        help=_("act as this operator (password from METERSTATION_PASSWORD or stdin)"))


# argparse's own words (Python 3.11's argparse.py): what a person typing a command can meet.
# argparse asks its module's `_` (gettext) for each when it needs it; _in_our_language points it
# at the station's catalog, so "缺少必需的参数：account" is said, not argparse's English inside a
# Chinese line. Python ships no catalog for argparse; an id a later Python words differently
# stays English.
ARGPARSE_WORDS = (
    N_("usage: "), N_("positional arguments"), N_("options"), N_("show this help message and exit"),
    N_("argument %(argument_name)s: %(message)s"), N_("unrecognized arguments: %s"),
    N_("not allowed with argument %s"), N_("ignored explicit argument %r"),
    N_("the following arguments are required: %s"), N_("one of the arguments %s is required"),
    N_("expected one argument"), N_("expected at most one argument"), N_("expected at least one argument"),
    N_("expected %s argument"), N_("expected %s arguments"),
    N_("ambiguous option: %(option)s could match %(matches)s"), N_("unexpected option string: %s"),
    N_("invalid %(type)s value: %(value)r"), N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("can't open '%(filename)s': %(error)s"),
)


def _in_our_language() -> None:
    argparse._ = _                                                   # type: ignore[attr-defined]
    argparse.ngettext = lambda one, many, n: _(one if n == 1 else many)   # type: ignore[attr-defined]


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


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser for argv: every command listed from COMMANDS, the chosen command (the first
    word of argv that names one) built in full by its module. Without argv every module is
    imported (the whole parser, as tests and the frozen-bundle check want it)."""
    _in_our_language()
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
    chosen = None if argv is None else _chosen_module(parser, argv)
    loaded: set[str] = set()
    for name, module, text in COMMANDS:
        if argv is None or module == chosen:
            if module not in loaded:
                loaded.add(module)
                importlib.import_module(f"ui.cli.cmd_{module}").register(sub)
        else:   # listed only: not the command of argv
            stub = original(name, help=_(text), add_help=False)
            stub.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
            stub.set_defaults(unloaded_command=True)
    return parser


def parse_args(argv: list[str]) -> argparse.Namespace:
    """argv parsed by the parser of its command (see build_parser)."""
    args = build_parser(argv).parse_args(argv)
    if getattr(args, "unloaded_command", False):     # a form _chosen_module did not foresee
        args = build_parser().parse_args(argv)
    return args


def _chosen_module(parser: argparse.ArgumentParser, argv: list[str]) -> str | None:
    """The module of the command argv names, found by parsing the global options the way the
    full parser does (so `--db sell sell ...` names `sell` once); None without a command."""
    probe = argparse.ArgumentParser(add_help=False)
    for action in parser._actions:
        if action.option_strings and action.dest != "help":
            probe.add_argument(*action.option_strings, dest=action.dest,
                               nargs=0 if action.nargs == 0 else None, action=_Ignore)
    probe.add_argument("rest", nargs=argparse.REMAINDER)
    try:
        rest = probe.parse_known_args(argv)[0].rest
    except SystemExit:
        return None
    word = rest[0] if rest else None
    return next((module for name, module, _help in COMMANDS if name == word), None)


class _Ignore(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        pass


def _error_log(exc: BaseException) -> str:
    """Write the traceback of an unexpected error to the log folder; return the file name."""
    import traceback

    from models.station_paths import log_dir, private_dir, private_file

    folder = log_dir()
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
    import logging

    from models.errors import StationError
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
