"""Register words <-> exact Decimal values, and grouping quantities into few read requests.

Words are combined into bytes with pymodbus's own converter (ModbusClientMixin
.convert_from_registers / convert_to_registers, the same code its clients use). A float32 becomes
a Decimal through the shortest decimal text that maps back to the same 32 bits (0x43663334 ->
"230.2", never Decimal(230.1999969482422)), then times the scale, then rounded to the profile's
decimals. Integers are scaled exactly.
"""
from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import Literal, cast

from pymodbus.client.mixin import ModbusClientMixin

from comms.errors import ProtocolError
from comms.protocols.modbus_profiles import RegisterSpec
from models.errors import InvalidInput
from resources.i18n import _

DATATYPE = ModbusClientMixin.DATATYPE
_TYPES = {"uint16": DATATYPE.UINT16, "int16": DATATYPE.INT16, "uint32": DATATYPE.UINT32,
          "int32": DATATYPE.INT32, "float32": DATATYPE.FLOAT32}
_CTX = Context(prec=80)
WordOrder = Literal["big", "little"]


def words_to_int(words: Sequence[int], kind: str, word_order: str = "big") -> int:
    value = ModbusClientMixin.convert_from_registers(list(words), _TYPES[kind],
                                                     word_order=cast(WordOrder, word_order))
    return int(value)  # type: ignore[arg-type]


def int_to_words(value: int, kind: str, word_order: str = "big") -> list[int]:
    """Registers for an integer; InvalidInput when it does not fit the type."""
    try:
        return ModbusClientMixin.convert_to_registers(value, _TYPES[kind],
                                                      word_order=cast(WordOrder, word_order))
    except struct.error:
        raise InvalidInput(_("{value} does not fit in a {type} register").format(
            value=value, type=kind)) from None


def float32_text(words: Sequence[int], word_order: str = "big") -> str:
    """Shortest decimal text that reads back as the same float32, e.g. "230.2"."""
    value = float(ModbusClientMixin.convert_from_registers(  # type: ignore[arg-type]
        list(words), DATATYPE.FLOAT32, word_order=cast(WordOrder, word_order)))
    if not math.isfinite(value):
        raise ProtocolError(_("The meter returned a value that is not a number"))
    packed = struct.pack(">f", value)
    for digits in range(1, 10):
        text = f"{value:.{digits}g}"
        if struct.pack(">f", float(text)) == packed:
            return format(Decimal(text), "f")     # plain notation: "-100", not "-1e+02"
    return repr(value)  # unreachable: 9 significant digits always round-trip a float32


def decode_value(spec: RegisterSpec, words: Sequence[int]) -> Decimal | str:
    """The quantity's value from its registers: a Decimal, or a state string for `states`."""
    if len(words) != spec.count:
        raise ProtocolError(_("The meter returned {got} registers for {name}, expected "
                              "{count}").format(got=len(words), name=spec.name,
                                                count=spec.count))
    if spec.type == "float32":
        raw = Decimal(float32_text(words, spec.word_order))
    else:
        number = words_to_int(words, spec.type, spec.word_order)
        if spec.states is not None:
            if number not in spec.states:
                raise ProtocolError(_("The meter returned {value} for {name}, which is not a "
                                      "known state").format(value=number, name=spec.name))
            return spec.states[number]
        raw = Decimal(number)
    value = _CTX.multiply(raw, spec.scale)
    value = value.quantize(Decimal(1).scaleb(-spec.decimals), rounding=ROUND_HALF_EVEN,
                           context=_CTX)
    return abs(value) if value.is_zero() else value       # no "-0.0"


def encode_value(spec: RegisterSpec, value: Decimal | str) -> list[int]:
    """Registers holding `value` (simulators and tests; a meter's side of decode_value)."""
    if spec.states is not None:
        raw = {state: key for key, state in spec.states.items()}.get(str(value))
        if raw is None:
            raise InvalidInput(_("{value} is not a state of {name}").format(
                value=value, name=spec.name))
        return int_to_words(raw, spec.type, spec.word_order)
    number = _CTX.divide(Decimal(value), spec.scale)
    if spec.type == "float32":
        return ModbusClientMixin.convert_to_registers(float(number), DATATYPE.FLOAT32,
                                                      word_order=cast(WordOrder, spec.word_order))
    if number != number.to_integral_value():
        raise InvalidInput(_("{value} is not a whole multiple of {scale} for {name}").format(
            value=value, scale=spec.scale, name=spec.name))
    return int_to_words(int(number), spec.type, spec.word_order)


@dataclass(frozen=True)
class ReadGroup:
    """One read request: `count` registers from `address` with function 3 or 4."""
    function: int
    address: int
    count: int
    members: tuple[RegisterSpec, ...]

    def slice(self, spec: RegisterSpec, words: Sequence[int]) -> list[int]:
        offset = spec.address - self.address
        return list(words[offset:offset + spec.count])


def plan_reads(specs: Sequence[RegisterSpec], max_registers: int = 120,
               max_gap: int = 0) -> list[ReadGroup]:
    """Fewest requests covering specs: same function, at most max_gap unread registers
    between neighbours, at most max_registers per request."""
    groups: list[ReadGroup] = []
    unique = {(s.name, s.function, s.address): s for s in specs}.values()
    ordered = sorted(unique, key=lambda s: (s.function, s.address, s.count))
    current: list[RegisterSpec] = []
    for spec in ordered:
        if current:
            first, end = current[0], max(s.end for s in current)
            if (spec.function == first.function and spec.address <= end + max_gap
                    and max(end, spec.end) - first.address <= max_registers):
                current.append(spec)
                continue
            groups.append(_group(current))
        current = [spec]
    if current:
        groups.append(_group(current))
    return groups


def _group(members: list[RegisterSpec]) -> ReadGroup:
    start = members[0].address
    return ReadGroup(members[0].function, start, max(s.end for s in members) - start,
                     tuple(members))
