"""The broker's two listeners (deploy/mosquitto/mosquitto.conf), by the port they have in the container."""

from __future__ import annotations

from enum import IntEnum


class BrokerListener(IntEnum):
    # Published on the farm LAN, for the greenhouse gateways: the broker takes each account's name as its client
    # id here (use_username_as_clientid), so that no login can take over another client's connection.
    EDGES = 8883
    # Inside the compose network only: the central services (the gateway's receiver and live feed, 'rules deploy')
    # share the account 'central' with a client id each, and the healthcheck.
    CENTRAL = 8884
