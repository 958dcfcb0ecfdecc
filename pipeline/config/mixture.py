"""Mixture settings: token budget, source weights, language sampling, epochs and shards.

Without a ``budget`` the mixture keeps every document exactly once (rate 1): a config
that only lists sources passes everything through to the shards.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from pipeline.config.base import StrictModel

SAMPLING_METHODS = ("natural", "explicit", "temperature", "unimax")


class ShardsConfig(StrictModel):
    count: int = Field(8, ge=1, le=100_000, description="Number of output shards.")
    format: Literal["parquet", "jsonl.gz"] = Field("parquet", description="Shard file format.")
    compression: Literal["zstd", "snappy", "gzip", "none"] = Field(
        "zstd", description="Parquet column compression."
    )


class BudgetConfig(StrictModel):
    """The number of training tokens D, given directly or derived from compute (C = 6·N·D)."""

    tokens: float | None = Field(
        None, gt=0, description="Explicit token budget D of the whole mixture."
    )
    compute_flops: float | None = Field(
        None, gt=0, description="Training compute C in FLOPs; D follows from C = 6·N·D."
    )
    params: float | None = Field(
        None,
        gt=0,
        description="Model parameters N. With compute_flops: D = C / (6·N). Alone: D = N · tokens_per_param.",
    )
    tokens_per_param: float = Field(
        20.0,
        gt=0,
        description="Compute-optimal tokens per parameter (Chinchilla: 20); used when N is not given.",
    )

    @model_validator(mode="after")
    def _one_way_to_d(self) -> "BudgetConfig":
        if self.tokens is None and self.compute_flops is None and self.params is None:
            raise ValueError("set one of budget.tokens, budget.compute_flops or budget.params")
        if self.tokens is not None and self.compute_flops is not None and self.params is not None:
            raise ValueError(
                "budget.tokens, budget.compute_flops and budget.params together over-determine "
                "C = 6·N·D; drop one of them"
            )
        return self


class LanguageBounds(StrictModel):
    """Per-language bounds on its share of its source (merged over the defaults)."""

    min_share: float | None = Field(None, ge=0, le=1, description="Lower bound of the language's share.")
    max_share: float | None = Field(None, ge=0, le=1, description="Upper bound of the language's share.")


class _LanguageSettings(StrictModel):
    """Fields shared by the default language settings and per-source overrides."""

    @field_validator("shares", check_fields=False)
    @classmethod
    def _positive_shares(cls, shares):
        if shares is None:
            return shares
        for lang, value in shares.items():
            if value < 0:
                raise ValueError(f"share of '{lang}' must be >= 0 (got {value})")
        if shares and sum(shares.values()) <= 0:
            raise ValueError("explicit shares must not all be zero")
        return shares


class LanguagesConfig(_LanguageSettings):
    """How a source's token budget is split over its languages."""

    sampling: Literal["natural", "explicit", "temperature", "unimax"] = Field(
        "natural",
        description="natural: proportional to available tokens; explicit: the 'shares' given; "
        "temperature: p ∝ n^alpha; unimax: uniform, at most max_epochs per language.",
    )
    alpha: float = Field(0.3, gt=0, le=10, description="Temperature exponent (mT5/XLM-R: 0.3).")
    max_epochs: float = Field(
        4.0, gt=0, description="UniMax: at most this many epochs of any language (Chung et al.: 1–10)."
    )
    shares: dict[str, float] = Field(
        default_factory=dict,
        description="Explicit shares per language (normalised); unlisted languages are left out.",
    )
    min_share: float = Field(0.0, ge=0, le=1, description="Default lower bound of every language's share.")
    max_share: float = Field(1.0, gt=0, le=1, description="Default upper bound of every language's share.")
    per_language: dict[str, LanguageBounds] = Field(
        default_factory=dict, description="min_share / max_share overrides per language code."
    )
    per_source: dict[str, "LanguagesOverride"] = Field(
        default_factory=dict,
        description="Overrides of these settings for one source (keys: source names).",
    )

    @model_validator(mode="after")
    def _consistent(self) -> "LanguagesConfig":
        _check_settings(self, "languages")
        for name in self.per_source:
            try:
                merged = self.for_source(name)
            except ValidationError as exc:
                msg = exc.errors()[0].get("msg", "invalid value").removeprefix("Value error, ")
                raise ValueError(f"languages.per_source.{name}: {msg.removeprefix('languages: ')}") from None
            _check_settings(merged, f"languages.per_source.{name}")
        return self

    def for_source(self, source: str) -> "LanguagesConfig":
        """These settings with the source's overrides merged over them."""
        override = self.per_source.get(source)
        if override is None:
            return self
        merged = self.model_dump(exclude={"per_source"})
        changes = override.model_dump(exclude_unset=True)
        if "per_language" in changes:
            per_language = dict(merged["per_language"])
            per_language.update(changes.pop("per_language"))
            merged["per_language"] = per_language
        merged.update(changes)
        return LanguagesConfig.model_validate(merged)

    def bounds(self, lang: str) -> tuple[float, float]:
        """(min_share, max_share) of one language, its override merged over the default."""
        lo, hi = self.min_share, self.max_share
        override = self.per_language.get(lang)
        if override is not None:
            if override.min_share is not None:
                lo = override.min_share
            if override.max_share is not None:
                hi = override.max_share
        return lo, hi


class LanguagesOverride(_LanguageSettings):
    """Per-source language settings; every key is optional and replaces the default."""

    sampling: Literal["natural", "explicit", "temperature", "unimax"] | None = Field(
        None, description="Sampling method for this source."
    )
    alpha: float | None = Field(None, gt=0, le=10, description="Temperature exponent.")
    max_epochs: float | None = Field(None, gt=0, description="UniMax epoch cap.")
    shares: dict[str, float] | None = Field(None, description="Explicit shares per language.")
    min_share: float | None = Field(None, ge=0, le=1, description="Default lower share bound.")
    max_share: float | None = Field(None, gt=0, le=1, description="Default upper share bound.")
    per_language: dict[str, LanguageBounds] | None = Field(
        None, description="Bounds per language, merged over the default per_language."
    )


LanguagesConfig.model_rebuild()


def _check_settings(settings: LanguagesConfig, where: str) -> None:
    if settings.sampling == "explicit" and not settings.shares:
        raise ValueError(f"{where}: sampling 'explicit' needs 'shares' ({{lang: share}})")
    if settings.min_share > settings.max_share:
        raise ValueError(f"{where}: min_share {settings.min_share} > max_share {settings.max_share}")
    for lang in settings.per_language:
        lo, hi = settings.bounds(lang)
        if lo > hi:
            raise ValueError(f"{where}.per_language.{lang}: min_share {lo} > max_share {hi}")


class TokenizerConfig(StrictModel):
    """What a 'token' is when budgets are counted."""

    kind: Literal["default", "hf", "sentencepiece"] = Field(
        "default",
        description="default: calibrated word/character units, no model needed; hf: a Hugging Face "
        "tokenizer.json; sentencepiece: a SentencePiece .model file.",
    )
    path: str | None = Field(
        None, description="tokenizer.json or .model path (local, gs://, s3://) for kind hf / sentencepiece."
    )
    tokens_per_word: float = Field(
        1.3,
        gt=0,
        description="default kind: tokens per word of a spaced script (subword tokenizers split "
        "long words; ~1.3 for English BPE).",
    )
    tokens_per_char: float = Field(
        1.0,
        gt=0,
        description="default kind: tokens per character of a script written without spaces "
        "(Han, kana, Thai, Lao, Khmer, Myanmar, Tibetan, Yi).",
    )
    tokens_per_symbol: float = Field(
        1.0, gt=0, description="default kind: tokens per run of punctuation, symbols or emoji."
    )
    per_script: dict[str, float] = Field(
        default_factory=dict,
        description="default kind: tokens per character for one spaceless script (ISO 15924, "
        "e.g. {Thai: 0.4}), overriding tokens_per_char.",
    )

    @model_validator(mode="after")
    def _path_for_model_kinds(self) -> "TokenizerConfig":
        if self.kind != "default" and not self.path:
            raise ValueError(f"tokenizer kind '{self.kind}' needs a 'path'")
        for script, ratio in self.per_script.items():
            if ratio <= 0:
                raise ValueError(f"per_script.{script} must be > 0 (got {ratio})")
        return self


class MixtureConfig(StrictModel):
    budget: BudgetConfig | None = Field(
        None,
        description="Token budget; omitted: every document is kept exactly once (no sampling).",
    )
    weights: dict[str, float] = Field(
        default_factory=dict,
        description="Weight per source (normalised over the listed sources); empty: sources in "
        "proportion to their available tokens. Sources not listed are left out.",
    )
    languages: LanguagesConfig = Field(
        default_factory=LanguagesConfig, description="How each source's budget is split over languages."
    )
    max_epochs: float | None = Field(
        4.0,
        gt=0,
        description="Cap on the epochs (target / available tokens) of every (source, language) "
        "bucket; null: no cap. ~4 epochs cost little (Muennighoff et al. 2023).",
    )
    on_shortfall: Literal["redistribute", "shrink", "error"] = Field(
        "redistribute",
        description="When a bucket hits max_epochs: give the missing tokens to uncapped languages "
        "of the same source (redistribute), scale the whole budget down to keep every share "
        "(shrink), or stop with an error.",
    )
    exact: bool = Field(
        False,
        description="Exact mode: pick the fractional part of each bucket as the top-k documents "
        "by keyed hash, so the token target is hit to within one document.",
    )
    tokenizer: TokenizerConfig = Field(
        default_factory=TokenizerConfig, description="Token counting unit."
    )
    shards: ShardsConfig = Field(default_factory=ShardsConfig, description="Output shard files: count, format, compression.")

    @field_validator("weights")
    @classmethod
    def _positive_weights(cls, weights: dict[str, float]) -> dict[str, float]:
        for name, value in weights.items():
            if not value > 0:
                raise ValueError(f"weight of source '{name}' must be > 0 (got {value})")
        return weights
