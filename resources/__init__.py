"""Data files of the station (translation catalogs, fonts, device profiles, templates).

Everything here is loaded through importlib.resources so it also works from a frozen build.
"""
from importlib import resources as _res


def path(*parts: str):
    """A Traversable for a file or folder under resources/."""
    node = _res.files(__name__)
    for p in parts:
        node = node / p
    return node
