"""One translation catalog for the whole station, usable without Qt.

Message ids are English; catalogs map them to other languages. zh_CN is the default
language. Catalog files live in resources/i18n/<lang>/*.json, one file per area of the code
(foundation.json, billing.json, comms.json, ...), merged at load, so parts of the code base can
add their strings without touching each other's files.

    from resources.i18n import _
    raise InvalidInput(_("Amount {amount} is out of range").format(amount=text))
"""
from __future__ import annotations

import json
import threading

from resources import path

DEFAULT_LANG = "zh_CN"
LANGS = ("zh_CN", "en")

_lock = threading.Lock()
_lang = DEFAULT_LANG
_catalogs: dict[str, dict[str, str]] = {}


def load_catalog(lang: str) -> dict[str, str]:
    """The merged catalog of one language (empty for English, the source language)."""
    with _lock:
        if lang not in _catalogs:
            merged: dict[str, str] = {}
            folder = path("i18n", lang)
            if folder.is_dir():
                for f in sorted(folder.iterdir(), key=lambda t: t.name):
                    if f.name.endswith(".json"):
                        merged.update(json.loads(f.read_text(encoding="utf-8")))
            _catalogs[lang] = merged
        return _catalogs[lang]


def set_language(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(LANGS)}")
    global _lang
    _lang = lang


def language() -> str:
    return _lang


def _(msgid: str) -> str:
    """Translate msgid into the current language; unknown ids come back unchanged."""
    if _lang == "en":
        return msgid
    return load_catalog(_lang).get(msgid, msgid)


def N_(msgid: str) -> str:
    """Mark a string for translation without translating it now (tables of labels)."""
    return msgid
