"""The engine's errors. Each subclasses a built-in and names the input and the fix."""
from __future__ import annotations

from typing import Any


class MlsysimError(Exception):
    """Base of every error raised on purpose by the engine."""


class InvalidInputError(MlsysimError, ValueError):
    """An input has the wrong sign, size or dimension.

    ``input`` names the argument, ``expected`` says what would be accepted, ``got`` is the value.
    """

    def __init__(self, input: str, expected: str, got: Any, hint: str | None = None):
        self.input, self.expected, self.got, self.hint = input, expected, got, hint
        msg = f"Invalid {input}: expected {expected}, got {got!r}"
        if hint:
            msg += f". {hint}"
        super().__init__(msg)


class UnknownEntryError(MlsysimError, KeyError, AttributeError):
    """A registry lookup for a name that does not exist; lists the names that do."""

    def __init__(self, kind: str, name: str, available: list[str]):
        self.kind, self.name, self.available = kind, name, available
        close = ", ".join(available[:12]) + (" ..." if len(available) > 12 else "")
        super().__init__(f"No {kind} named {name!r}. Available: {close}")

    def __str__(self) -> str:  # KeyError would repr() the message
        return self.args[0]


class ProvenanceError(MlsysimError, ValueError):
    """A registry number lacks its provenance, or the provenance is malformed."""


class InfeasibleError(MlsysimError, ValueError):
    """A solver or optimizer found no configuration that meets the constraints."""
