"""Settings of the parallel stage (owned by that stage): English-paired bitext.

Bitext sources are ``kind: parallel`` entries of ``sources``; this section says how
their pairs are checked (language ID of both sides, token length ratio, token
bounds), de-duplicated, scrubbed and rendered into training documents.
"""

from __future__ import annotations

import string
from typing import Literal

from pydantic import Field, field_validator, model_validator

from pipeline.config.base import StageConfig, StrictModel
from pipeline.config.langid import normalize_code, normalize_score_map

DEFAULT_TEMPLATES = (
    "{src_text}\n{tgt_text}",
    "{src_name}: {src_text}\n{tgt_name}: {tgt_text}",
    "Translate from {src_name} to {tgt_name}:\n{src_text}\n{tgt_text}",
)
TEMPLATE_FIELDS = ("src_text", "tgt_text", "src_name", "tgt_name", "src_lang", "tgt_lang")

# lid.176 gives short Swahili sentences low scores (0.55-0.6 on the demo): a lower bar
# for it keeps good pairs; English and the big languages stay at the default.
DEFAULT_PER_LANGUAGE = {"sw": 0.3}
# lid.176 calls short all-Han text Japanese ("早上好。" -> ja 0.60); Japanese sentences
# practically always contain kana, Korean ones Hangul.
DEFAULT_REQUIRED_SCRIPTS = {"ja": ["Hira", "Kana"], "ko": ["Hang"]}


def _normalize_code(code: str) -> str:
    normal = normalize_code(code)
    if normal == "und":
        raise ValueError(f"'{code}' is not a language")
    return normal


class ParallelSourceSettings(StrictModel):
    """How one ``kind: parallel`` source declares its two languages."""

    langs: list[str] | None = Field(
        None,
        description="The two languages of the TSV columns, in column order (e.g. [en, de]); "
        "null: from the header line, else from the file name (en-de.tsv). TMX files use xml:lang.",
    )
    header: Literal["auto", "yes", "no"] = Field(
        "auto",
        description="TSV header line naming the two languages ('en<TAB>de'): auto = the first line "
        "is a header when both columns are language codes; yes = always skip the first line; no = never.",
    )

    @field_validator("langs")
    @classmethod
    def _two_languages(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if len(value) != 2:
            raise ValueError(f"langs needs exactly two languages (got {len(value)})")
        return [_normalize_code(code) for code in value]


class ParallelConfig(StageConfig):
    enabled: bool = Field(False, description="Run this stage; off unless switched on.")
    pivot: str = Field("en", description="The language every pair must have on exactly one side.")
    langid: bool = Field(
        True,
        description="Check both sides with the language-ID model of the langid section (its model, "
        "even when that stage is off); false trusts the declared languages.",
    )
    min_score: float = Field(
        0.5, ge=0.0, le=1.0,
        description="Lowest language-ID score of a side whose detected language is the declared one.",
    )
    per_language: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_PER_LANGUAGE),
        description="min_score per declared language, over min_score (default {sw: 0.3}: lid.176 scores "
        "short Swahili sentences low). Setting this key replaces the default table.",
    )
    required_scripts: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_REQUIRED_SCRIPTS.items()},
        description="Declared language -> ISO 15924 scripts of which a side must contain at least one letter "
        "(else parallel:wrong_language_<side>); default {ja: [Hira, Kana], ko: [Hang]}. Setting this key "
        "replaces the default table.",
    )
    max_length_ratio: float = Field(
        3.0, ge=1.0,
        description="Largest ratio of the longer side's tokens to the shorter side's (mixture tokenizer, "
        "so CJK and alphabetic sides compare fairly).",
    )
    min_tokens: int = Field(1, ge=0, description="Fewest tokens a side may have.")
    max_tokens: int = Field(1024, ge=1, description="Most tokens a side may have.")
    dedup: bool = Field(
        True,
        description="Drop exact duplicate pairs (same languages and same normalised text on both sides, "
        "in either column order); the pair with the smallest id is kept.",
    )
    directions: Literal["both", "to_english", "from_english"] = Field(
        "both",
        description="to_english: the other language first, the pivot second; from_english: the reverse; "
        "both: one of the two per pair, by keyed hash (each pair gives exactly one document).",
    )
    templates: list[str] = Field(
        default_factory=lambda: list(DEFAULT_TEMPLATES),
        min_length=1,
        description="How a pair becomes a document; one template per pair, by keyed hash. Fields: "
        "{src_text} {tgt_text} (required), {src_name} {tgt_name} (English language names), "
        "{src_lang} {tgt_lang} (codes).",
    )
    pii: bool = Field(
        True, description="Scrub PII from both sides with the pii section's settings (only when pii is enabled)."
    )
    sources: dict[str, ParallelSourceSettings] = Field(
        default_factory=dict,
        description="Per parallel source (by name): its languages and header handling.",
    )

    @field_validator("pivot")
    @classmethod
    def _pivot_code(cls, value: str) -> str:
        return _normalize_code(value)

    @field_validator("per_language", mode="after")
    @classmethod
    def _per_language_codes(cls, value: dict[str, float]) -> dict[str, float]:
        return normalize_score_map(value, _normalize_code)

    @field_validator("required_scripts", mode="after")
    @classmethod
    def _required_scripts_codes(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        from pipeline.text.script import KNOWN_SCRIPTS

        out: dict[str, list[str]] = {}
        for code in sorted(value):
            scripts = value[code]
            unknown = [s for s in scripts if s not in KNOWN_SCRIPTS]
            if unknown:
                raise ValueError(f"required_scripts['{code}']: unknown script '{unknown[0]}' (ISO 15924, e.g. Hira)")
            if not scripts:
                raise ValueError(f"required_scripts['{code}'] is empty")
            out[_normalize_code(code)] = list(scripts)
        return out

    @field_validator("templates")
    @classmethod
    def _template_fields(cls, value: list[str]) -> list[str]:
        for template in value:
            try:
                names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
            except ValueError as exc:
                raise ValueError(f"invalid template {template!r}: {exc}") from None
            unknown = [n for n in names if n not in TEMPLATE_FIELDS]
            if unknown:
                raise ValueError(f"template {template!r} uses unknown field {{{unknown[0]}}} "
                                 f"(fields: {', '.join(TEMPLATE_FIELDS)})")
            for needed in ("src_text", "tgt_text"):
                if needed not in names:
                    raise ValueError(f"template {template!r} must contain {{{needed}}}")
        return value

    @model_validator(mode="after")
    def _token_bounds(self) -> "ParallelConfig":
        if self.min_tokens > self.max_tokens:
            raise ValueError(f"min_tokens {self.min_tokens} > max_tokens {self.max_tokens}")
        return self

    def threshold_for(self, lang: str) -> float:
        """min_score for a declared language: exact entry, else its base language's, else min_score."""
        if lang in self.per_language:
            return self.per_language[lang]
        return self.per_language.get(lang.split("-", 1)[0], self.min_score)
