"""Tools for the technician in the field: commissioning a bus of RS485 devices (``desk.devices``)."""
