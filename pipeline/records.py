"""Record types shared by every stage.

A ``Doc`` flows through the whole graph; stages return new copies (``with_``)
instead of mutating, so a record seen by one branch never changes under another.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from pipeline.hashing import stable_digest

UNDETERMINED = "und"


@dataclass(frozen=True)
class Doc:
    """One training document (or one rendered parallel example)."""

    id: str
    text: str
    source: str
    lang: str = UNDETERMINED
    lang_score: float = 0.0
    script: str = ""  # dominant ISO 15924 script of the letters, e.g. "Latn", "Hani"
    tokens: int = 0
    metadata: dict[str, Any] = field(default_factory=dict)

    def with_(self, **changes: Any) -> "Doc":
        """A copy with some fields changed (a hot path: every stage calls it per document,
        so it copies the instance dict instead of going through ``dataclasses.replace``)."""
        unknown = changes.keys() - _DOC_FIELDS
        if unknown:
            raise TypeError(f"Doc has no field(s) {sorted(unknown)}")
        new = object.__new__(Doc)
        new.__dict__.update(self.__dict__)
        new.__dict__.update(changes)
        return new

    def with_metadata(self, **items: Any) -> "Doc":
        merged = dict(self.metadata)
        merged.update(items)
        return self.with_(metadata=merged)

    @property
    def n_chars(self) -> int:
        return len(self.text)

    @property
    def n_bytes(self) -> int:
        return len(self.text.encode("utf-8", "surrogatepass"))


_DOC_FIELDS = frozenset(f.name for f in dataclasses.fields(Doc))


@dataclass(frozen=True)
class Dropped:
    """A document a stage decided not to keep; ``reason`` reads ``stage:rule``."""

    doc: Doc
    reason: str

    @property
    def stage(self) -> str:
        return self.reason.split(":", 1)[0]


@dataclass(frozen=True)
class Rejected:
    """An input record that could not be read or parsed."""

    source: str
    file: str
    line: int | None  # 1-based line (JSONL/TSV) or row (Parquet); None for whole files
    reason: str
    snippet: str = ""  # start of the raw record; the writer scrubs PII and keeps 200 characters

    def sort_key(self) -> tuple:
        return (self.source, self.file, self.line if self.line is not None else -1, self.reason)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "file": self.file,
            "line": self.line,
            "reason": self.reason,
            "snippet": self.snippet,
        }


@dataclass(frozen=True)
class BitextPair:
    """One parsed pair before any check; languages are the declared, normalised codes.
    Side a is the first column (TMX: srclang), side b the second."""

    id: str
    source: str
    text_a: str
    text_b: str
    lang_a: str
    lang_b: str
    file: str
    line: int
    metadata: dict[str, Any] = field(default_factory=dict)


def pair_id(source: str, label: str, line: int, part: int = 0) -> str:
    """Stable id of a pair: from source, file label, line (and the pair's index in a TMX unit)."""
    return f"{source}-{stable_digest(source, label, str(line), str(part), length=10)}"
