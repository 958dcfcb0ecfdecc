"""PII scrubbing stage: the Beam transform around :mod:`pipeline.stages.pii_core`.

The core is split in modules: ``pii_core`` (the scrubber: settings, detection passes,
replacement, report figures), ``pii_recognizers`` (presidio recognizers, pre-check gates,
checksums), ``pii_rules`` (keep rules), ``pii_context`` (tables, identifiers, headings,
adjacent numbers), ``pii_spans`` (spans, soft line breaks, span edges) and ``pii_fake``
(fake values).

``PiiScrub(section, seed=...)`` takes ``PCollection[Doc]`` and returns the stage dict:

* ``kept``    — documents with PII replaced (``Doc.text`` rewritten, nothing else changed);
* ``dropped`` — ``Dropped`` with reason ``pii:too_many`` (more than ``max_spans`` spans)
  or ``pii:contains_pii`` (``mode: drop_document``);
* ``stats``   — ``pii/docs/<lang>``, ``pii/docs_with_pii/<lang>``,
  ``pii/entity/<ENTITY>/<lang>``, ``pii/spans/<lang>``, ``pii/precheck_skipped/<lang>``,
  ``pii/ignored/<rule>/<lang>``.

The presidio engine is built in ``DoFn.setup`` (once per worker), never pickled.
"""

from __future__ import annotations

import apache_beam as beam

from pipeline.config.pii import PiiConfig, available_entities
from pipeline.stages.base import apply_filter, count
from pipeline.stages.pii_core import STAGE, PiiScrubber, ScrubResult, decision_for, scrub_snippet, stats_for
from pipeline.stages.pii_fake import fake_value

from pipeline.stages.pii_spans import Span, resolve_overlaps

__all__ = [
    "PiiScrub",
    "PiiScrubber",
    "ScrubResult",
    "Span",
    "available_entities",
    "fake_value",
    "resolve_overlaps",
    "scrub_snippet",
    "stats_for",
]


class _Decider:
    """Built in ``setup``: wraps the core's decision and feeds the Beam counters."""

    def __init__(self, pii: dict, seed: int):
        self._pii = pii
        self._seed = seed

    def __call__(self):
        scrubber = PiiScrubber(PiiConfig.model_validate(self._pii), seed=self._seed)
        docs_with_pii = count(STAGE, "docs_with_pii")
        spans = count(STAGE, "spans")
        skipped = count(STAGE, "precheck_skipped")
        entity_counters: dict[str, object] = {}

        def decide(doc):
            result = scrubber.scrub(doc.text, doc.lang)
            if result.skipped_presidio:
                skipped.inc()
            if result.spans:
                docs_with_pii.inc()
                spans.inc(len(result.spans))
                for entity, n in sorted(result.counts.items()):
                    counter = entity_counters.get(entity)
                    if counter is None:
                        counter = entity_counters[entity] = count(STAGE, f"entity/{entity}")
                    counter.inc(n)
            return decision_for(doc, result), stats_for(result, doc.lang)

        return decide


class PiiScrub(beam.PTransform):
    """Replace PII in every document; see the module docstring for the outputs.

    Takes the ``pii`` section and the run's ``seed`` (which keys the fake values); reads
    ``Doc.text`` and ``Doc.lang``, writes ``Doc.text``.
    """

    def __init__(self, section: PiiConfig, *, seed: int, label: str | None = None):
        super().__init__(label)
        self._enabled = section.enabled
        self._pii = section.model_dump(mode="json")
        self._seed = int(seed)

    def expand(self, pcoll):
        if not self._enabled:
            return {
                "kept": pcoll,
                "dropped": pcoll | "NoPiiDropped" >> beam.FlatMap(lambda doc: ()),
                "stats": pcoll | "NoPiiStats" >> beam.FlatMap(lambda doc: ()),
            }
        return apply_filter(pcoll, "ScrubPii", STAGE, _Decider(self._pii, self._seed))
