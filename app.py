"""MeterStation entry point: `meterstation` opens the station's windows, `meterstation
COMMAND` runs a command (see `meterstation --help` and ../shared/docs/cli.md)."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from models import settings
    from resources import i18n
    from ui.cli import parse_args, run

    argv = sys.argv[1:] if argv is None else argv
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
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
