"""Ledger notes in words. A few services store a fixed English note on an entry ("account
closed"); entries are never edited, so the note is translated where it is shown. Any other note
(a refund reason, a transfer note the operator typed, an already translated text) is shown as
it is.

    note_text("account closed") -> "销户结清"
    operator_text("system")     -> "系统自动"
"""
from __future__ import annotations

from resources.i18n import N_, _

NOTES = {
    "account closed": N_("Settled at account closing"),
}


def operator_text(name: str) -> str:
    """The operator of an entry as shown: the station's own service ("system") in words."""
    return _("System (automatic)") if name == "system" else name


def note_text(note: str) -> str:
    msgid = NOTES.get((note or "").strip())
    return _(msgid) if msgid else (note or "")
