"""Simulated RS485 field devices on real Modbus framing: an RTU line served on a pseudo-terminal (what the edge
opens like /dev/ttyUSB0) or over TCP (RTU-over-TCP converters), a Modbus TCP gateway in front of the same
devices, and devices built from device profiles."""
