"""Language-ID stage, Beam side: :class:`LanguageId` batches documents, shares one fastText
model per worker process (``apache_beam.utils.shared.Shared``) and returns the stage dict
``{"kept", "dropped", "stats"}``. The logic lives in :mod:`pipeline.stages.langid_core`
(re-exported here).
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.utils.shared import Shared

from pipeline.config.langid import LangIdConfig
from pipeline.records import Doc, Dropped
from pipeline.stages.base import DROPPED, STATS, count
from pipeline.text.script import dominant_script
from pipeline.stages.langid_core import (  # noqa: F401 - the core is re-exported
    BUNDLED,
    LangIdModelError,
    LangPrediction,
    LanguageIdentifier,
    STAGE,
    bundled_model_path,
    check_labels,
    check_model,
    decide,
    identify_batch,
    label_to_lang,
    load_model,
    model_labels,
    prepare_text,
    resolve_model_path,
    sample_text,
)


class _SharedModel:
    """A weak-referenceable holder, so Shared can hand one model to every thread."""

    def __init__(self, model):
        self.model = model


class _LangIdDoFn(beam.DoFn):
    def __init__(self, section, shared: Shared):
        self._section = section
        self._shared = shared

    def setup(self):
        section = self._section
        tag = f"langid-model:{resolve_model_path(section.model)}"
        self._holder = self._shared.acquire(lambda: _SharedModel(load_model(section.model)), tag=tag)
        self._identifier = LanguageIdentifier.from_config(section, model=self._holder.model)
        self._kept = count(STAGE, "kept")
        self._dropped = count(STAGE, "dropped")
        self._counters: dict[str, object] = {}

    def _counter(self, what: str):
        counter = self._counters.get(what)
        if counter is None:
            counter = self._counters[what] = count(STAGE, what)
        return counter

    def process(self, batch: list[Doc]) -> Iterable:
        results, stats = identify_batch(self._identifier, self._section, batch)
        for key in sorted(stats):
            yield pvalue.TaggedOutput(STATS, (key, stats[key]))
        counted: Counter = Counter()  # Beam counters incremented once per batch, not per document
        for result in results:
            if isinstance(result, Dropped):
                counted[f"dropped/{result.reason.split(':', 1)[1]}"] += 1
                yield pvalue.TaggedOutput(DROPPED, result)
            else:
                counted[f"lang/{result.lang}"] += 1
                yield result
        kept = dropped = 0
        for what in sorted(counted):
            self._counter(what).inc(counted[what])
            if what.startswith("lang/"):
                kept += counted[what]
            else:
                dropped += counted[what]
        if kept:
            self._kept.inc(kept)
        if dropped:
            self._dropped.inc(dropped)


def _script_only(doc: Doc) -> Doc:
    return doc.with_(script=dominant_script(doc.text))


class LanguageId(beam.PTransform):
    """The language-ID stage: PCollection[Doc] -> {"kept", "dropped", "stats"}.

    Sets Doc.lang (product code, 'und' when undetermined), Doc.lang_score, Doc.script
    and, with top_k > 0, metadata['lang_topk']. With ``langid.enabled: false`` the
    documents only get their script and keep whatever lang they came with.
    """

    def __init__(self, section: LangIdConfig, label: str | None = None):
        super().__init__(label)
        self._section = section

    def expand(self, docs):
        section = self._section
        if not section.enabled:
            kept = docs | "Script" >> beam.Map(_script_only)
            dropped = docs.pipeline | "NoDropped" >> beam.Create([])
            stats = docs.pipeline | "NoStats" >> beam.Create([])
            return {"kept": kept, "dropped": dropped, "stats": stats}
        outputs = (
            docs
            | "Batch" >> beam.BatchElements(min_batch_size=section.batch_size, max_batch_size=section.batch_size)
            | "Identify" >> beam.ParDo(_LangIdDoFn(section, Shared())).with_outputs(DROPPED, STATS, main="kept")
        )
        return {"kept": outputs.kept, "dropped": outputs[DROPPED], "stats": outputs[STATS]}
