"""One error type for the build: its message is what the author reads, so it names the file."""


class BuildError(Exception):
    """A build step failed; ``str(err)`` is a complete, user-facing message."""
