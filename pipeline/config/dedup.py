"""Deduplication settings (owned by the dedup stage).

``dedup.exact`` removes documents whose normalised text is identical; ``dedup.minhash``
removes near-duplicates found with MinHash LSH and clustered by connected components.
``exact: false`` / ``minhash: false`` are accepted as shorthands for ``{enabled: false}``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from pipeline.config.base import StageConfig, StrictModel

KeepPolicy = Literal["smallest_id", "longest"]
ShingleUnit = Literal["auto", "word", "char"]


def _bool_shorthand(value: Any) -> Any:
    if isinstance(value, bool):
        return {"enabled": value}
    return value


class ExactDedupConfig(StageConfig):
    strip_punctuation: bool = Field(
        False,
        description="Also remove Unicode punctuation (\\p{P}) before hashing, so texts that differ "
        "only in punctuation are exact duplicates.",
    )
    keep: KeepPolicy = Field(
        "smallest_id",
        description="Which document of an exact-duplicate group is kept: the smallest id, or the "
        "longest text (ties broken by smallest id).",
    )


class ShingleOverride(StrictModel):
    """Per-language shingling; unset keys fall back to the minhash defaults."""

    unit: ShingleUnit | None = Field(
        None, description="'word' or 'char' shingles, or 'auto' (by each script run of the text)."
    )
    ngram: int | None = Field(None, ge=1, le=64, description="Words per word shingle.")
    char_ngram: int | None = Field(None, ge=1, le=256, description="Characters per character shingle.")


class MinHashConfig(StageConfig):
    num_perm: int = Field(128, ge=2, le=4096, description="Number of MinHash permutations (signature length).")
    ngram: int = Field(5, ge=1, le=64, description="Units per shingle that starts at a word (runs of scripts written with spaces).")
    char_ngram: int = Field(
        5, ge=1, le=256, description="Units per shingle that starts at a character (runs of scripts without spaces: "
        "zh, ja, th, km, lo, my...)."
    )
    unit: ShingleUnit = Field(
        "auto",
        description="Shingle unit: 'auto' follows each script run of the text (character n-grams in Han, "
        "kana, Thai, ... runs, word n-grams in the others, in one document); 'word' or 'char' force one "
        "unit for every document.",
    )
    threshold: float = Field(
        0.8, gt=0.0, lt=1.0, description="Jaccard similarity above which two documents are near-duplicates."
    )
    bands: int | None = Field(
        None, ge=1, description="LSH bands; set together with rows, or leave both unset to choose them from threshold."
    )
    rows: int | None = Field(None, ge=1, description="LSH rows per band (see bands).")
    false_positive_weight: float = Field(
        0.1,
        ge=0.0,
        le=1.0,
        description="Weight of the false-positive area when bands/rows are chosen (datasketch uses 0.5; "
        "lower here because verification removes false positives).",
    )
    false_negative_weight: float = Field(
        0.9, ge=0.0, le=1.0, description="Weight of the false-negative area when bands/rows are chosen."
    )
    verify: bool = Field(
        True,
        description="Keep a candidate pair only if its similarity (see verify_method) is >= verify_threshold.",
    )
    verify_method: Literal["exact", "signature"] = Field(
        "exact",
        description="'exact': the true shingle Jaccard, from each document's set of 32-bit shingle hashes "
        "(4 bytes per distinct shingle travel to the verification); 'signature': the MinHash estimate "
        "(num_perm * 8 bytes per document, but ~±0.035 noise at num_perm=128, which lets pairs below "
        "the threshold through).",
    )
    verify_threshold: float | None = Field(
        None, gt=0.0, le=1.0, description="Jaccard threshold of the verification; default: threshold."
    )
    max_bucket_size: int = Field(
        10_000,
        ge=2,
        description="An LSH bucket with more documents is capped: only its max_bucket_size smallest "
        "documents get edges from it; capped buckets are counted in the stats.",
    )
    short_docs: Literal["whole", "skip"] = Field(
        "whole",
        description="Documents with fewer units than the n-gram size: 'whole' makes one shingle of all "
        "their units, 'skip' leaves them out of near dedup. Either way they are counted.",
    )
    keep: KeepPolicy = Field(
        "smallest_id", description="Representative of a near-duplicate cluster: smallest id, or longest text."
    )
    witness: bool = Field(
        True,
        description="Remove a near-duplicate only with a witness: a kept document whose exact shingle Jaccard "
        "with it is >= verify_threshold (members of a connected component that fail against its representative "
        "are split off and checked again); false: every member of a component is removed for its representative, "
        "however far apart the two are.",
    )
    witness_rounds: int = Field(
        8,
        ge=1,
        le=100,
        description="Rounds of the witness check; a document still without a witness after them is kept.",
    )
    seed: int | None = Field(
        None, ge=0, lt=2**32, description="Seed of the MinHash permutations; default: derived from the root seed."
    )
    per_language: dict[str, ShingleOverride] = Field(
        default_factory=dict, description="Per-language shingling overrides, e.g. {th: {char_ngram: 4}}."
    )

    @model_validator(mode="after")
    def _bands_rows(self) -> "MinHashConfig":
        if (self.bands is None) != (self.rows is None):
            raise ValueError("set both 'bands' and 'rows', or neither (they are then chosen from 'threshold')")
        if self.bands is not None and self.rows is not None and self.bands * self.rows > self.num_perm:
            raise ValueError(
                f"bands * rows ({self.bands} * {self.rows} = {self.bands * self.rows}) exceeds num_perm ({self.num_perm})"
            )
        return self


class DedupConfig(StageConfig):
    exact: ExactDedupConfig = Field(default_factory=ExactDedupConfig, description="Exact deduplication.")
    minhash: MinHashConfig = Field(default_factory=MinHashConfig, description="MinHash LSH near deduplication.")
    keep_cluster_size: bool = Field(
        False,
        description="Store in metadata['dedup_cluster_size'] of every kept document how many documents "
        "(itself included, exact and near duplicates) it stands for.",
    )
    write_clusters: bool = Field(
        False, description="Write OUTPUT/dedup/clusters.jsonl with every cluster of two or more documents."
    )
    write_witnesses: bool = Field(
        True,
        description="Write OUTPUT/dedup/witnesses-*.jsonl: one line per removed document with the kept "
        "document it was removed for and their Jaccard.",
    )
    max_rounds: int = Field(
        12,
        ge=1,
        le=100,
        description="Large-star/small-star rounds of the connected-components step; the run fails with a "
        "clear message if the components have not converged after this many rounds.",
    )
    top_clusters: int = Field(10, ge=0, le=1000, description="How many of the largest clusters the report lists.")

    @field_validator("exact", "minhash", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return _bool_shorthand(value)
