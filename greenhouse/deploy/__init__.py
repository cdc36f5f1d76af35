"""The production stack's configuration: secrets, broker accounts, ACLs and certificates (``greenhouse init``)."""
