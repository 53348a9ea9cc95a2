"""Signed backups: HMAC-SHA256 over the backup file with the station key, kept beside it.

    sign(path, anchor)          # writes <path>.sig: {"hmac", "key_id", "oplog": {"seq", "hash"}}
    anchor = check(path)        # the chain head the backup was taken at; InvalidInput if forged

The signature also carries the backup's chain head (the anchor): a restore checks the backup's
log against it, and `log verify --anchor SEQ:HASH` can check the live log against any backup's.
Someone who edits the backup file, or writes a database of their own and calls it a backup,
cannot make a signature without the station key, which is kept outside the database.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path

from models import station_key
from models.errors import InvalidInput
from models.oplog import Anchor
from resources.i18n import _

SUFFIX = ".sig"


def sig_path(path: Path) -> Path:
    return path.with_name(path.name + SUFFIX)


def file_mac(key: bytes, path: Path) -> str:
    h = hmac.new(key, b"meterstation backup\x00", hashlib.sha256)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sign(path: Path, anchor: Anchor) -> Path:
    key = station_key.load()
    body = {"format": 1, "file": path.name, "hmac": file_mac(key, path), "key_id": station_key.key_id(key),
            "oplog": {"seq": anchor.seq, "hash": anchor.hash}}
    target = sig_path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, json.dumps(body, indent=1).encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, target)
    return target


def check(path: Path) -> Anchor:
    """The anchor of a backup whose signature holds; InvalidInput otherwise."""
    sig = sig_path(path)
    try:
        body = json.loads(sig.read_text(encoding="utf-8"))
        given, kid = str(body["hmac"]), str(body["key_id"])
        anchor = Anchor(int(body["oplog"]["seq"]), str(body["oplog"]["hash"]))
    except FileNotFoundError:
        raise InvalidInput(_("{path} has no signature ({sig}); an unsigned backup is not restored")
                           .format(path=path, sig=sig.name)) from None
    except (OSError, ValueError, KeyError, TypeError):
        raise InvalidInput(_("The signature {sig} is damaged; the backup is not restored").format(sig=sig)) from None
    key = station_key.load()
    if kid != station_key.key_id(key):
        raise InvalidInput(_("{path} was signed with another station key; copy that station's station.key to "
                             "restore it").format(path=path))
    if not hmac.compare_digest(given, file_mac(key, path)):
        raise InvalidInput(_("{path} does not match its signature (the file was changed after the backup); "
                             "it was not restored").format(path=path))
    return anchor
