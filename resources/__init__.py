"""Data files of the station (translation catalogs, fonts, device profiles, templates).

Everything here is loaded through importlib.resources so it also works from a frozen build.
"""
from importlib import resources as _res
from importlib.resources.abc import Traversable


def path(*parts: str) -> Traversable:
    """A Traversable for a file or folder under resources/."""
    node = _res.files(__name__)
    for p in parts:
        node = node / p
    return node


def profile_names() -> list[str]:
    """Names of the shipped device profiles (resources/profiles/*.json without .json), sorted:
    the vocabulary the archive checks a meter's profile against and comms loads profiles by."""
    folder = path("profiles")
    return sorted(f.name[:-5] for f in folder.iterdir() if f.name.endswith(".json"))
