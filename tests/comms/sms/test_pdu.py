"""SMS-SUBMIT PDUs: known-good hex, both alphabets, concatenation, and the decoder."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comms.sms.pdu import (
    GSM7_BASIC,
    GSM7_EXT,
    PduError,
    decode_submit,
    encode_number,
    encode_submit,
    is_gsm7,
    pack_septets,
)


def test_gsm7_known_good_pdu():
    # The classic example (dreamfabric "SMS and the PDU format"): "hellohello" to +46708251358,
    # validity AA (4 days): 23 octets after the SMSC part.
    assert encode_submit("+46708251358", "hellohello", validity=0xAA) == [
        ("0011000B916407281553F80000AA0AE8329BFD4697D9EC37", 23)]


def test_ucs2_chinese_hand_checked():
    # 你好 = U+4F60 U+597D; +8613800138000 -> 13 digits, 0x91, 68 31 08 10 83 00 F0
    # 00 SMSC | 11 SUBMIT+VPF relative | 00 MR | 0D 91 683108108300F0 | 00 PID | 08 UCS-2 |
    # A7 24 h | 04 UDL | 4F60 597D
    pdu, length = encode_submit("+8613800138000", "你好")[0]
    assert pdu == "0011000D91683108108300F00008A7044F60597D"
    assert length == 19 == len(pdu) // 2 - 1
    msg = decode_submit(pdu)
    assert (msg.number, msg.text, msg.dcs, msg.parts) == ("+8613800138000", "你好", 8, 1)


def test_national_number_and_odd_digits():
    assert encode_number("13800138000").hex().upper() == "0B813108108300F0"
    assert encode_number("+86 138-0013-8000").hex().upper() == "0D91683108108300F0"
    assert decode_submit(encode_submit("13800138000", "Hi")[0][0]).number == "13800138000"
    for bad in ("", "+", "12ab", "1" * 21):
        with pytest.raises(PduError):
            encode_number(bad)


def test_gsm7_extension_characters_take_two_septets():
    [(pdu, _n)] = encode_submit("+8613800138000", "[1]€")
    msg = decode_submit(pdu)
    assert msg.text == "[1]€" and msg.dcs == 0
    # TPDU octet 14 is the UDL (after 15 header octets for a 13-digit number, counted from 0):
    # '[' 2 + '1' 1 + ']' 2 + '€' 2 = 7 septets
    assert int(pdu[2 + 2 * 14:2 + 2 * 15], 16) == 7


def test_single_part_limits():
    assert len(encode_submit("10086", "a" * 160)) == 1
    assert len(encode_submit("10086", "a" * 161)) == 2
    assert len(encode_submit("10086", "电" * 70)) == 1
    assert len(encode_submit("10086", "电" * 71)) == 2
    assert len(encode_submit("10086", "[" * 80)) == 1     # 160 septets
    assert len(encode_submit("10086", "[" * 81)) == 2


def test_concatenated_gsm7_parts_have_udh_and_fill_bits():
    parts = encode_submit("+8613800138000", "x" * 200, reference=0x42)
    assert len(parts) == 2
    first_pdu, first_len = parts[0]
    assert first_pdu[2:4] == "51"                         # SUBMIT, VPF relative, UDHI
    assert first_len == 155                               # 15 header octets + 140 user data
    body = first_pdu[2 + 2 * 15:]
    assert body[:12] == "050003420201"                    # UDH: IEI 00, ref 0x42, 2 parts, part 1
    decoded = [decode_submit(p) for p, _n in parts]
    assert [(m.reference, m.parts, m.seq) for m in decoded] == [(0x42, 2, 1), (0x42, 2, 2)]
    assert [len(m.text) for m in decoded] == [153, 47]
    assert "".join(m.text for m in decoded) == "x" * 200


def test_concatenated_ucs2_and_no_split_escape_or_surrogate():
    text = "尊敬的用户，您的电费余额不足，请及时充值。" * 8          # 168 characters
    parts = encode_submit("+8613800138000", text, reference=7)
    assert len(parts) == 3 and all(n <= 140 + 15 for _p, n in parts)
    assert "".join(decode_submit(p).text for p, _n in parts) == text
    tricky = "a" * 152 + "[" + "b" * 10                   # the escape pair may not straddle parts
    got = [decode_submit(p).text for p, _n in encode_submit("10086", tricky)]
    assert got[0] == "a" * 152 and "".join(got) == tricky
    emoji = "电" * 66 + "😀" + "费" * 10                    # the surrogate pair stays whole
    got = [decode_submit(p).text for p, _n in encode_submit("10086", emoji)]
    assert got[0] == "电" * 66 and "".join(got) == emoji


def test_pack_septets_matches_the_standard():
    assert pack_septets([0x68, 0x65]).hex().upper() == "E832"
    assert pack_septets([0x68], fill_bits=1).hex().upper() == "D0"


def test_decoder_rejects_garbage():
    for bad in ("", "zz", "00", "0001000B91", "0011000D91683108108300F00008A7104F60"):
        with pytest.raises(PduError):
            decode_submit(bad)


_gsm_chars = st.sampled_from(sorted(set(GSM7_BASIC.replace("\x1b", "")) | set(GSM7_EXT)))


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(_gsm_chars, min_size=1, max_size=400),
                 st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=300)))
def test_round_trip(text):
    parts = encode_submit("+8613800138000", text, reference=3)
    decoded = [decode_submit(p) for p, _n in parts]
    assert "".join(m.text for m in decoded) == text
    assert all(n <= 140 + 15 for _p, n in parts)
    assert all(m.dcs == (0 if is_gsm7(text) else 8) for m in decoded)
