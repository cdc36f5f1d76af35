"""Free ports for the demo's and the tests' servers."""

from __future__ import annotations

from greenhouse.net import free_port, port_is_free


def test_a_port_is_never_handed_out_twice() -> None:
    # Drawn from ~28,000 ephemeral ports, a thousand picks would repeat some twenty times by chance.
    ports = [free_port() for _ in range(1000)]
    assert len(set(ports)) == len(ports)
    assert all(port_is_free(p) for p in ports[:50])
