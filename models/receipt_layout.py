"""The administrator-adjustable layout of the three-part receipt, stored as JSON.

A ``ReceiptLayout`` says which paper to print on, the titles, company name and footer, and which
body fields are shown, in which order, under which label. Every text left empty means "the
translated default", so a default layout prints in whatever language the station runs; a text
the administrator types is printed exactly as typed.

Papers:

* ``continuous-241x93`` — dot-matrix continuous three-part form, 241 x 93 mm, one ply per page
  (three pages). The side margins leave the tractor-feed strips free.
* ``a4`` — the three parts stacked on one A4 page, separated by dashed cut lines.

Always printed whatever the layout says: company name (when one is set), receipt number, station,
time, ply label, 重打 (reprint) mark, the 冲正 (reversal) mark and, on a reversal, the original
receipt number. Body fields: customer, account number, building, room/shop, meters, unit price
(or tariff name), payment method, amount, quantity, amount in words, balance, reference.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from models.errors import InvalidInput
from resources.i18n import N_, _

LAYOUT_VERSION = 1
KINDS = ("sale", "refund", "reversal", "account_open", "account_close")

# body fields in their default order: key -> default label (msgid)
FIELD_LABELS = {
    "customer": N_("Customer"),
    "account": N_("Account No."),
    "building": N_("Building"),
    "room": N_("Room/Shop"),
    "meters": N_("Meter No."),
    "unit_price": N_("Unit price"),
    "payment_method": N_("Payment method"),
    "amount": N_("Amount"),
    "quantity": N_("Quantity"),
    "amount_capitals": N_("Amount in words"),
    "balance_after": N_("Balance after"),
    "reference": N_("Reference"),
    "original_receipt_no": N_("Original receipt No."),
    "extra": "",
}
WIDE_FIELDS = ("amount_capitals", "extra")   # these take a whole row of the grid

DEFAULT_TITLES = {
    "sale": N_("Payment Receipt"),
    "refund": N_("Refund Receipt"),
    "reversal": N_("Reversal Receipt"),
    "account_open": N_("Account Opening Receipt"),
    "account_close": N_("Account Closing Receipt"),
}
PLY_LABELS = (N_("Stub"), N_("Customer part"), N_("Accounting part"))
PLY_NUMBERS = (N_("Part 1"), N_("Part 2"), N_("Part 3"))


@dataclass(frozen=True)
class Paper:
    """Page size and how the three parts sit on it (all in mm)."""

    width: float
    height: float
    parts_per_page: int          # 1: one ply per page; 3: all plies stacked on one page
    margin_x: float
    margin_y: float


PAPERS = {
    "continuous-241x93": Paper(241.0, 93.0, 1, margin_x=13.0, margin_y=5.0),
    "a4": Paper(210.0, 297.0, 3, margin_x=10.0, margin_y=7.0),
}


@dataclass
class FieldSpec:
    """One body field: shown or not, and its label ("" = the translated default)."""

    key: str
    label: str = ""
    show: bool = True

    def text(self) -> str:
        return self.label or _(FIELD_LABELS[self.key])


def default_fields() -> list[FieldSpec]:
    return [FieldSpec(k) for k in FIELD_LABELS]


@dataclass
class ReceiptLayout:
    """What the administrator can adjust; ``to_json``/``from_json`` store it."""

    paper: str = "continuous-241x93"
    company_name: str = ""                                   # "" = the company in the data
    titles: dict[str, str] = field(default_factory=dict)     # kind -> title; missing = default
    ply_labels: list[str] = field(default_factory=list)      # 3 texts; empty = defaults
    footer: str = ""
    font_size: float = 9.0                                   # body text in pt
    fields: list[FieldSpec] = field(default_factory=default_fields)

    def __post_init__(self) -> None:
        self.fields = [f if isinstance(f, FieldSpec) else FieldSpec(**f) for f in self.fields]
        if self.paper not in PAPERS:
            raise InvalidInput(_("Unknown paper {paper}; choose one of {choices}").format(
                paper=self.paper, choices=", ".join(PAPERS)))
        unknown = set(self.titles) - set(KINDS)
        if unknown:
            raise InvalidInput(_("Titles for unknown receipt kinds: {kinds}").format(
                kinds=", ".join(sorted(unknown))))
        if self.ply_labels and len(self.ply_labels) != 3:
            raise InvalidInput(
                _("The ply labels need exactly three texts, or none for the defaults"))
        size = self.font_size
        if isinstance(size, bool) or not isinstance(size, (int, float)) or not 6 <= size <= 14:
            raise InvalidInput(_("The font size must be between 6 and 14 pt"))
        keys = [f.key for f in self.fields]
        bad = [k for k in keys if k not in FIELD_LABELS]
        if bad:
            raise InvalidInput(_("Unknown receipt fields: {fields}").format(fields=", ".join(bad)))
        if len(set(keys)) != len(keys):
            raise InvalidInput(_("A receipt field is listed twice"))
        # fields missing from a stored layout (added in a later version) are appended, shown
        self.fields += [FieldSpec(k) for k in FIELD_LABELS if k not in keys]

    @property
    def geometry(self) -> Paper:
        return PAPERS[self.paper]

    def title(self, kind: str) -> str:
        return self.titles.get(kind) or _(DEFAULT_TITLES[kind])

    def ply_label(self, index: int) -> tuple[str, str]:
        """(ordinal, name) of ply 0..2, e.g. ("第一联", "存根联")."""
        name = self.ply_labels[index] if self.ply_labels else _(PLY_LABELS[index])
        return _(PLY_NUMBERS[index]), name

    def visible(self) -> list[FieldSpec]:
        return [f for f in self.fields if f.show]

    def to_dict(self) -> dict[str, Any]:
        return {"version": LAYOUT_VERSION, **asdict(self)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReceiptLayout:
        data = dict(data)
        version = data.pop("version", LAYOUT_VERSION)
        if version > LAYOUT_VERSION:
            raise InvalidInput(
                _("Receipt layout version {version} is newer than this program").format(
                    version=version))
        known = set(cls.__dataclass_fields__)
        extra = set(data) - known
        if extra:
            raise InvalidInput(_("Unknown receipt layout settings: {names}").format(
                names=", ".join(sorted(extra))))
        try:
            return cls(**data)
        except TypeError as exc:     # a field entry with unknown or missing keys
            raise InvalidInput(_("Malformed receipt layout: {error}").format(error=exc)) from exc

    @classmethod
    def from_json(cls, text: str) -> ReceiptLayout:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InvalidInput(_("Malformed receipt layout: {error}").format(error=exc)) from exc
        if not isinstance(data, dict):
            raise InvalidInput(
                _("Malformed receipt layout: {error}").format(error=type(data).__name__))
        return cls.from_dict(data)


def stored_layout(paper: str, company: str, stored: str) -> ReceiptLayout:
    """The layout to print with: the stored texts and fields (setting receipt.layout, JSON; ""
    = defaults), on the paper of setting receipt.paper, with the company name of setting
    company.name unless the layout names its own."""
    layout = ReceiptLayout.from_json(stored) if stored else ReceiptLayout()
    layout.paper = paper if paper in PAPERS else layout.paper
    layout.company_name = layout.company_name or company
    return layout
