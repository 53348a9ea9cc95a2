"""`screenshot DIR [--demo]`: every main page and the login dialog as PNG, offscreen."""
from __future__ import annotations

import argparse

from resources.i18n import _
from ui.cli.context import CliContext


def register(sub) -> None:
    p = sub.add_parser("screenshot", help=_("render every page and the login dialog to PNG files"))
    p.add_argument("dir")
    p.add_argument("--demo", action="store_true", default=argparse.SUPPRESS, help=_("fill the pages with demo data"))
    p.set_defaults(func=screenshot)


def screenshot(ctx: CliContext, args) -> int:
    from ui.screenshot import render_all

    files = render_all(args.dir, demo=bool(getattr(args, 'demo', False)), url=None if args.demo else ctx.url)
    for f in files:
        ctx.say(str(f))
    return 0
