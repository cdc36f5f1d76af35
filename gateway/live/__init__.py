"""What the phone sees now: the live picture of each greenhouse, manual commands, and the alerts list."""
