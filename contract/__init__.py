"""The shared contract: MQTT topics, message models and site configuration.

The only package every other package imports; it imports none of them.
"""
