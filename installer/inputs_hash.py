"""The hash of everything a frozen build is made from: the station's sources and data files, the
spec and build script, pyproject.toml, the Python version and every installed distribution with
its version. installer/build.sh stores it next to the build (dist/meterstation/.inputs-hash) and
skips the build when it matches; the frozen-program test relies on that to build once.

    python installer/inputs_hash.py            prints the hash
"""
from __future__ import annotations

import hashlib
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("app.py", "pyproject.toml", "installer/meterstation.spec", "installer/build.sh",
           "installer/bundle_check.py", "installer/inputs_hash.py",
           "ui", "models", "comms", "billing", "archive", "access", "station", "printing", "resources")
SKIP_PARTS = {"__pycache__", "screenshots"}


def source_files(root: Path = ROOT) -> list[Path]:
    files: list[Path] = []
    for name in SOURCES:
        p = root / name
        if p.is_file():
            files.append(p)
        elif p.is_dir():
            files += [f for f in p.rglob("*") if f.is_file() and not SKIP_PARTS & set(f.relative_to(root).parts)
                      and not f.name.endswith((".pyc", ".pyo"))]
    return sorted(files)


def inputs_hash(root: Path = ROOT) -> str:
    h = hashlib.sha256()
    h.update(sys.version.encode())
    for dist in sorted(f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions()):
        h.update(dist.encode() + b"\n")
    for f in source_files(root):
        h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:20]


if __name__ == "__main__":
    print(inputs_hash())
