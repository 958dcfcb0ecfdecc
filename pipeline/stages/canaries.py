"""The canaries stage: ``InjectCanaries`` adds canary documents, built from the final
mixture by the core (:mod:`pipeline.stages.canaries_core`), and returns their manifest.

Per language, a combiner keeps a bounded keyed-hash sample of documents (no worker ever
sees a whole language); per-language (tokens, eligible documents) summaries (for bins
and language choice) reach the builder as a small side input.
"""

from __future__ import annotations

import apache_beam as beam
from apache_beam import pvalue

from pipeline.config.canaries import CanariesConfig
from pipeline.config.mixture import TokenizerConfig
from pipeline.mixture.tokens import make_counter
from pipeline.stages.base import STATS, count
from pipeline.stages.canaries_core import (
    STAGE,
    LanguageChooser,
    build_language,
    required_docs,
    sampler_for,
)

MANIFEST = "manifest"


class _SampleLanguageFn(beam.CombineFn):
    def __init__(self, config: CanariesConfig, seed: int):
        self._sampler = sampler_for(config, seed)

    def create_accumulator(self):
        return self._sampler.create()

    def add_input(self, acc, doc):
        return self._sampler.add(acc, doc)

    def merge_accumulators(self, accs):
        return self._sampler.merge(accs)

    def extract_output(self, acc):
        return acc


class _BuildCanariesFn(beam.DoFn):
    def __init__(self, config: CanariesConfig, seed: int, tokenizer_config: TokenizerConfig | None):
        self._config = config
        self._seed = seed
        self._tokenizer_config = tokenizer_config

    def setup(self):
        self._counter = make_counter(self._tokenizer_config)
        self._sampler = sampler_for(self._config, self._seed)
        self._chooser = LanguageChooser(self._config, self._seed)
        self._injected = count(STAGE, "injected_docs")

    def process(self, element, summaries):
        lang, acc = element
        sample = self._sampler.result(lang, acc)
        docs, entries, stats = build_language(sample, self._chooser.choose(dict(summaries)), self._config,
                                              self._seed, self._counter.count)
        for key, amount in stats:
            yield pvalue.TaggedOutput(STATS, (key, amount))
        for entry in entries:
            yield pvalue.TaggedOutput(MANIFEST, entry)
        self._injected.inc(len(docs))
        yield from docs


class InjectCanaries(beam.PTransform):
    """Final mixture -> {"kept": the input plus the injected canary docs,
    "manifest": PCollection[dict] (one entry per canary), "stats": (key, n) pairs}.

    Takes the ``canaries`` section, the run's ``seed`` and the tokenizer spec
    (``mixture.tokenizer``, which counts the canaries' tokens like every document's).
    """

    def __init__(self, section: CanariesConfig, *, seed: int, tokenizer: TokenizerConfig | None = None):
        super().__init__()
        self._canaries = section
        self._seed = seed
        self._tokenizer = tokenizer

    def expand(self, docs):
        samples = (
            docs
            | "KeyByLanguage" >> beam.Map(lambda d: (d.lang, d))
            | "SampleLanguages" >> beam.CombinePerKey(_SampleLanguageFn(self._canaries, self._seed))
        )
        need = required_docs(self._canaries.types, self._canaries.per_language)
        summaries = samples | "LanguageSummaries" >> beam.Map(
            lambda kv: (kv[0], (kv[1][0], min(len(kv[1][2]), need))))
        built = samples | "BuildCanaries" >> beam.ParDo(
            _BuildCanariesFn(self._canaries, self._seed, self._tokenizer), summaries=pvalue.AsDict(summaries)
        ).with_outputs(MANIFEST, STATS, main="kept")
        kept = (docs, built.kept) | "WithCanaries" >> beam.Flatten()
        return {"kept": kept, "manifest": built[MANIFEST], "stats": built[STATS]}
