"""Settings of the canaries stage (owned by that stage).

Canaries are built from real documents of the final mixture, per language, and injected
into the shards a chosen number of times; a secret manifest lists them (see
docs/canaries.md).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from pipeline.config.base import StageConfig, StrictModel
from pipeline.text.langcodes import LanguageCodeError, normalize_lang

CanaryType = Literal["random", "shuffle", "interleave"]


def _normalize_codes(codes: list[str] | None) -> list[str] | None:
    if codes is None:
        return None

    out: list[str] = []
    for code in codes:
        try:
            normal = normalize_lang(code)
        except LanguageCodeError as exc:
            raise ValueError(str(exc)) from None
        if normal not in out:
            out.append(normal)
    return out


class CanaryBinsConfig(StrictModel):
    """How languages are split into a 'large' and a 'small' bin (PaLM 2 §4)."""

    method: Literal["threshold", "top_k"] = Field(
        "top_k",
        description="'threshold': languages with at least threshold_tokens tokens in the final mixture are "
        "'large'; 'top_k': the top_k languages by tokens are 'large' (ties by language code). The rest are 'small'.",
    )
    threshold_tokens: float = Field(
        1.0e6, ge=0, description="Token count (final mixture, copies included) from which a language is 'large'."
    )
    top_k: int = Field(10, ge=0, description="Number of languages, largest first, in the 'large' bin.")


class CanariesConfig(StageConfig):
    enabled: bool = Field(False, description="Run this stage; off unless switched on.")
    types: list[CanaryType] = Field(
        default_factory=lambda: ["random", "shuffle", "interleave"],
        min_length=1,
        description="Canary types: 'shuffle' (all tokens of one real document, shuffled), 'interleave' "
        "(two real documents interleaved in chunks of interleave_chunk_tokens), 'random' (tokens drawn "
        "from the language's vocabulary, as long as one real document).",
    )
    per_language: int = Field(3, ge=1, le=10_000, description="Canaries per type per language.")
    repetitions: list[int] = Field(
        default_factory=lambda: [1, 5, 25],
        min_length=1,
        description="Repetition counts: canary j of a type and language is injected repetitions[j mod len] "
        "times, so the canaries of a language are split evenly across these counts.",
    )
    min_source_tokens: int = Field(
        500, ge=1,
        description="Minimum tokens (Doc.tokens, the mixture's token counter) of a source document (PaLM 2: 500).",
    )
    max_source_tokens: int | None = Field(
        20_000, ge=1,
        description="Longer documents are not used as sources (a canary is as long as its sources); null: no limit.",
    )
    interleave_chunk_tokens: int = Field(
        50, ge=1, description="Tokens per chunk of an interleave canary (PaLM 2: 50)."
    )
    prefix_tokens: int = Field(
        60, ge=0, description="Canary tokens in the manifest's 'prefix' (the prompt of an extraction test)."
    )
    suffix_tokens: int = Field(
        30, ge=0,
        description="Canary tokens in the manifest's 'suffix': the continuation right after the prefix "
        "that an extraction test expects the model to generate.",
    )
    vocabulary_docs: int = Field(
        50, ge=1,
        description="A random canary draws its tokens from the distinct tokens of up to this many documents "
        "of its language (chosen by keyed hash, any length).",
    )
    bins: CanaryBinsConfig = Field(
        default_factory=CanaryBinsConfig, description="Split of languages into 'large' and 'small' bins."
    )
    languages: list[str] | None = Field(
        None,
        description="Languages that get canaries; null: every language of the final mixture except 'und'.",
    )
    max_languages: int | None = Field(
        None, ge=1,
        description="At most this many languages get canaries, taken alternately from the large and the "
        "small bin, each bin in keyed-hash order; null: no limit.",
    )
    manifest: str = Field(
        "canaries/manifest.jsonl",
        description="Path of the secret manifest, relative to the output directory (or absolute / a URL); "
        "keep it away from the shards.",
    )

    @field_validator("languages")
    @classmethod
    def _language_codes(cls, value: list[str] | None) -> list[str] | None:
        return _normalize_codes(value)

    @field_validator("repetitions")
    @classmethod
    def _positive_repetitions(cls, value: list[int]) -> list[int]:
        bad = [r for r in value if r < 1]
        if bad:
            raise ValueError(f"repetition counts must be >= 1 (got {bad})")
        return value

    @model_validator(mode="after")
    def _distinct_types(self) -> "CanariesConfig":
        if len(set(self.types)) != len(self.types):
            raise ValueError(f"types: each type at most once (got {self.types})")
        if self.max_source_tokens is not None and self.max_source_tokens < self.min_source_tokens:
            raise ValueError(f"max_source_tokens ({self.max_source_tokens}) is below min_source_tokens "
                             f"({self.min_source_tokens})")
        return self
