"""Input sources: where the raw text is and how to read it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from pipeline.config.base import StrictModel

DOCUMENT_FORMATS = ("jsonl", "parquet", "text", "warc", "wet", "html")
PARALLEL_FORMATS = ("tsv", "tmx")


def infer_format(path: str) -> str | None:
    """The reader format implied by a file name, or None if it is ambiguous."""
    name = path.lower()
    if name.endswith((".warc", ".warc.gz", ".arc", ".arc.gz")):
        return "warc"
    if name.endswith((".wet", ".wet.gz", ".warc.wet", ".warc.wet.gz")):
        return "wet"
    for suffix in (".gz", ".zst", ".zstd", ".bz2", ".xz"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    if name.endswith((".jsonl", ".json", ".ndjson")):
        return "jsonl"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith(".txt"):
        return "text"
    if name.endswith((".html", ".htm")):
        return "html"
    if name.endswith(".tsv"):
        return "tsv"
    if name.endswith(".tmx"):
        return "tmx"
    return None


class SourceConfig(StrictModel):
    name: str = Field(
        description="Short unique name; appears in records, reports and mixture weights.",
        pattern=r"^[A-Za-z0-9_.\-]+$",
    )
    kind: Literal["documents", "parallel"] = Field(
        "documents", description="documents: one text per record; parallel: bitext pairs."
    )
    paths: list[str] = Field(
        min_length=1,
        description="Files or glob patterns (local, gs://, s3://, hdfs://); relative paths are "
        "resolved against the current working directory.",
    )
    format: Literal["jsonl", "parquet", "text", "warc", "wet", "html", "tsv", "tmx"] | None = Field(
        None, description="Reader; inferred from the file extension when omitted (.warc[.gz] and "
        ".arc[.gz]: warc, .wet[.gz]: wet, .html: html)."
    )
    extractor: Literal["resiliparse", "trafilatura"] = Field(
        "resiliparse", description="HTML to text extractor of the warc and html formats (main content, "
        "one paragraph per line)."
    )
    text_field: str = Field("text", description="JSONL/Parquet field holding the text.")
    id_field: str | None = Field(
        "id",
        description="Field holding a unique id; records without one get a stable id derived "
        "from source, file and line.",
    )
    metadata_fields: list[str] | None = Field(
        None, description="Other fields to keep as metadata; null keeps all of them."
    )
    max_doc_chars: int = Field(
        2_000_000, gt=0, description="Documents longer than this are rejected (too_large)."
    )
    max_record_bytes: int = Field(
        16 * 1024 * 1024,
        gt=0,
        description="Raw records (JSONL lines, text files) larger than this are rejected "
        "without being loaded into memory.",
    )

    @field_validator("paths")
    @classmethod
    def _no_empty_paths(cls, paths: list[str]) -> list[str]:
        for p in paths:
            if not p.strip():
                raise ValueError("paths must not contain empty strings")
        return paths

    @model_validator(mode="after")
    def _format_matches_kind(self) -> "SourceConfig":
        if self.format is not None:
            allowed = DOCUMENT_FORMATS if self.kind == "documents" else PARALLEL_FORMATS
            if self.format not in allowed:
                raise ValueError(
                    f"format '{self.format}' is not valid for kind '{self.kind}' "
                    f"(use one of: {', '.join(allowed)})"
                )
        return self

    def format_for(self, path: str) -> str | None:
        return self.format or infer_format(path)
