"""The shared contract: MQTT topics, message models, site configuration, device profiles, reasons and their words.

The lowest layer: every other package imports it; it imports none of them.
"""
