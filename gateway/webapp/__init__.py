"""The farmer's phone web app: its static files, and the router that serves them from the gateway."""
