"""The company logo shown on the login screen: an image the administrator picks, copied into the
station's config folder (so it survives the original being moved) and named by the station
setting company.logo.

    target = copy_logo("/media/usb/logo.png")      # -> <config>/company-logo.png
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from models.errors import InvalidInput
from resources.i18n import _

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
MAX_BYTES = 5 * 1024 * 1024


def copy_logo(source: str | os.PathLike[str]) -> Path:
    """Check the image file and copy it atomically to the config folder; returns the copy."""
    from models.settings import config_dir

    src = Path(source)
    suffix = src.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise InvalidInput(_("The logo must be an image file ({suffixes})").format(
            suffixes=", ".join(IMAGE_SUFFIXES)))
    try:
        size = src.stat().st_size
    except OSError:
        raise InvalidInput(_("There is no file {path}").format(path=src)) from None
    if not 0 < size <= MAX_BYTES:
        raise InvalidInput(_("The logo file must be smaller than 5 MB"))
    folder = config_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"company-logo{suffix}"
    if src.resolve() == target.resolve():
        return target
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".logo-", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as out, src.open("rb") as inp:
            shutil.copyfileobj(inp, out)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    for old in folder.glob("company-logo.*"):          # a logo of another type is replaced
        if old != target:
            old.unlink(missing_ok=True)
    return target
