"""The error every sub-command raises for a value it cannot use; ``greenhouse.cli.main`` prints it."""


class UsageError(Exception):
    """A command-line value that cannot be used; the message names the option."""
