"""Meter protocols as pure functions over bytes (no I/O): DL/T 645, CJ/T 188, Modbus RTU
frames and register values, Modbus device profiles, BCD and stream framing."""
