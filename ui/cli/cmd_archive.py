"""`link`, `meter`, `customer`, `building`, `floor`, `room` and `archive` — the archive (档案).

    link add NAME URL [--protocol P]          link list [--json]
    meter add NUMBER --link NAME --address ADDR [--protocol P] [--profile NAME] [--kind K]
              [--room BUILDING/FLOOR/NUMBER] [--ct N] [--initial READING] [--install-date D]
              [--option KEY=VALUE ...]
    meter set NUMBER --option KEY=VALUE [...]   per-meter options (KEY= removes one; see models/meter_options.py)
    meter tag NUMBER TAG... [--untag TAG...]    TAG is KIND:NAME (line|department|area|other) or a name
    meter import FILE | meter export FILE | meter list [--json] [--building B] [--link L] ...
    customer add NAME [--phone] [--id-number] [--type] [--json]   customer list [TEXT] [--json]
    building add NAME [--site S] | building list [--json]
    floor add BUILDING NAME [--level N]      room add BUILDING FLOOR NUMBER [--area M2] [--people N]
    archive export FILE.xlsx|FOLDER          archive import FILE.xlsx|FILE.csv|FOLDER

A failed import prints every bad row on stderr (one line each), then the summary, and exits 1
with nothing imported.
"""
from __future__ import annotations

import sys
from pathlib import Path

from archive import places, query
from archive import service as svc
from archive.files import export_archive, import_archive
from archive.importing import ImportFailed
from models import station_files
from models.meter_options import parse_items, shown
from resources.i18n import _
from ui.cli.context import CliContext


def register(sub) -> None:
    _links(sub)
    _meters(sub)
    _customers(sub)
    _places(sub)
    p = sub.add_parser("archive", help=_("import or export the whole archive"))
    s = p.add_subparsers(dest="archive_command", required=True, metavar="ACTION")
    e = s.add_parser("export", help=_("write buildings, links, meters and customers to .xlsx or a folder of .csv"))
    e.add_argument("file")
    e.add_argument("--force", action="store_true", help=_("replace the file if it exists"))
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=export_, kinds=None)
    i = s.add_parser("import", help=_("read an .xlsx, a .csv or a folder of .csv; all rows or nothing"))
    i.add_argument("file")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=import_, kind=None)


def _links(sub) -> None:
    p = sub.add_parser("link", help=_("links: serial ports and TCP converters"))
    s = p.add_subparsers(dest="link_command", required=True, metavar="ACTION")
    a = s.add_parser("add", help=_("add a link"))
    a.add_argument("name")
    a.add_argument("url", help="serial:///dev/ttyUSB0?baud=2400&parity=E | tcp://HOST:PORT | modbus-tcp://HOST:PORT")
    a.add_argument("--protocol", default="dlt645-2007", help=_("default protocol of its meters"))
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=link_add)
    ls = s.add_parser("list", help=_("list links"))
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=link_list)


def _meters(sub) -> None:
    p = sub.add_parser("meter", help=_("the meter archive"))
    s = p.add_subparsers(dest="meter_command", required=True, metavar="ACTION")
    a = s.add_parser("add", help=_("add a meter"))
    a.add_argument("number")
    a.add_argument("--link", required=True)
    a.add_argument("--address", required=True, help=_("nameplate address, or the Modbus unit id"))
    a.add_argument("--protocol", help="dlt645-2007 | dlt645-1997 | cjt188 | modbus")
    a.add_argument("--profile", default="", help=_("Modbus register profile"))
    a.add_argument("--kind", help="electricity | water | gas | heat")
    a.add_argument("--room", help=_("BUILDING/FLOOR/NUMBER, or a room number no other room has"))
    a.add_argument("--ct", default="1", help=_("current transformer ratio"))
    a.add_argument("--initial", default="0", help=_("initial reading (kWh or m³)"))
    a.add_argument("--install-date", help="YYYY-MM-DD")
    _option_arg(a)
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=meter_add)
    st = s.add_parser("set", help=_("change a meter's options (password, operator code, meter type, timeout...)"))
    st.add_argument("number")
    _option_arg(st)
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=meter_set)
    tg = s.add_parser("tag", help=_("add tags to a meter, or take them off with --untag"))
    tg.add_argument("number")
    tg.add_argument("tags", nargs="*", metavar="TAG", help=_("KIND:NAME (line, department, area, other) or a name"))
    tg.add_argument("--untag", nargs="+", action="extend", default=[], metavar="TAG", help=_("tags to take off"))
    tg.add_argument("--json", action="store_true")
    tg.set_defaults(func=meter_tag)
    i = s.add_parser("import", help=_("import meters from .xlsx or .csv; all rows or nothing"))
    i.add_argument("file")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=import_, kind="meters")
    e = s.add_parser("export", help=_("export meters to .xlsx or .csv"))
    e.add_argument("file")
    e.add_argument("--force", action="store_true", help=_("replace the file if it exists"))
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=export_, kinds=("meters",))
    ls = s.add_parser("list", help=_("list meters"))
    for opt in ("--building", "--floor", "--link", "--kind", "--state", "--tag"):
        ls.add_argument(opt)
    ls.add_argument("--search", help=_("part of the number, address or room"))
    ls.add_argument("--limit", type=int)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=meter_list)


def _option_arg(p) -> None:
    from models.meter_options import option_keys

    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help=_("a meter option, repeatable; KEY= removes it. Keys: {keys}").format(
                       keys=", ".join(option_keys())))


def _customers(sub) -> None:
    p = sub.add_parser("customer", help=_("customers (users and merchants)"))
    s = p.add_subparsers(dest="customer_command", required=True, metavar="ACTION")
    a = s.add_parser("add", help=_("add a customer"))
    a.add_argument("name")
    a.add_argument("--phone", default="")
    a.add_argument("--id-number", default="")
    a.add_argument("--type", default="resident", help="resident | merchant | office | school | other")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=customer_add)
    ls = s.add_parser("list", help=_("find customers by name or phone"))
    ls.add_argument("text", nargs="?", default="")
    ls.add_argument("--limit", type=int, default=50)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=customer_list)


def _places(sub) -> None:
    b = sub.add_parser("building", help=_("buildings"))
    bs = b.add_subparsers(dest="building_command", required=True, metavar="ACTION")
    ba = bs.add_parser("add", help=_("add a building"))
    ba.add_argument("name")
    ba.add_argument("--site")
    ba.add_argument("--json", action="store_true")
    ba.set_defaults(func=building_add)
    bl = bs.add_parser("list", help=_("list buildings"))
    bl.add_argument("--json", action="store_true")
    bl.set_defaults(func=building_list)
    f = sub.add_parser("floor", help=_("floors"))
    fs = f.add_subparsers(dest="floor_command", required=True, metavar="ACTION")
    fa = fs.add_parser("add", help=_("add a floor to a building"))
    fa.add_argument("building")
    fa.add_argument("name")
    fa.add_argument("--level", type=int, help=_("sort order (default: the number in the name)"))
    fa.add_argument("--json", action="store_true")
    fa.set_defaults(func=floor_add)
    r = sub.add_parser("room", help=_("rooms and shops"))
    rs = r.add_subparsers(dest="room_command", required=True, metavar="ACTION")
    ra = rs.add_parser("add", help=_("add a room or shop"))
    ra.add_argument("building")
    ra.add_argument("floor")
    ra.add_argument("number")
    ra.add_argument("--name", default="")
    ra.add_argument("--area", default="", help=_("floor area in m²"))
    ra.add_argument("--people", default="")
    ra.add_argument("--json", action="store_true")
    ra.set_defaults(func=room_add)


def _done(ctx: CliContext, obj: dict, text: str) -> int:
    if ctx.json:
        ctx.emit(obj)
    else:
        ctx.say(text)
    return 0


def link_add(ctx: CliContext, args) -> int:
    link_id = svc.add_link(ctx.db(), ctx.actor(), args.name, args.url, args.protocol)
    return _done(ctx, {"link": link_id}, _("Link {name} added").format(name=args.name))


def link_list(ctx: CliContext, args) -> int:
    ctx.reader("report_view", "link.list")
    rows = query.list_links(ctx.db())
    if ctx.json:
        ctx.emit({"links": [{"name": k.name, "url": k.url, "protocol": k.protocol, "enabled": k.enabled,
                             "state": k.state, "meters": k.meters} for k in rows]})
        return 0
    for k in rows:
        ctx.say(f"{k.name:<16} {k.url:<40} {k.protocol:<12} {k.meters:>5}")
    return 0


def meter_add(ctx: CliContext, args) -> int:
    meter_id = svc.add_meter(ctx.db(), ctx.actor(), args.number, link=args.link, address=args.address,
                             protocol=args.protocol, profile=args.profile, kind=args.kind, room=args.room,
                             ct_ratio=args.ct, initial=args.initial, install_date=args.install_date,
                             options=parse_items(args.option))
    return _done(ctx, {"meter": args.number.strip(), "id": meter_id},
                 _("Meter {number} added").format(number=args.number.strip()))


def meter_set(ctx: CliContext, args) -> int:
    from models.errors import InvalidInput

    changes = parse_items(args.option)
    if not changes:
        raise InvalidInput(_("Give at least one --option KEY=VALUE"))
    db, actor = ctx.db(), ctx.actor()
    svc.update_meter(db, actor, args.number, options=changes)
    options = query.meter_options(db, args.number)
    return _done(ctx, {"meter": args.number.strip(), "options": shown(options)},
                 _("Meter {number} options: {options}").format(
                     number=args.number.strip(),
                     options=", ".join(f"{k}={v}" for k, v in shown(options).items()) or "—"))


def meter_tag(ctx: CliContext, args) -> int:
    from archive import rules
    from models.errors import InvalidInput

    if not args.tags and not args.untag:
        raise InvalidInput(_("Give the tags to add, or --untag with the tags to take off"))
    tags = svc.change_meter_tags(ctx.db(), ctx.actor(), args.number, add=rules.parse_tags(";".join(args.tags)),
                                 remove=rules.parse_tags(";".join(args.untag)))
    return _done(ctx, {"meter": args.number.strip(), "tags": tags},
                 _("Meter {number} tags: {tags}").format(number=args.number.strip(), tags=", ".join(tags) or "—"))


def meter_list(ctx: CliContext, args) -> int:
    actor = ctx.reader("report_view", "meter.list")
    rows = query.list_meters(ctx.db(), actor, building=args.building, floor=args.floor, link=args.link,
                             kind=args.kind, state=args.state, tag=args.tag, text=args.search, limit=args.limit)
    if ctx.json:
        ctx.emit({"meters": [{"number": m.number, "kind": m.kind, "protocol": m.protocol, "profile": m.profile,
                              "address": m.address, "link": m.link, "ct_ratio": m.ct_ratio,
                              "initial": f"{m.initial:f}", "install_date": m.install_date, "state": m.state,
                              "comm_state": m.comm_state, "building": m.building, "floor": m.floor,
                              "room": m.room, "tags": list(m.tags)} for m in rows], "count": len(rows)})
        return 0
    for m in rows:
        place = "/".join(x for x in (m.building, m.floor, m.room) if x)
        ctx.say(f"{m.number:<16} {m.kind:<11} {m.protocol:<12} {m.address:<14} {m.link:<12} {place:<20} {m.state}")
    return 0


def import_(ctx: CliContext, args) -> int:
    db, actor = ctx.db(), ctx.actor()
    try:
        counts = import_archive(db, actor, args.file, args.kind)
    except ImportFailed as e:
        for problem in e.problems:
            print(problem, file=sys.stderr)
        print(f"meterstation: {e}", file=sys.stderr)
        return 1
    text = ", ".join(f"{k} {v}" for k, v in counts.items() if v)
    return _done(ctx, {"imported": counts}, _("Imported: {counts}").format(counts=text or "0"))


def export_(ctx: CliContext, args) -> int:
    from archive.file_formats import CSV_NAMES

    kinds = args.kinds or ("places", "links", "meters", "customers")
    xlsx = None
    if Path(args.file).suffix.lower() == ".xlsx":       # (a CSV export does not load openpyxl: 20 MB)
        from printing.sheets import write_sheets_xlsx  # archive/ may not import printing/: handed in
        xlsx = write_sheets_xlsx
    if Path(args.file).suffix:
        station_files.output_path(args.file, url=ctx.url, force=args.force)
    else:
        station_files.output_folder(args.file, [CSV_NAMES[k] for k in kinds], url=ctx.url, force=args.force)
    counts = export_archive(ctx.db(), ctx.actor(), args.file, kinds, xlsx=xlsx)
    text = ", ".join(f"{k} {v}" for k, v in counts.items())
    return _done(ctx, {"exported": counts}, _("Exported to {file}: {counts}").format(file=args.file, counts=text))


def customer_add(ctx: CliContext, args) -> int:
    cid = svc.add_customer(ctx.db(), ctx.actor(), args.name, phone=args.phone, id_number=args.id_number,
                           type=args.type)
    return _done(ctx, {"customer": cid}, _("Customer {name} added with id {id}").format(name=args.name, id=cid))


def customer_list(ctx: CliContext, args) -> int:
    actor = ctx.reader("report_view", "customer.list")
    rows = query.search_customers(ctx.db(), args.text, limit=args.limit, actor=actor)
    if ctx.json:
        ctx.emit({"customers": [{"id": c.id, "name": c.name, "phone": c.phone, "id_number": c.id_number,
                                 "type": c.type} for c in rows]})
        return 0
    for c in rows:
        ctx.say(f"{c.id:>6} {c.name:<20} {c.phone:<16} {c.type}")
    return 0


def building_add(ctx: CliContext, args) -> int:
    bid = places.add_building(ctx.db(), ctx.actor(), args.name, args.site)
    return _done(ctx, {"building": bid}, _("Building {name} added with id {id}").format(name=args.name, id=bid))


def building_list(ctx: CliContext, args) -> int:
    rows = query.list_buildings(ctx.db(), ctx.reader("report_view", "building.list"))
    if ctx.json:
        ctx.emit({"buildings": [{"id": b.id, "name": b.name, "site_id": b.parent_id} for b in rows]})
        return 0
    for b in rows:
        ctx.say(f"{b.id:>5} {b.name}")
    return 0


def floor_add(ctx: CliContext, args) -> int:
    fid = places.add_floor(ctx.db(), ctx.actor(), args.building, args.name, args.level)
    return _done(ctx, {"floor": fid}, _("Floor {name} added").format(name=args.name))


def room_add(ctx: CliContext, args) -> int:
    rid = places.add_room(ctx.db(), ctx.actor(), args.building, args.floor, args.number, name=args.name,
                          area=args.area, people=args.people)
    return _done(ctx, {"room": rid}, _("Room {room} added").format(room=args.number))
