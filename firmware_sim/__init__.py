"""Simulated greenhouses: physics and weather, and the field devices on each greenhouse's buses, speaking the
register maps of real devices over Modbus TCP, RTU on a pseudo-terminal and RTU over TCP (and MQTT nodes)."""
