"""Quality stage, Beam side: :class:`QualityFilter` applies the core's
:class:`QualityChecker` to every document and returns ``{"kept", "dropped", "stats",
"examples"}``. The rules live in :mod:`pipeline.stages.quality_core` (re-exported here).
"""

from __future__ import annotations


import apache_beam as beam

from pipeline.config.mixture import TokenizerConfig
from pipeline.config.quality import QualityConfig
from pipeline.mixture.tokens import make_counter
from pipeline.records import Doc, Dropped
from pipeline.stages.base import apply_filter, count
from pipeline.stages.quality_core import (  # noqa: F401 - the core is re-exported
    BULLETS,
    C4_RULES,
    ELLIPSES,
    FINEWEB_RULES,
    GOPHER_RULES,
    QualityChecker,
    QualityResult,
    REPETITION_RULES,
    RULE_ORDER,
    STAGE,
    TERMINAL_PUNCTUATION,
    TextView,
    c4_applies,
    count_sentences,
    ends_with_terminal_punctuation,
    example_key,
    select_examples,
)
from pipeline.stats import QualityLang, is_stat


class _Decider:
    """Built in DoFn.setup: the checker plus lazily created per-rule Beam counters."""

    def __init__(self, config: QualityConfig, tokenizer_config=None):
        count_tokens = None
        if config.c4.remove_lines or any(
            o.c4 is not None and o.c4.remove_lines for o in (*config.per_language.values(), *config.per_script.values())
        ):
            # the token counter ran before this stage: keep Doc.tokens right when C4 edits text

            count_tokens = make_counter(tokenizer_config).count
        self._checker = QualityChecker(config, count_tokens)
        self._counters: dict[str, object] = {}

    def _inc(self, what: str) -> None:
        counter = self._counters.get(what)
        if counter is None:
            counter = self._counters[what] = count(STAGE, what)
        counter.inc()

    def __call__(self, doc: Doc):
        outcome, stats = self._checker.decide(doc)
        if isinstance(outcome, Dropped):
            self._inc("dropped/" + outcome.reason.split(":", 1)[1])
        if any(is_stat(key, QualityLang, what="stopwords_skipped") for key, _ in stats):
            self._inc("stopwords_skipped")
        return outcome, stats


class _MakeDecider:
    """Picklable factory: only the (plain pydantic) config travels with the graph."""

    def __init__(self, config: QualityConfig, tokenizer_config=None):
        self._config = config
        self._tokenizer_config = tokenizer_config

    def __call__(self) -> _Decider:
        return _Decider(self._config, self._tokenizer_config)


def _example_entry(dropped: Dropped, seed: int, chars: int):
    return dropped.reason, (example_key(seed, dropped.doc.id), dropped.doc.id, dropped.doc.text[:chars])


def _flatten_examples(item):
    reason, entries = item
    for _, doc_id, snippet in sorted(entries):
        yield reason, doc_id, snippet


class QualityFilter(beam.PTransform):
    """Quality stage: ``PCollection[Doc]`` -> {"kept", "dropped", "stats", "examples"}.

    Reads ``Doc.text``, ``Doc.lang`` and ``Doc.script`` (detected from the text when
    empty); writes ``Doc.text`` only when C4 line removal is on and removed lines.
    """

    def __init__(self, section: QualityConfig, *, seed: int, tokenizer: TokenizerConfig | None = None,
                 label: str | None = None):
        """``section``: the ``quality`` section; ``seed`` keys the dropped examples;
        ``tokenizer`` (``mixture.tokenizer``) counts tokens for the C4 line rules."""
        super().__init__(label)
        self._quality: QualityConfig = section
        self._seed: int = int(seed)
        self._tokenizer_config = tokenizer

    def expand(self, docs):
        q = self._quality
        if not q.enabled:
            empty = lambda name: docs.pipeline | name >> beam.Create([])  # noqa: E731
            return {"kept": docs, "dropped": empty("NoDropped"), "stats": empty("NoStats"),
                    "examples": empty("NoExamples")}
        out = apply_filter(docs, "QualityRules", STAGE, _MakeDecider(q, self._tokenizer_config))
        if q.keep_dropped_examples > 0:
            seed, chars = self._seed, q.example_chars
            out["examples"] = (
                out["dropped"]
                | "ExampleKeys" >> beam.Map(_example_entry, seed, chars)
                | "SmallestPerReason" >> beam.combiners.Top.SmallestPerKey(q.keep_dropped_examples)
                | "Examples" >> beam.FlatMap(_flatten_examples)
            )
        else:
            out["examples"] = docs.pipeline | "NoExamples" >> beam.Create([])
        return out
