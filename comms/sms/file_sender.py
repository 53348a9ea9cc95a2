"""An SMS "sender" for sites without a modem: each message becomes one JSON line in a file.

    FileSender("/srv/sms-out").send("+8613800138000", "余额不足")
    # appends {"at": "2026-11-21T08:00:00+00:00", "phone": "...", "text": "..."} to
    # /srv/sms-out/sms-2026-11-21.jsonl (one file per UTC day), flushed and fsynced

Another program (a mail gateway, an SMS web service script) picks the lines up from there.
"""
from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

from comms.errors import LinkError
from resources.i18n import _

_lock = threading.Lock()


class FileSender:
    def __init__(self, folder: str | os.PathLike[str]) -> None:
        if not str(folder).strip():
            raise LinkError(_("No folder is set for SMS files (setting sms.file_dir)"))
        self.folder = Path(folder)

    def __enter__(self) -> FileSender:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def send(self, phone: str, text: str, *, reference: int | None = None,
             now: datetime | None = None) -> list[int]:
        when = now or datetime.now(UTC)
        line = json.dumps({"at": when.isoformat(), "phone": phone, "text": text, "reference": reference},
                          ensure_ascii=False)
        path = self.folder / f"sms-{when:%Y-%m-%d}.jsonl"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with _lock, open(path, "a", encoding="utf-8") as f:
                f.write(line + "\n")
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            raise LinkError(_("Cannot write the SMS file {path}: {reason}").format(path=path, reason=exc)) from None
        return []
