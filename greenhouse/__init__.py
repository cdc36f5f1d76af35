"""The greenhouse command line and the demo that wires every component together."""
