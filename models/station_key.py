"""The station key: the secret that keys the operation log's chain and signs backups.

It is kept OUTSIDE the database, in the station's config folder (station.key, 0600, the folder
0700 on Linux; on Windows the user's profile folder's ACL protects it), so someone who can
write the database cannot recompute the chain. It is created by `db upgrade` / the first start
(ensure()); everywhere else a missing key is an error (load()). Stations sharing one database
server share the key: copy station.key from the first station's config folder.

    key = load()                        # bytes; DatabaseError if there is no key
    mac(key, b"...")                    # HMAC-SHA256, hex
"""
from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from models.errors import DatabaseError
from resources.i18n import _

FILE_NAME = "station.key"
_cache: dict[Path, bytes] = {}


def key_path() -> Path:
    from models.station_paths import config_dir

    return config_dir() / FILE_NAME


def _read(path: Path) -> bytes:
    text = path.read_text(encoding="ascii").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 32:
        raise DatabaseError(_("The station key {path} is damaged; restore it from where you keep a copy")
                            .format(path=path))
    return key


def load() -> bytes:
    """The station key; DatabaseError when the file is missing or damaged."""
    path = key_path()
    cached = _cache.get(path)
    if cached is not None and path.exists():
        return cached
    try:
        key = _read(path)
    except FileNotFoundError:
        raise DatabaseError(_("There is no station key at {path}: copy station.key from the station that "
                              "keeps this database's log (or run 'meterstation db upgrade' on a new "
                              "station)").format(path=path)) from None
    except OSError as exc:
        raise DatabaseError(_("Cannot read the station key {path}: {reason}")
                            .format(path=path, reason=exc.strerror or exc)) from None
    _cache[path] = key
    return key


def ensure() -> bytes:
    """The station key, created (random, 0600) when there is none yet."""
    path = key_path()
    if path.exists():
        return load()
    path.parent.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        os.chmod(path.parent, 0o700)
    tmp = path.with_name(f".{FILE_NAME}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, secrets.token_hex(32).encode("ascii") + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)                  # never replaces a key another process just made
    except FileExistsError:
        pass
    except OSError:
        if not path.exists():
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return load()


def mac(key: bytes, data: bytes) -> str:
    return hmac.digest(key, data, "sha256").hex()


def key_id(key: bytes) -> str:
    """A short public name of the key (which key wrote a log), not the key."""
    return mac(key, b"meterstation key id")[:16]
