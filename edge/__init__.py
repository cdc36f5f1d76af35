"""Edge agent: polls field nodes, flags quality, publishes telemetry, runs rules, keeps actuators safe."""
