"""COM port names in link URLs (Windows sites): serial://COM3?baud=2400&parity=E and the forms
people type for it all reach pyserial as "COM3"; Linux device paths are untouched."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.errors import InvalidInput
from models.link_urls import parse_link_url


def test_com_port_with_settings():
    spec = parse_link_url("serial://COM3?baud=2400&parity=E")
    assert (spec.scheme, spec.port, spec.baud, spec.parity, spec.bytesize, spec.stopbits) == \
        ("serial", "COM3", 2400, "E", 8, 1)


@pytest.mark.parametrize("url, port", [
    ("serial://COM3", "COM3"),
    ("serial://com3?baud=9600&parity=N", "COM3"),
    ("serial:///COM3", "COM3"),                # three slashes, as for /dev/ttyUSB0
    ("serial://COM3:?baud=2400", "COM3"),      # the DOS spelling with a colon
    ("serial:COM12", "COM12"),
    (r"serial://\\.\COM12?baud=1200&parity=O", "COM12"),   # the Win32 device path of COM10+
    ("serial:///dev/ttyUSB0?baud=2400&parity=E", "/dev/ttyUSB0"),
    ("serial:///dev/ttyS1", "/dev/ttyS1"),
    ("serial:///dev/serial/by-id/usb-FTDI_COM3-if00", "/dev/serial/by-id/usb-FTDI_COM3-if00"),
])
def test_serial_port_names(url, port):
    assert parse_link_url(url).port == port


def test_com_port_settings_still_checked():
    with pytest.raises(InvalidInput):
        parse_link_url("serial://COM3?baud=fast")
    with pytest.raises(InvalidInput):
        parse_link_url("serial://COM3?parity=X")


@given(n=st.integers(min_value=1, max_value=256), lower=st.booleans(), slashes=st.sampled_from(["//", "///", ""]),
       baud=st.sampled_from([1200, 2400, 4800, 9600]), parity=st.sampled_from("NEO"))
def test_any_com_port(n, lower, slashes, baud, parity):
    name = f"com{n}" if lower else f"COM{n}"
    spec = parse_link_url(f"serial:{slashes}{name}?baud={baud}&parity={parity}")
    assert (spec.port, spec.baud, spec.parity) == (f"COM{n}", baud, parity)
