"""Who may see the operation log: search it, export it, read its chain head.

Every front end (CLI `log show|export|head`, the Settings → Operation log page) reads the log
through here, so the `log_view` right is checked once, in the service. A refusal is logged
(models.audit.require_read) like any other service's; an export is logged too (`log.export`, with
the row count and the filters), a plain search or head is not (reading leaves no trace, as
with reports).

The export's file writer is handed in by the caller (`write`): access/ builds on models alone
(import-linter contract in pyproject.toml), so it may not import printing/. The CLI passes
printing.oplog_export.export_log; the page passes its own writer that shows actions in words.
The writer runs inside the service, after the check, so no front end can write a file first.
`log verify` (the integrity check) is not a read of the rows and stays open to every caller.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from models import oplog
from models.audit import record, require_read
from models.db import Database
from models.errors import InvalidInput, PermissionDenied, StationError
from models.rights import Actor
from resources.i18n import _

RIGHT = "log_view"

# write(session, path, **filters) -> rows written
Writer = Callable[..., int]


def _require(db: Database, actor: Actor, action: str, target: str = "") -> None:
    """The check of every read service (models.audit.require_read): a refusal is logged as
    denied in a write transaction of its own; on success nothing is written here."""
    if not isinstance(actor, Actor):        # the type says Actor; a front end passing None is refused
        raise PermissionDenied(_("Reading the operation log needs an operator with the right to view it"))
    require_read(db, actor, RIGHT, action, target)


def search(db: Database, actor: Actor, *, limit: int | None = 200, **filters: Any) -> list[oplog.OpLogEntry]:
    """Log rows matching models.oplog.search's filters, newest first (detached: read them freely)."""
    _require(db, actor, "log.show")
    with db.read() as s:
        rows = list(oplog.search(s, limit=limit, **filters))
        s.expunge_all()
    return rows


def head(db: Database, actor: Actor) -> oplog.Anchor:
    """The chain head (SEQ:HASH) to keep outside the database."""
    _require(db, actor, "log.head")
    with db.read() as s:
        return oplog.head_anchor(s)


def export(db: Database, actor: Actor, path: str | Path, *, write: Writer, **filters: Any) -> int:
    """Stream the rows matching `filters` to `path` with `write(session, path, **filters)`;
    log `log.export` with the row count and the filters; return the count.

    The file and its `log.export` row agree: the rows are written to a temporary file beside
    `path` (from a read transaction: no write lock is held while a year of log streams out),
    then the row is appended and committed, and only then is the temporary file renamed onto
    `path` (one rename in the same folder). A file that cannot be written leaves no row; a
    commit that fails removes the temporary file, so no file appears without its row."""
    _require(db, actor, "log.export", str(path))
    target = Path(path)
    _check_target(target)
    # the writer picks the format by the suffix, so the temporary name keeps it
    tmp = target.with_name(f".{target.stem}.{uuid.uuid4().hex}.partial{target.suffix}")
    try:
        with db.read() as s:
            n = write(s, tmp, **filters)
        _check_target(target)           # still a place a file can be renamed to, just before the commit
        with db.write() as s:
            record(s, actor, "log.export", str(target), {"rows": n, "filters": _shown(filters)})
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:
        os.replace(tmp, target)
    except OSError as e:         # the row is committed: keep the file, under the name it has
        raise StationError(_("The log export was written and logged, but could not be renamed to {file}: "
                              "{reason}; it is in {tmp}").format(file=target, reason=e, tmp=tmp)) from e
    return n


def _check_target(target: Path) -> None:
    """What would make the final rename fail, found before the commit: the target is a folder,
    or its folder is missing."""
    if target.is_dir() or not target.parent.is_dir():
        raise InvalidInput(_("Cannot write {file}: not a file in an existing folder").format(file=target))


def _shown(filters: dict[str, Any]) -> dict[str, Any]:
    """The filters that were set, as JSON-friendly values."""
    out: dict[str, Any] = {}
    for k, v in filters.items():
        if v is None:
            continue
        if isinstance(v, datetime):
            out[k] = v.isoformat(timespec="seconds")
        elif isinstance(v, list | tuple | set | frozenset):
            out[k] = sorted(str(x) for x in v)
        else:
            out[k] = v if isinstance(v, int | str | bool) else str(v)
    return out
