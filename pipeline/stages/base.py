"""The contract every stage follows.

A stage is a pure core (no Beam) plus a thin ``beam.PTransform``. The transform takes a
``PCollection[Doc]`` and returns a dict of PCollections:

* ``"kept"``    — ``PCollection[Doc]``: documents that go on (possibly rewritten);
* ``"dropped"`` — ``PCollection[Dropped]``: documents removed, with ``reason`` "stage:rule";
* ``"stats"``   — optional ``PCollection[tuple[str, int | float]]``: (stat key, amount)
  pairs that the run sums per key and hands to the report. Keys are built from the
  kinds declared in pipeline/stats.py, e.g. ``PiiEntity("EMAIL_ADDRESS", "de").key``
  (``"pii/entity/EMAIL_ADDRESS/de"``); the report decodes them there.

:class:`FilterDoFn` implements the common "decide per document" case; stages with a
global view (dedup) build their own graph but return the same dict.
"""

from __future__ import annotations

from typing import Callable, Iterable

import apache_beam as beam
from apache_beam import pvalue

from pipeline.records import Doc, Dropped

DROPPED = "dropped"
STATS = "stats"


def count(stage: str, what: str) -> beam.metrics.metric.Metrics.DelegatingCounter:
    """A Beam counter in the ``mixture`` namespace named ``stage/what``."""
    return beam.metrics.Metrics.counter("mixture", f"{stage}/{what}")


class FilterDoFn(beam.DoFn):
    """Runs ``decide(doc)`` on every document; it returns a kept Doc or a Dropped.

    ``make_decider`` is called once per worker in ``setup`` (heavy objects such as
    models are built there, never pickled with the graph). A decider may also return
    an iterable of ``(stat_key, amount)`` pairs as the second item of a tuple, which
    go to the ``stats`` output. ``count_kept=False`` leaves the ``kept`` counter to a
    later step of the same stage (a stage made of several decisions counts once).
    """

    def __init__(self, stage: str, make_decider: Callable[[], Callable[[Doc], object]], count_kept: bool = True):
        self._stage = stage
        self._make_decider = make_decider
        self._count_kept = count_kept
        self._decide = None

    def setup(self):
        self._decide = self._make_decider()
        self._kept = count(self._stage, "kept")
        self._dropped = count(self._stage, "dropped")

    def process(self, doc: Doc) -> Iterable:
        result = self._decide(doc)
        stats = ()
        if isinstance(result, tuple):
            result, stats = result
        for key, amount in stats:
            yield pvalue.TaggedOutput(STATS, (key, amount))
        if isinstance(result, Dropped):
            self._dropped.inc()
            yield pvalue.TaggedOutput(DROPPED, result)
        else:
            if self._count_kept:
                self._kept.inc()
            yield result


def apply_filter(pcoll, label: str, stage: str, make_decider) -> dict:
    """Apply a FilterDoFn and return the stage dict (kept / dropped / stats)."""
    outputs = pcoll | label >> beam.ParDo(FilterDoFn(stage, make_decider)).with_outputs(
        DROPPED, STATS, main="kept"
    )
    return {"kept": outputs.kept, "dropped": outputs[DROPPED], "stats": outputs[STATS]}
