"""Quality filtering settings (owned by the quality stage).

Four rule sections — ``gopher``, ``repetition``, ``c4``, ``fineweb`` — each with an
``enabled`` switch; every threshold may be set to ``null`` to switch that one rule off.
The sections at the top level are the defaults. Overrides are layered over them, last
wins:

1. shipped per-script defaults (:data:`DEFAULT_SCRIPT_OVERRIDES`: character-unit
   thresholds for Han, Japanese, Thai, Lao, Khmer, Myanmar, Tibetan, ...),
2. shipped per-language defaults (:data:`DEFAULT_LANGUAGE_OVERRIDES`: zh, ja, ko, th,
   ar, hi, ru, ...),
3. the user's ``per_script``,
4. the user's ``per_language`` (base code ``sr`` first, then the full tag ``sr-Latn``).

``use_default_overrides: false`` drops layers 1 and 2. Within a section, only the keys
an override sets change; a mapping value (the n-gram tables) is replaced as a whole.
"""

from __future__ import annotations

import copy
from typing import Any, Optional

from pydantic import Field, create_model, model_validator

from pipeline.config.base import StageConfig, StrictModel

Fraction = Optional[float]


class GopherConfig(StrictModel):
    """Gopher quality rules (Rae et al. 2021), on words from pipeline.text.segment."""

    enabled: bool = Field(True, description="Apply the Gopher quality rules.")
    min_words: Optional[int] = Field(50, ge=0, description="Drop if fewer words (characters for spaceless scripts).")
    max_words: Optional[int] = Field(100_000, ge=0, description="Drop if more words.")
    min_mean_word_length: Optional[float] = Field(3.0, ge=0, description="Drop if the mean word length (characters) is lower.")
    max_mean_word_length: Optional[float] = Field(10.0, ge=0, description="Drop if the mean word length (characters) is higher.")
    max_symbol_word_ratio: Fraction = Field(0.1, ge=0, description="Drop if ('#' + '...' + '…') occurrences per word exceed this.")
    max_bullet_lines_fraction: Fraction = Field(0.9, ge=0, le=1, description="Drop if more lines than this start with a bullet.")
    max_ellipsis_lines_fraction: Fraction = Field(0.3, ge=0, le=1, description="Drop if more lines than this end with an ellipsis.")
    min_alpha_words_fraction: Fraction = Field(0.8, ge=0, le=1, description="Drop if fewer tokens than this contain a letter.")
    min_stop_words: Optional[int] = Field(2, ge=0, description="Drop if fewer stop words of the document's language (skipped when spaCy has no list).")


class RepetitionConfig(StrictModel):
    """Gopher repetition rules: duplicated lines, paragraphs and n-grams."""

    enabled: bool = Field(True, description="Apply the Gopher repetition rules.")
    max_dup_line_fraction: Fraction = Field(0.30, ge=0, le=1, description="Drop if more lines than this are repeats of an earlier line.")
    max_dup_paragraph_fraction: Fraction = Field(0.30, ge=0, le=1, description="Drop if more paragraphs than this are repeats.")
    max_dup_line_char_fraction: Fraction = Field(0.20, ge=0, le=1, description="Drop if repeated lines hold more than this fraction of the characters.")
    max_dup_paragraph_char_fraction: Fraction = Field(0.20, ge=0, le=1, description="Drop if repeated paragraphs hold more than this fraction of the characters.")
    top_ngram_max_char_fraction: dict[int, float] = Field(
        default_factory=lambda: {2: 0.20, 3: 0.18, 4: 0.16},
        description="n -> drop if the most frequent word n-gram covers more than this fraction of word characters.",
    )
    dup_ngram_max_char_fraction: dict[int, float] = Field(
        default_factory=lambda: {5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10},
        description="n -> drop if repeated word n-grams cover more than this fraction of word characters.",
    )
    min_words_for_ngrams: int = Field(
        0, ge=0, description="Skip the n-gram rules for documents with fewer words than this."
    )

    @model_validator(mode="after")
    def _ngram_keys(self) -> "RepetitionConfig":
        for name in ("top_ngram_max_char_fraction", "dup_ngram_max_char_fraction"):
            for n, frac in getattr(self, name).items():
                if not 1 <= n <= 50:
                    raise ValueError(f"{name}: n-gram size {n} must be between 1 and 50")
                if not 0.0 <= frac <= 1.0:
                    raise ValueError(f"{name}[{n}]: fraction {frac} must be between 0 and 1")
        return self


DEFAULT_POLICY_PHRASES = [
    "terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies",
]


class C4Config(StrictModel):
    """C4 rules (Raffel et al. 2020). The page rules that do not depend on the language
    ('{', lorem ipsum, longest word, javascript and policy lines) apply to every language;
    the prose rules measured the English way (terminal punctuation, words per line,
    sentences) only to ``languages``."""

    enabled: bool = Field(True, description="Apply the C4 rules.")
    languages: list[str] = Field(
        default_factory=lambda: ["en"],
        description="Languages (codes or base codes) the English-style prose rules apply to (line ends in "
        "terminal punctuation, min_words_per_line, min_sentences); an empty list means every language. "
        "The other C4 rules apply to every language.",
    )
    remove_lines: bool = Field(True, description="Remove failing lines from kept documents (C4 behaviour); false only judges the page.")
    min_words_per_line: Optional[int] = Field(5, ge=0, description="A line with fewer words is removed ('languages' only).")
    require_terminal_punctuation: bool = Field(True, description="A line not ending in terminal punctuation is removed ('languages' only).")
    drop_javascript_lines: bool = Field(True, description="A line mentioning 'javascript' is removed.")
    policy_phrases: list[str] = Field(
        default_factory=lambda: list(DEFAULT_POLICY_PHRASES),
        description="A line containing one of these (case-insensitive) is removed.",
    )
    min_sentences: Optional[int] = Field(3, ge=0, description="Drop if the remaining text has fewer sentences ('languages' only).")
    max_word_length: Optional[int] = Field(1000, ge=1, description="Drop if any word is longer (characters).")
    drop_lorem_ipsum: bool = Field(True, description="Drop pages containing 'lorem ipsum' (in every language, not only 'languages').")
    drop_curly_bracket: bool = Field(True, description="Drop pages containing '{' (code, templates), in every language.")


class FineWebConfig(StrictModel):
    """FineWeb quality rules (Penedo et al. 2024)."""

    enabled: bool = Field(True, description="Apply the FineWeb rules.")
    min_punct_line_fraction: Fraction = Field(0.12, ge=0, le=1, description="Drop if fewer lines than this end in terminal punctuation.")
    short_line_length: int = Field(30, ge=1, description="A line of at most this many characters is short.")
    max_short_line_fraction: Fraction = Field(0.67, ge=0, le=1, description="Drop if more lines than this are short.")
    max_dup_line_char_fraction: Fraction = Field(0.01, ge=0, le=1, description="Drop if repeated lines hold more than this fraction of the characters.")
    max_newlines_per_word: Optional[float] = Field(0.3, ge=0, description="Drop if newlines per word exceed this.")


SECTIONS: dict[str, type[StrictModel]] = {
    "gopher": GopherConfig,
    "repetition": RepetitionConfig,
    "c4": C4Config,
    "fineweb": FineWebConfig,
}


def _partial(model: type[StrictModel]) -> type[StrictModel]:
    """The same section with every key optional: an override sets only what it names."""
    fields = {
        name: (Optional[info.annotation], Field(None, description=info.description))
        for name, info in model.model_fields.items()
    }
    # module-level names equal to the class names, so the classes pickle (Beam ships configs)
    return create_model(f"{model.__name__}Override", __base__=StrictModel, __module__=__name__, **fields)


GopherConfigOverride = _partial(GopherConfig)
RepetitionConfigOverride = _partial(RepetitionConfig)
C4ConfigOverride = _partial(C4Config)
FineWebConfigOverride = _partial(FineWebConfig)


class QualityOverride(StrictModel):
    """Per-language or per-script settings merged over the defaults."""

    gopher: Optional[GopherConfigOverride] = Field(None, description="Gopher keys to override.")  # type: ignore[valid-type]
    repetition: Optional[RepetitionConfigOverride] = Field(None, description="Repetition keys to override.")  # type: ignore[valid-type]
    c4: Optional[C4ConfigOverride] = Field(None, description="C4 keys to override.")  # type: ignore[valid-type]
    fineweb: Optional[FineWebConfigOverride] = Field(None, description="FineWeb keys to override.")  # type: ignore[valid-type]


class QualityRules(StrictModel):
    """The effective settings for one (language, script): what the rules read."""

    gopher: GopherConfig
    repetition: RepetitionConfig
    c4: C4Config
    fineweb: FineWebConfig


# Character units (see pipeline.text.segment). Measured on two texts translated into each
# language (tests/test_quality.py, benchmarks/results/quality.md), per English word there are
# ~1.7 Chinese units, ~2.5 Japanese, ~3.7 Thai, ~1.3 Hindi words, ~0.85 Russian, ~0.8 Arabic,
# ~0.75 Korean: Gopher's 50-word minimum is scaled by these ratios.
_CJK_REPETITION = {
    "top_ngram_max_char_fraction": {3: 0.20, 4: 0.18, 6: 0.16},
    "dup_ngram_max_char_fraction": {8: 0.15, 10: 0.14, 12: 0.13, 14: 0.12, 16: 0.11, 18: 0.10},
}
_LETTER_UNIT_REPETITION = {
    "top_ngram_max_char_fraction": {6: 0.20, 9: 0.18, 12: 0.16},
    "dup_ngram_max_char_fraction": {16: 0.15, 20: 0.14, 24: 0.13, 28: 0.12, 32: 0.11, 36: 0.10},
}
_CHAR_FINEWEB = {"short_line_length": 12}


def _spaceless(min_words: int, repetition: dict, fineweb: dict, **gopher: Any) -> dict:
    return {
        "gopher": {"min_words": min_words, "min_mean_word_length": 1.0, "max_mean_word_length": 5.0,
                   "max_words": 300_000, **gopher},
        "repetition": dict(repetition),
        "fineweb": dict(fineweb),
    }


DEFAULT_SCRIPT_OVERRIDES: dict[str, dict] = {
    "Hani": _spaceless(85, _CJK_REPETITION, _CHAR_FINEWEB),
    "Jpan": _spaceless(120, _CJK_REPETITION, _CHAR_FINEWEB),
    "Hira": _spaceless(120, _CJK_REPETITION, _CHAR_FINEWEB),
    "Kana": _spaceless(120, _CJK_REPETITION, _CHAR_FINEWEB),
    "Bopo": _spaceless(85, _CJK_REPETITION, _CHAR_FINEWEB),
    "Yiii": _spaceless(85, _CJK_REPETITION, _CHAR_FINEWEB),
    # Thai, Lao, Khmer, Myanmar, Tibetan: letters are the units and sentences are
    # separated by spaces rather than punctuation, so the punctuation-line rule is off.
    **{
        code: _spaceless(
            180, _LETTER_UNIT_REPETITION, {"short_line_length": 20, "min_punct_line_fraction": None}
        )
        for code in ("Thai", "Laoo", "Khmr", "Mymr", "Tibt")
    },
    # Hangul words are syllable blocks of ~3 syllables with particles attached
    "Kore": {"gopher": {"min_words": 35, "min_mean_word_length": 1.5}, "fineweb": {"short_line_length": 15}},
    "Hang": {"gopher": {"min_words": 35, "min_mean_word_length": 1.5}, "fineweb": {"short_line_length": 15}},
}

# script variants that share the shipped defaults of their family
_SCRIPT_ALIASES = {"Hans": "Hani", "Hant": "Hani", "Hrkt": "Jpan"}

DEFAULT_LANGUAGE_OVERRIDES: dict[str, dict] = {
    "zh": _spaceless(85, _CJK_REPETITION, _CHAR_FINEWEB),
    "ja": _spaceless(120, _CJK_REPETITION, _CHAR_FINEWEB),
    "ko": {"gopher": {"min_words": 35, "min_mean_word_length": 1.5}, "fineweb": {"short_line_length": 15}},
    "th": _spaceless(180, _LETTER_UNIT_REPETITION, {"short_line_length": 20, "min_punct_line_fraction": None}),
    # Arabic script: clitics are written attached, so words are few and long
    "ar": {"gopher": {"min_words": 40, "max_mean_word_length": 12.0}},
    "fa": {"gopher": {"max_mean_word_length": 12.0}},
    "ur": {"gopher": {"max_mean_word_length": 12.0}},
    # Devanagari vowel signs are separate code points: short words ("के", "में") are 2-3
    "hi": {"gopher": {"min_words": 60, "min_mean_word_length": 2.0}},
    "mr": {"gopher": {"min_mean_word_length": 2.0}},
    "ne": {"gopher": {"min_mean_word_length": 2.0}},
    # no articles / rich morphology: the same text has ~20% fewer words than in English
    **{code: {"gopher": {"min_words": 40}} for code in (
        "ru", "uk", "be", "bg", "mk", "sr", "hr", "bs", "sl", "cs", "sk", "pl", "lt", "lv",
        "fi", "et", "hu", "tr", "az", "kk", "uz")},
}


def _merge(base: dict, override: dict) -> dict:
    """Section-wise merge: keys the override sets replace the base (mappings replaced whole)."""
    merged = copy.deepcopy(base)
    for section, values in override.items():
        if values is None:
            continue
        merged.setdefault(section, {}).update(copy.deepcopy(values))
    return merged


def _override_dict(override: QualityOverride | dict | None) -> dict:
    if override is None:
        return {}
    if isinstance(override, dict):
        return override
    return {
        name: section.model_dump(exclude_unset=True)
        for name in SECTIONS
        if (section := getattr(override, name)) is not None
    }


def _language_keys(lang: str) -> list[str]:
    """Most specific first: 'sr-Latn' -> ['sr-Latn', 'sr']."""
    lang = (lang or "").replace("_", "-")
    keys = [lang]
    base = lang.split("-", 1)[0]
    if base and base != lang:
        keys.append(base)
    return keys


class QualityConfig(StageConfig):
    gopher: GopherConfig = Field(default_factory=GopherConfig, description="Gopher quality rules.")
    repetition: RepetitionConfig = Field(default_factory=RepetitionConfig, description="Gopher repetition rules.")
    c4: C4Config = Field(default_factory=C4Config, description="C4 page and line rules.")
    fineweb: FineWebConfig = Field(default_factory=FineWebConfig, description="FineWeb rules.")
    per_language: dict[str, QualityOverride] = Field(
        default_factory=dict, description="Language code -> settings merged over the defaults."
    )
    per_script: dict[str, QualityOverride] = Field(
        default_factory=dict, description="ISO 15924 script -> settings merged over the defaults."
    )
    use_default_overrides: bool = Field(
        True, description="Apply the shipped per-script and per-language overrides (zh, ja, ko, th, ar, hi, ...)."
    )
    skip_sources: list[str] = Field(
        default_factory=list,
        description="Source names whose documents pass untouched (code, parallel data: prose rules do not fit them).",
    )
    keep_dropped_examples: int = Field(
        20, ge=0, description="Dropped documents kept per reason as examples (0: none)."
    )
    example_chars: int = Field(500, ge=1, description="Characters of each dropped example that are kept.")

    @model_validator(mode="after")
    def _overrides_are_valid(self) -> "QualityConfig":
        for kind, table in (("per_language", self.per_language), ("per_script", self.per_script)):
            for key in table:
                try:
                    if kind == "per_language":
                        self.rules_for(key, "")
                    else:
                        self.rules_for("", key)
                except ValueError as exc:
                    raise ValueError(f"quality.{kind}.{key}: {exc}") from None
        return self

    def defaults(self) -> dict:
        return {name: getattr(self, name).model_dump() for name in SECTIONS}

    def rules_for(self, lang: str, script: str = "") -> QualityRules:
        """The effective rules for a document of ``lang`` written in ``script``.

        Not cached here (the config may still be edited); the quality stage caches the
        result per (lang, script) once its workers start.
        """
        merged = self.defaults()
        lang_keys = list(reversed(_language_keys(lang)))  # base first, specific last
        shipped_script = _SCRIPT_ALIASES.get(script, script)
        if self.use_default_overrides:
            if shipped_script in DEFAULT_SCRIPT_OVERRIDES:
                merged = _merge(merged, DEFAULT_SCRIPT_OVERRIDES[shipped_script])
            for k in lang_keys:
                if k in DEFAULT_LANGUAGE_OVERRIDES:
                    merged = _merge(merged, DEFAULT_LANGUAGE_OVERRIDES[k])
        # the user's overrides always win over the shipped ones
        if script in self.per_script:
            merged = _merge(merged, _override_dict(self.per_script[script]))
        for k in lang_keys:
            if k in self.per_language:
                merged = _merge(merged, _override_dict(self.per_language[k]))
        try:
            rules = QualityRules.model_validate(merged)
        except Exception as exc:  # pydantic ValidationError -> one readable line per problem
            errors = getattr(exc, "errors", None)
            if callable(errors):
                detail = "; ".join(
                    ".".join(str(p) for p in e["loc"]) + ": " + e["msg"] for e in errors()
                )
            else:
                detail = str(exc)
            raise ValueError(detail) from None
        return rules
