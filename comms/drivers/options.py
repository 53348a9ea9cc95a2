"""Per-meter options (MeterConfig.options) read by the drivers with defaults and clear errors.

Which options exist and their checks are vocabulary the archive needs too: models/meter_options.py.
"""
from __future__ import annotations

from comms.interfaces import MeterConfig
from models.errors import InvalidInput
from resources.i18n import _


def opt_str(config: MeterConfig, name: str, default: str) -> str:
    value = config.options.get(name)
    return default if value is None or str(value).strip() == "" else str(value).strip()


def opt_float(config: MeterConfig, name: str, default: float) -> float:
    text = opt_str(config, name, "")
    if not text:
        return default
    try:
        value = float(text)
        if value < 0:
            raise ValueError
    except ValueError:
        raise InvalidInput(_("Meter option {name}={value} is not a valid number")
                           .format(name=name, value=text)) from None
    return value


def opt_int(config: MeterConfig, name: str, default: int) -> int:
    text = opt_str(config, name, "")
    if not text:
        return default
    if not text.isdigit():
        raise InvalidInput(_("Meter option {name}={value} is not a valid number")
                           .format(name=name, value=text))
    return int(text)
