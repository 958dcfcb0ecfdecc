"""Settings of the control_tokens stage (owned by that stage).

PaLM 2 marks the toxicity of a small fraction of the pretraining documents with special
tokens; the token strings, levels and fraction are not published, so all are settings.
"""

from __future__ import annotations

import math
import string
from typing import Literal

from pydantic import Field, field_validator, model_validator

from pipeline.config.base import StageConfig, StrictModel

ATTRIBUTES = ("toxicity", "lang")
DEFAULT_LEVELS = {"low": 0.0, "medium": 0.2, "high": 0.5}


def _check_template(value: str, allowed: str) -> str:
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(value) if name is not None]
        value.format(**{allowed: "x"})
    except (ValueError, IndexError, KeyError) as exc:
        raise ValueError(f"invalid token template: {exc}") from None
    unknown = [name for name in fields if name != allowed]
    if unknown:
        raise ValueError(f"the token template may only use {{{allowed}}}, not {{{unknown[0]}}}")
    if allowed not in fields:
        raise ValueError(f"the token template must contain {{{allowed}}}")
    if any(c.isspace() for c in value):
        raise ValueError("the token template must not contain white space")
    if not value.replace("{" + allowed + "}", ""):
        raise ValueError("the token template needs text around {" + allowed + "} (e.g. <|toxicity:{level}|>)")
    return value


class ToxicityTokenConfig(StrictModel):
    """The toxicity attribute: how a document is scored and which token a score gets."""

    fraction: float = Field(
        0.1, ge=0.0, le=1.0,
        description="Fraction of documents that get a toxicity token, chosen by a keyed hash of (seed, id); "
        "the rest are left unchanged (and are not scored).",
    )
    scorer: Literal["lexicon", "metadata_field"] = Field(
        "lexicon",
        description="lexicon: weighted hits of a per-language word list per 100 tokens (see docs/control_tokens.md); "
        "metadata_field: a score in [0, 1] computed offline (e.g. Perspective API) and read from metadata[field].",
    )
    field: str = Field(
        "toxicity", min_length=1,
        description="scorer metadata_field: the metadata key holding the precomputed score in [0, 1].",
    )
    lexicon_dir: str | None = Field(
        None,
        description="scorer lexicon: directory (local, gs://, s3://) of <lang>.txt word lists; null = the bundled "
        "lists in pipeline/data/lexicons/toxicity/.",
    )
    fallback_lexicon: str | None = Field(
        None,
        description="scorer lexicon: language whose list scores documents of languages without one (e.g. en); "
        "null = such documents are not scored and get no toxicity token.",
    )
    saturation_per_100: float = Field(
        10.0, gt=0,
        description="scorer lexicon: weighted hits per 100 tokens that give the score 1.0 "
        "(score = min(1, 100 * hits / max(tokens, min_tokens) / saturation_per_100)).",
    )
    min_tokens: int = Field(
        20, ge=1,
        description="scorer lexicon: denominator floor, so that one hit in a very short text does not saturate.",
    )
    levels: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_LEVELS),
        description="Level name -> minimum score (any order; distinct minimums); a document gets the highest level whose "
        "minimum its score reaches (none when below the first).",
    )
    token: str = Field("<|toxicity:{level}|>", description="Token template; '{level}' is the level name.")

    @field_validator("token")
    @classmethod
    def _token(cls, value: str) -> str:
        return _check_template(value, "level")

    @field_validator("levels")
    @classmethod
    def _levels(cls, value: dict[str, float]) -> dict[str, float]:
        if not value:
            raise ValueError("at least one level is needed")
        for name, minimum in value.items():
            if not name or any(c.isspace() or c in "/{}" for c in name):
                raise ValueError(f"level names must be non-empty, without white space, '/', '{{' or '}}' (got {name!r})")
            if not (isinstance(minimum, (int, float)) and math.isfinite(minimum) and 0.0 <= minimum <= 1.0):
                raise ValueError(f"level {name!r}: minimum score must be in [0, 1] (got {minimum!r})")
        if len(set(value.values())) != len(value):
            raise ValueError("two levels have the same minimum score")
        # ordered by minimum score, whatever order they were written (or serialised) in
        return dict(sorted(value.items(), key=lambda kv: kv[1]))


class LangTokenConfig(StrictModel):
    """The lang attribute: a token naming the document's language."""

    fraction: float = Field(
        0.1, ge=0.0, le=1.0,
        description="Fraction of documents that get a language token (same keyed draw as toxicity: with equal "
        "fractions the same documents get both).",
    )
    token: str = Field("<|lang:{lang}|>", description="Token template; '{lang}' is Doc.lang.")
    skip_undetermined: bool = Field(True, description="Give no language token to documents whose language is 'und'.")

    @field_validator("token")
    @classmethod
    def _token(cls, value: str) -> str:
        return _check_template(value, "lang")


class ControlTokensConfig(StageConfig):
    enabled: bool = Field(False, description="Run this stage; off unless switched on.")
    attributes: list[Literal["toxicity", "lang"]] = Field(
        min_length=1,
        default_factory=lambda: ["toxicity"],
        description="Attributes marked with tokens, in the order their tokens are written.",
    )
    toxicity: ToxicityTokenConfig = Field(default_factory=ToxicityTokenConfig,
                                          description="Toxicity scoring, levels and token.")
    lang: LangTokenConfig = Field(default_factory=LangTokenConfig, description="Language token.")
    placement: Literal["prefix", "suffix"] = Field(
        "prefix", description="Where the tokens go: before the text (prefix) or after it (suffix)."
    )
    separator: str = Field(
        "", description="Written between the tokens and the text (e.g. \"\\n\"); empty by default: special "
        "tokens need no separator.",
    )
    tokens_per_control_token: int | None = Field(
        1, ge=0,
        description="Doc.tokens grows by this per control token (1: the trainer's tokenizer registers each token "
        "as a special token); null = recount the whole new text with mixture.tokenizer.",
    )

    @model_validator(mode="after")
    def _attributes(self) -> "ControlTokensConfig":
        if len(set(self.attributes)) != len(self.attributes):
            raise ValueError("attributes: each attribute may appear once")
        return self
