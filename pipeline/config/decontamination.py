"""Settings of the decontamination stage (owned by that stage): n-gram overlap with evaluation sets."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from pipeline.config.base import StageConfig, StrictModel


class EvalSourceConfig(StrictModel):
    """One evaluation file: its items are the texts documents must not contain."""

    path: str = Field(min_length=1, description="Evaluation file (local, gs://, s3://): JSONL, Parquet or plain text "
                      "(.txt: one item per non-blank line).")
    fields: list[str] = Field(default_factory=lambda: ["text"], min_length=1,
                              description="Fields whose text makes an item (JSONL/Parquet), e.g. [question, choices, "
                              "answer]; a list value (choices) counts as its elements. Each field is matched on its own.")
    id_field: str | None = Field(None, description="Field holding the item id; default the line number (1-based).")
    name: str | None = Field(None, description="Name of the file in the report and audit; default the file's name.")
    format: Literal["jsonl", "parquet", "text"] | None = Field(
        None, description="File format; default from the extension (.jsonl/.json/.parquet/.txt, .gz allowed).")


class DecontaminationConfig(StageConfig):
    """Removes, masks or marks documents that share word n-grams with evaluation items."""

    enabled: bool = Field(False, description="Run this stage (off by default; needs sources).")
    sources: list[EvalSourceConfig] = Field(default_factory=list, description="Evaluation files to decontaminate against.")
    n: int = Field(13, ge=3, le=64, description="N-gram length in words.")
    n_chars: int = Field(25, ge=3, le=200, description="N-gram length in characters of scripts written without "
                         "spaces (Chinese, Japanese, Thai, ...); in mixed text a character counts as n/n_chars words.")
    action: Literal["drop", "mask", "mark"] = Field(
        "drop", description="drop: remove the document (decontamination:overlap); mask: replace the overlapping "
        "spans (plus margin units each side) with placeholder; mark: keep the document, record the overlap in "
        "metadata['decontamination'].")
    min_ngrams: int = Field(1, ge=1, description="A document overlaps an item when it holds at least this many of "
                            "the item's distinct n-grams...")
    min_fraction: float = Field(0.0, ge=0.0, le=1.0,
                                description="...and they are at least this fraction of the item's indexed n-grams.")
    max_items_per_ngram: int = Field(10, ge=1, description="Allow-list: an n-gram found in more evaluation items "
                                     "than this is a common phrase and is not indexed.")
    stop_ngram_files: list[str] = Field(default_factory=list,
                                        description="Files of common phrases, one per line: their n-grams are not indexed.")
    margin: int = Field(5, ge=0, description="mask: units masked on each side of an overlapping span.")
    placeholder: str = Field("[…]", description="mask: text that replaces each masked span.")

    @model_validator(mode="after")
    def _needs_sources(self) -> "DecontaminationConfig":
        if self.enabled and not self.sources:
            raise ValueError("decontamination is enabled but lists no sources (evaluation files)")
        return self
