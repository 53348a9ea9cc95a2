"""Is a frozen build complete? Compares the source tree with the one-folder bundle:

- every module of the station's packages (ui, models, comms, billing, printing, resources and
  app.py) is in the bundle's PYZ archive: modules loaded by name (ui.cli.cmd_*, billing.notices,
  comms.sms.*) would otherwise only fail when a cashier reaches them;
- every data file (translation catalogs, the font, device profiles, the migrations) is in the
  bundle with the same bytes, and Qt's own Chinese translations and offscreen platform plugin are.

    python installer/bundle_check.py dist/meterstation      exit 0 complete, 1 with what is missing

installer/build.sh runs it after every build; tests/installer/test_frozen.py runs it too.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ui", "models", "comms", "billing", "archive", "access", "station", "printing", "resources")
DATA = ("resources/i18n", "resources/fonts", "resources/profiles", "models/migrations")
QT_FILES = ("PySide6/Qt/translations/qtbase_zh_CN.qm", "PySide6/Qt/plugins/platforms/libqoffscreen.so")


def executable(bundle: Path) -> Path:
    for name in ("meterstation-cli.exe", "meterstation.exe", "meterstation"):
        if (bundle / name).is_file():
            return bundle / name
    raise FileNotFoundError(f"no meterstation executable in {bundle}")


def source_modules(root: Path = ROOT) -> set[str]:
    """Dotted names of every module of the station's packages (migrations are data, not modules)."""
    names = {"app"}
    for pkg in PACKAGES:
        for f in (root / pkg).rglob("*.py"):
            rel = f.relative_to(root).with_suffix("")
            if "migrations" in rel.parts or "__pycache__" in rel.parts:
                continue
            parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
            names.add(".".join(parts))
    return names


def bundled_modules(bundle: Path) -> set[str]:
    """Module names in the executable's archive and its PYZ."""
    from PyInstaller.archive.readers import CArchiveReader

    archive = CArchiveReader(str(executable(bundle)))
    names = set(archive.toc)
    for entry in list(archive.toc):
        if entry.endswith(".pyz"):
            names |= set(archive.open_embedded_archive(entry).toc)
    return names


def data_files(root: Path = ROOT) -> list[Path]:
    out = []
    for folder in DATA:
        out += [f.relative_to(root) for f in (root / folder).rglob("*")
                if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc"]
    return sorted(out)


def missing(bundle: Path, root: Path = ROOT) -> list[str]:
    """What the bundle lacks, one line each (empty: complete)."""
    bundle = Path(bundle)
    internal = bundle / "_internal" if (bundle / "_internal").is_dir() else bundle
    problems = [f"module {m}" for m in sorted(source_modules(root) - bundled_modules(bundle))]
    for rel in data_files(root):
        there = internal / rel
        if not there.is_file():
            problems.append(f"data file {rel.as_posix()}")
        elif there.read_bytes() != (root / rel).read_bytes():
            problems.append(f"data file {rel.as_posix()} differs from the source")
    qt_files = QT_FILES
    if sys.platform == "win32":      # PySide6 on Windows: no Qt/ level, plugins are qNAME.dll
        qt_files = tuple(q.replace("PySide6/Qt/", "PySide6/").replace("/libqoffscreen.so", "/qoffscreen.dll")
                         for q in QT_FILES)
    problems += [f"Qt file {q}" for q in qt_files if not (internal / q).is_file()]
    return problems


def main(argv: list[str]) -> int:
    bundle = Path(argv[0]) if argv else ROOT / "dist" / "meterstation"
    problems = missing(bundle)
    for p in problems:
        print(f"bundle_check: missing {p}", file=sys.stderr)
    if not problems:
        print(f"bundle_check: {bundle} has every module and data file", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
