"""Sending the due SMS notices: billing/notices.py decides what is sent and keeps the outbox rows;
this joins it to the senders of comms/sms (a GSM modem on a serial port, or a folder of files).
It lives above both because billing never talks to a device.

    send_due_notices(db, now)            # due "sms" items -> the sender named by sms.sender
    make_sender("modem" | "file")        # the sender a setting names (None for "none")

The rules of a run (claims with a lease, one attempt per claimed item, a modem that stops
answering stops the batch and the untried items go back to pending) are stated in
billing/notices.py.
"""
from __future__ import annotations

from datetime import datetime
from typing import Protocol

from billing import notices
from comms.errors import CommsError, LinkError
from comms.sms.modem import ModemNoReply
from models import settings
from models.db import Database


class Sender(Protocol):
    def __enter__(self) -> Sender: ...

    def __exit__(self, *exc: object) -> None: ...

    def send(self, phone: str, text: str, *, reference: int | None = None) -> list[int]: ...


def make_sender(kind: str | None = None) -> Sender | None:
    """The sender configured in sms.sender (None for "none")."""
    kind = kind or notices.sender_kind()
    if kind == "modem":
        from comms.sms.modem import ModemSender

        return ModemSender(str(settings.get_local("sms.port")), int(settings.get_local("sms.baud")))
    if kind == "file":
        from comms.sms.file_sender import FileSender

        folder = str(settings.get_local("sms.file_dir"))
        if not folder:
            from models.station_paths import data_dir

            folder = str(data_dir() / "sms-outbox")
        return FileSender(folder)
    return None


def send_due_notices(db: Database, now: datetime, sender: Sender | None = None, *,
                     operator: str = "system") -> notices.NoticeRun:
    """Send the due "sms" items with `sender` (default: the one configured in sms.sender); the
    log rows name `operator` (the runtime passes its service identity)."""
    run = notices.NoticeRun()
    if sender is None:
        if notices.sender_kind() == "none":
            return run
        try:
            sender = make_sender()
        except CommsError as exc:      # no port / folder configured: every due item fails this run
            sender, setup_error = None, exc
        else:
            setup_error = None
    else:
        setup_error = None
    station = notices.station_name()
    claimed = notices.claim_due(db, now, station, run, operator=operator)
    if not claimed:
        return run
    if sender is None:
        for item_id, _phone, _text in claimed:
            notices.record_outcome(db, now, station, item_id, setup_error, [], run, operator=operator)
        return run
    done: set[int] = set()
    try:
        with sender:
            for item_id, phone, text in claimed:
                try:
                    refs = sender.send(phone, text, reference=item_id % 256)
                except (ModemNoReply, LinkError) as exc:     # the modem/port is down: stop here
                    done.add(item_id)
                    notices.record_outcome(db, now, station, item_id, exc, [], run, operator=operator)
                    break
                except CommsError as exc:                    # this message refused: go on
                    done.add(item_id)
                    notices.record_outcome(db, now, station, item_id, exc, [], run, operator=operator)
                    continue
                done.add(item_id)
                notices.record_outcome(db, now, station, item_id, None, list(refs or []), run, operator=operator)
    except CommsError as exc:                                # opening the modem failed
        for item_id, _phone, _text in claimed:
            if item_id not in done:
                done.add(item_id)
                notices.record_outcome(db, now, station, item_id, exc, [], run, operator=operator)
    finally:
        notices.release(db, now, [i for i, _p, _t in claimed if i not in done], run)
    return run
