"""Importing and exporting the archive as files: the two entry points the CLI and the archive
page call. Reading and writing the file formats is archive/file_formats.py; checking and importing
rows archive/importing.py; exporting archive/exporting.py (both build on archive_io).
"""
from __future__ import annotations

from pathlib import Path

from archive.exporting import export_tables
from archive.file_formats import KINDS, XlsxWriter, read_tables
from archive.importing import import_tables
from models.db import Database
from models.rights import Actor


def import_archive(db: Database, actor: Actor, path: str | Path, kind: str | None = None) -> dict[str, int]:
    """Read path and import every row or nothing (see the module docstring); counts of what was
    added. Raises ImportFailed (an InvalidInput) listing every bad row."""
    return import_tables(db, actor, read_tables(path, kind), Path(path).name)


def export_archive(db: Database, actor: Actor, path: str | Path, kinds: tuple[str, ...] = KINDS, *,
                   xlsx: XlsxWriter | None = None) -> dict[str, int]:
    """Write the archive (or the chosen kinds) to path; counts per kind. `xlsx`: a faster .xlsx
    writer from the caller (the CLI passes printing.sheets.write_sheets_xlsx)."""
    return export_tables(db, actor, path, kinds, xlsx=xlsx)
