"""Where a number comes from. Every registry number carries one of these."""
from __future__ import annotations

from dataclasses import dataclass

from .errors import ProvenanceError

#: datasheet: vendor specification; paper: peer-reviewed or arXiv publication;
#: convention: a definition or agreed standard (1 MAC = 2 FLOP); estimate: our reasoned
#: approximation from public data; illustrative: a teaching value, not a measurement.
KINDS = ("datasheet", "paper", "convention", "estimate", "illustrative")


@dataclass(frozen=True)
class Provenance:
    kind: str
    reference: str
    url: str | None = None
    note: str | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ProvenanceError(f"provenance kind {self.kind!r} is not one of {KINDS}")
        if not self.reference or not self.reference.strip():
            raise ProvenanceError("provenance needs a reference (document, paper or author)")

    @property
    def needs_audit(self) -> bool:
        """Estimates and illustrative values are listed by ``mlsysim audit``."""
        return self.kind in ("estimate", "illustrative")

    def cite(self) -> str:
        text = f"{self.reference} ({self.kind})"
        return f"{text}, {self.url}" if self.url else text
