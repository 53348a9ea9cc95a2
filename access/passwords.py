"""Salted, slow password hashes with hashlib.scrypt (no extra dependency).

Stored form: scrypt$n$r$p$salt_hex$hash_hex. n=2**14, r=8, p=1 takes about 50 ms and 16 MiB,
slow enough for stolen hashes, fast enough for a login.
"""
from __future__ import annotations

import hashlib
import hmac
import os

N, R, P, DKLEN = 2 ** 14, 8, 1, 32
MIN_LENGTH = 6


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=N, r=R, p=P, dklen=DKLEN)
    return f"scrypt${N}${R}${P}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n),
                             r=int(r), p=int(p), dklen=len(digest) // 2, maxmem=64 * 1024 * 1024)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)
