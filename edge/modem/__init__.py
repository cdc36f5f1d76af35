"""The greenhouse computer's own modem, and the farm server's: SMS texts as the network counts them, and Gammu SMSD's
folders, used by the edge when its uplink is gone and by the gateway's notifier."""
