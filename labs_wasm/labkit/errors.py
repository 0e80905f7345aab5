"""The toolkit's errors. Each names what was wrong and how to fix it."""
from __future__ import annotations


class LabDefinitionError(ValueError):
    """A lab is written wrongly (bad options, duplicate keys, missing caption...).

    Raised while the page is being built, so a broken lab fails its first test render.
    """


class LedgerSchemaError(ValueError):
    """A ledger entry does not match the schema in ``labkit.ledger``."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("Invalid ledger entry: " + "; ".join(self.problems))


class UnknownLabError(KeyError):
    """``catalog.load`` was asked for a lab id that has no source file."""

    def __init__(self, lab_id: str, known: list[str]):
        self.lab_id = lab_id
        self.known = known
        super().__init__(f"Unknown lab {lab_id!r}: expected one of {known} "
                         f"(a lab lives in labs/vol<V>/lab_<NN>_<chapter>.py)")

    def __str__(self) -> str:  # KeyError would print the repr of the message
        return self.args[0]
