"""``python -m bench.fieldbus``: a 16-device RTU bus's poll cycle through the edge's field bus layer, against the
wire time of its frames (docs/fieldbus.md)."""
