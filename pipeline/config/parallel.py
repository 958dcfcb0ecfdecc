"""Settings of the parallel stage (owned by that stage): English-paired bitext.

Bitext sources are ``kind: parallel`` entries of ``sources``; this section says how
their pairs are checked (token bounds, length ratio, the language decision of both
sides, correspondence checks), de-duplicated, scrubbed and rendered into training
documents.
"""

from __future__ import annotations

import string
from typing import Literal

from pydantic import Field, field_validator, model_validator

from pipeline.config.base import StageConfig, StrictModel
from pipeline.config.langid import normalize_code
from pipeline.text.script import KNOWN_SCRIPTS, SPACELESS_SCRIPTS

DEFAULT_TEMPLATES = (
    "{src_text}\n{tgt_text}",
    "{src_name}: {src_text}\n{tgt_name}: {tgt_text}",
    "Translate from {src_name} to {tgt_name}:\n{src_text}\n{tgt_text}",
)
TEMPLATE_FIELDS = ("src_text", "tgt_text", "src_name", "tgt_name", "src_lang", "tgt_lang")

# A Korean side must contain Hangul, a Chinese one no kana; the model's "ja" counts only
# on text with kana (lid.176 calls short all-Han text Japanese; a short Japanese UI
# string may be all Han, "設定", so a declared Japanese side needs no kana).
DEFAULT_REQUIRED_SCRIPTS = {"ko": ["Hang"]}
DEFAULT_LABEL_REQUIRED_SCRIPTS = {"ja": ["Hira", "Kana"]}
DEFAULT_FORBIDDEN_SCRIPTS = {"zh": ["Hira", "Kana"]}
CHECK_NAMES = ("untranslated", "placeholders", "numbers", "urls", "latin_tokens", "punctuation")
# Word-like length units per letter of the scripts written without spaces, so that a
# translation and its English source measure about the same (see docs/parallel.md:
# calibrated with benchmarks/parallel_eval.py --calibrate on the tune split).
# Per declared language, a factor on the length (same calibration): Vietnamese separates
# syllables, not words, with spaces.
DEFAULT_LENGTH_WEIGHTS = {"vi": 0.67}
# Lao has too few pairs there and takes Thai's weight.
DEFAULT_CHAR_WEIGHTS = {"Hani": 0.55, "Hira": 0.19, "Kana": 0.19, "Thai": 0.18, "Laoo": 0.18, "Khmr": 0.18,
                        "Mymr": 0.15}


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
    margin: float = Field(
        0.6, ge=0.0, le=1.0,
        description="Language decision: a side is rejected when the model gives another language that fits "
        "the side's script at least min_other_score and at least this much more than the declared language.",
    )
    min_other_score: float = Field(
        0.5, ge=0.0, le=1.0,
        description="Language decision: the lowest score of another language that can reject a side (see margin).",
    )
    pivot_min_other_score: float = Field(
        0.9, ge=0.0, le=1.0,
        description="Language decision: min_other_score for the side declared in the pivot language (its "
        "language is rarely wrong, and the model is least sure on short pivot strings).",
    )
    pivot_ratio: float | None = Field(
        None, ge=0.0,
        description="Language decision, off by default (null): the other side is rejected when the model's "
        "score for the pivot language on it is at least pivot_floor, more than its declared language's, and "
        "at least pivot_ratio times the pivot language's score on the pivot side (as English as the English "
        "side). On real UI strings it drops more true pairs than English ones (docs/parallel.md).",
    )
    pivot_floor: float = Field(
        0.3, ge=0.0, le=1.0, description="Language decision: see pivot_ratio."
    )
    top_k: int = Field(5, ge=1, le=50, description="Language decision: how many of the model's labels are read.")
    required_scripts: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_REQUIRED_SCRIPTS.items()},
        description="Declared language -> ISO 15924 scripts of which a side must contain at least one letter "
        "(else parallel:wrong_script_<side>); default {ko: [Hang]}. Setting this key replaces the default table.",
    )
    label_required_scripts: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_LABEL_REQUIRED_SCRIPTS.items()},
        description="Model label -> ISO 15924 scripts a side must contain for that label to count against "
        "the declared language; default {ja: [Hira, Kana]}: a kana-less side the model calls ja stays zh. "
        "Setting this key replaces the default table.",
    )
    forbidden_scripts: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_FORBIDDEN_SCRIPTS.items()},
        description="Declared language -> ISO 15924 scripts a side may not contain (else "
        "parallel:wrong_script_<side>); default {zh: [Hira, Kana]}. Setting this key replaces the default table.",
    )
    length_unit: Literal["words", "tokens"] = Field(
        "words",
        description="Unit of the length ratio: words = words of scripts written with spaces plus char_weights "
        "per letter of scripts without (placeholders left out); tokens = the mixture tokenizer.",
    )
    char_weights: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_CHAR_WEIGHTS),
        description="length_unit words: units per letter of a script written without spaces (ISO 15924); "
        "other such scripts count 1 per letter. Setting this key replaces the default table.",
    )
    length_weights: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_LENGTH_WEIGHTS),
        description="length_unit words: declared language -> factor on its side's length (default {vi: 0.67}: "
        "Vietnamese writes every syllable as a word). Setting this key replaces the default table.",
    )
    max_length_ratio: float = Field(
        2.2, ge=1.0,
        description="Largest (longer + length_slack) / (shorter + length_slack) of the two sides' lengths.",
    )
    length_slack: float = Field(
        1.0, ge=0.0,
        description="Added to both lengths before the ratio, so short strings ('OK' / 'Aceptar') are not "
        "held to a ratio of one or two words.",
    )
    checks: list[str] = Field(
        default_factory=lambda: list(CHECK_NAMES),
        description="Correspondence checks, each a drop reason parallel:<check>: untranslated (the other side "
        "equals the pivot side), placeholders, numbers, urls, latin_tokens, punctuation (see docs/parallel.md).",
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

    @field_validator("required_scripts", "label_required_scripts", "forbidden_scripts", mode="after")
    @classmethod
    def _script_table_codes(cls, value: dict[str, list[str]], info) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for code in sorted(value):
            scripts = value[code]
            unknown = [s for s in scripts if s not in KNOWN_SCRIPTS]
            if unknown:
                raise ValueError(f"{info.field_name}['{code}']: unknown script '{unknown[0]}' (ISO 15924, e.g. Hira)")
            if not scripts:
                raise ValueError(f"{info.field_name}['{code}'] is empty")
            out[_normalize_code(code)] = list(scripts)
        return out

    @field_validator("char_weights", mode="after")
    @classmethod
    def _char_weight_scripts(cls, value: dict[str, float]) -> dict[str, float]:
        for script, weight in value.items():
            if script not in SPACELESS_SCRIPTS:
                raise ValueError(f"char_weights['{script}']: not a script written without spaces "
                                 f"({', '.join(sorted(SPACELESS_SCRIPTS))})")
            if not weight > 0:
                raise ValueError(f"char_weights['{script}'] must be > 0 (got {weight})")
        return dict(sorted(value.items()))

    @field_validator("length_weights", mode="after")
    @classmethod
    def _length_weight_codes(cls, value: dict[str, float]) -> dict[str, float]:
        out: dict[str, float] = {}
        for code in sorted(value):
            if not value[code] > 0:
                raise ValueError(f"length_weights['{code}'] must be > 0 (got {value[code]})")
            out[_normalize_code(code)] = float(value[code])
        return out

    @field_validator("checks", mode="after")
    @classmethod
    def _known_checks(cls, value: list[str]) -> list[str]:
        unknown = [name for name in value if name not in CHECK_NAMES]
        if unknown:
            raise ValueError(f"checks: unknown check '{unknown[0]}' (checks: {', '.join(CHECK_NAMES)})")
        return [name for name in CHECK_NAMES if name in value]

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
