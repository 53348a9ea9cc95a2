"""The GSM modem sender against the simulated modem on a pseudo-terminal; the file sender."""
from __future__ import annotations

import json
import time

import pytest

from comms.errors import LinkError
from comms.simulator.modem import SimulatedModem
from comms.sms.file_sender import FileSender
from comms.sms.modem import ModemNoReply, ModemRejected, ModemSender, SmsError, parse_port
from models.errors import PermissionDenied


@pytest.fixture
def modem():
    with SimulatedModem() as m:
        yield m


def test_sends_chinese_and_ascii_in_pdu_mode(modem):
    with ModemSender(modem.url, timeout=2) as sender:
        assert sender.send("+8613800138000", "您的电费余额不足，请及时充值。") == [1]
        assert sender.send("13800138000", "Balance low [A-1]") == [2]
    assert modem.messages == [("+8613800138000", "您的电费余额不足，请及时充值。"),
                              ("13800138000", "Balance low [A-1]")]
    assert modem.commands[:3] == ["AT", "ATE0", "AT+CMGF=0"]
    assert modem.commands[3] == "AT+CMGS=45"          # 15 header octets + 15 chars × 2


def test_long_message_is_sent_in_parts_and_reassembled(modem):
    text = "尊敬的客户：您的账户余额已不足二十元，为避免停电，请尽快到物业服务中心或通过微信缴费。" * 4
    refs = ModemSender(modem.url, timeout=2).send("+8613800138000", text, reference=9)
    assert len(refs) == 3 == len(modem.parts)
    assert {p.reference for p in modem.parts} == {9}
    assert modem.messages == [("+8613800138000", text)]


def test_plain_device_path_and_baud():
    assert parse_port("serial:///dev/ttyUSB0?baud=9600") == ("/dev/ttyUSB0", 9600)
    assert parse_port("/dev/ttyUSB1", 115200) == ("/dev/ttyUSB1", 115200)
    assert parse_port("serial://COM3") == ("COM3", 115200)
    with pytest.raises(LinkError):
        parse_port("")


def test_modem_answering_error(modem):
    modem.mode = "error"
    with pytest.raises(ModemRejected) as err:
        ModemSender(modem.url, timeout=2).send("13800138000", "hello")
    assert "ERROR" in str(err.value)
    assert modem.messages == []


def test_modem_answering_cms_error(modem):
    modem.mode, modem.cms_code = "cms", 331
    with pytest.raises(ModemRejected) as err:
        ModemSender(modem.url, timeout=2).send("13800138000", "你好")
    assert err.value.code == 331 and "331" in str(err.value) and "no network service" in str(err.value)
    modem.mode = "ok"                                   # the same modem recovers
    assert ModemSender(modem.url, timeout=2).send("13800138000", "你好") == [1]


def test_silent_modem_times_out(modem):
    modem.mode = "silent"
    started = time.monotonic()
    with pytest.raises(ModemNoReply):
        ModemSender(modem.url, timeout=0.5).send("13800138000", "hello")
    assert time.monotonic() - started < 3


def test_modem_silent_after_the_pdu_times_out(modem):
    with ModemSender(modem.url, timeout=3, send_timeout=0.5) as sender:
        modem.mode = "no_confirm"
        started = time.monotonic()
        with pytest.raises(ModemNoReply):
            sender.send("13800138000", "hello")
        assert time.monotonic() - started < 2.5            # the send timeout, not the command one
    assert modem.messages == []


def test_missing_port_is_a_link_error(tmp_path):
    with pytest.raises(LinkError):
        ModemSender(str(tmp_path / "no-such-tty"), timeout=0.5).send("10086", "x")


def test_unencodable_number_is_refused_before_the_port(modem):
    with pytest.raises(SmsError):
        ModemSender(modem.url).send("not a number", "x")
    assert modem.commands == []


def test_simulator_refuses_outside_test_mode(monkeypatch):
    monkeypatch.delenv("METERSTATION_TEST_MODE")
    with pytest.raises(PermissionDenied):
        SimulatedModem()


def test_file_sender_writes_one_json_line_per_message(tmp_path):
    folder = tmp_path / "sms"
    sender = FileSender(folder)
    with sender:
        sender.send("+8613800138000", "余额不足")
        sender.send("13800138000", "second\nline")
    [f] = list(folder.iterdir())
    lines = [json.loads(x) for x in f.read_text(encoding="utf-8").splitlines()]
    assert [(x["phone"], x["text"]) for x in lines] == [("+8613800138000", "余额不足"), ("13800138000", "second\nline")]
    assert f.name.startswith("sms-") and f.name.endswith(".jsonl")


def test_file_sender_needs_a_folder():
    with pytest.raises(LinkError):
        FileSender("")


def test_modem_left_at_the_prompt_recovers(modem):
    with ModemSender(modem.url, timeout=3, send_timeout=0.5) as sender:
        sender._write(b"AT+CMGS=19\r")          # a run that died at the "> " prompt
        time.sleep(0.1)
    assert ModemSender(modem.url, timeout=3).send("+8613800138000", "你好") == [1]
    assert modem.messages == [("+8613800138000", "你好")]
