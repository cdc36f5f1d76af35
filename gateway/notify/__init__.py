"""The notifier: alerts turned into incidents that reach the people on duty, and keep at it until one acknowledges."""
