"""Control-token stage, Beam side: :class:`ControlTokens` marks a keyed fraction of the
documents and returns ``{"kept", "dropped", "stats"}``. Scoring, levels and marking live
in :mod:`pipeline.stages.control_tokens_core` (re-exported here).
"""

from __future__ import annotations

import apache_beam as beam

from pipeline.config.control_tokens import ControlTokensConfig
from pipeline.config.mixture import TokenizerConfig
from pipeline.mixture.tokens import make_counter
from pipeline.records import Doc
from pipeline.stages.base import STATS, apply_filter, count
from pipeline.stages.control_tokens_core import (  # noqa: F401 - the core is re-exported
    BUNDLED_LEXICON_DIR,
    ControlTokenMarker,
    Decision,
    EMPTY_AFTER_LOOKALIKES,
    Lexicon,
    LexiconError,
    LexiconScorer,
    MetadataFieldScorer,
    PURPOSE,
    STAGE,
    Score,
    ToxicityScorer,
    level_for,
    lexicon_score,
    load_lexicons,
    lookalike_pattern,
    make_scorer,
    normalize_for_matching,
)
from pipeline.stats import ControlTokensLang, is_stat


# ----------------------------------------------------------------------------- Beam


class _MakeMarker:
    """Called in ``DoFn.setup``: loads lexicons (FileSystems) and the token counter once per worker."""

    def __init__(self, section: dict, seed: int, tokenizer_config):
        self._section = section
        self._seed = seed
        self._tokenizer_config = tokenizer_config

    def __call__(self):
        config = ControlTokensConfig.model_validate(self._section)
        scorer = make_scorer(config.toxicity) if "toxicity" in config.attributes else None
        marker = ControlTokenMarker(config, self._seed, scorer, make_counter(self._tokenizer_config))
        marked = count(STAGE, "marked")

        def decide(doc: Doc):
            decision = marker.mark(doc)
            if any(is_stat(key, ControlTokensLang, what="marked") for key, _ in decision.stats):
                marked.inc()
            return decision.result, decision.stats

        return decide


def check_lexicon_dir(toxicity) -> None:
    """Fail when the graph is built (not on a worker) if the lexicons cannot be read."""
    if toxicity.scorer == "lexicon":
        load_lexicons(toxicity.lexicon_dir)


class ControlTokens(beam.PTransform):
    """Adds control tokens to a keyed fraction of the documents; see the module docstring.

    Takes the ``control_tokens`` section, the run's ``seed`` and the tokenizer spec
    (``mixture.tokenizer``, which counts the added tokens); reads ``Doc.id``, ``text``, ``lang``, ``script``, ``tokens``, ``metadata``; writes
    ``Doc.text``, ``Doc.tokens`` and ``Doc.metadata`` of marked documents.
    """

    def __init__(self, section: ControlTokensConfig, *, seed: int, tokenizer: TokenizerConfig | None = None,
                 label: str | None = None):
        super().__init__(label)
        self._enabled = section.enabled
        self._section = section.model_dump(mode="json")
        self._seed = int(seed)
        self._tokenizer_config = tokenizer
        if self._enabled and "toxicity" in section.attributes:
            check_lexicon_dir(section.toxicity)

    def expand(self, pcoll):
        if not self._enabled:
            return {
                "kept": pcoll,
                "dropped": pcoll | "NoControlTokensDropped" >> beam.FlatMap(lambda doc: ()),
                "stats": pcoll | "NoControlTokensStats" >> beam.FlatMap(lambda doc: ()),
            }
        result = apply_filter(pcoll, "MarkControlTokens", STAGE,
                              _MakeMarker(self._section, self._seed, self._tokenizer_config))
        result[STATS] = result[STATS] | "SumControlTokenStats" >> beam.CombinePerKey(sum)
        return result


__all__ = [
    "BUNDLED_LEXICON_DIR",
    "ControlTokenMarker",
    "ControlTokens",
    "Decision",
    "Lexicon",
    "LexiconError",
    "LexiconScorer",
    "MetadataFieldScorer",
    "Score",
    "ToxicityScorer",
    "level_for",
    "lexicon_score",
    "load_lexicons",
    "lookalike_pattern",
    "make_scorer",
    "normalize_for_matching",
]
