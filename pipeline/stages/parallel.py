"""English-paired parallel data: the Beam transform around :mod:`pipeline.stages.parallel_core`.

``ParallelSources(config, inputs)`` reads the ``kind: parallel`` files (``inputs`` from
:func:`pipeline.io.bitext.plan_parallel_inputs`) and returns:

* ``docs``     — ``PCollection[Doc]``: one rendered training example per kept pair
  (tokens counted, lang = the non-pivot language, metadata src_lang, tgt_lang,
  direction, template, pair, input_file, input_line, lang_scores);
* ``dropped``  — ``PCollection[Dropped]``, reasons ``parallel:<rule>``;
* ``rejected`` — ``PCollection[Rejected]``: lines/units that could not be parsed;
* ``stats``    — ``parallel/pairs/<pair>/<kept|dropped>``, ``parallel/reasons/<pair>/<reason>``, ``parallel/pii/entity/<E>/<lang>``
  and ``point/input/<source>/<lang>/<docs|tokens|chars|bytes>`` for every parsed pair.

Every parsed pair ends as exactly one doc or one dropped record. The language-ID model,
token counter and presidio engine are built in ``DoFn.setup``, never pickled.
"""

from __future__ import annotations

from typing import Iterable

import apache_beam as beam
from apache_beam import pvalue

from pipeline.io.bitext import parallel_sources, read_bitext
from pipeline.mixture.tokens import check_tokenizer
from pipeline.records import Rejected
from pipeline.stages.base import DROPPED, STATS, FilterDoFn, count
from pipeline.stages.parallel_core import (
    STAGE,
    PairFilter,
    PairRenderer,
    choose_representatives,
    dedup_key,
)
from pipeline.stats import ParallelPair, ParallelReason

__all__ = ["ParallelSources", "PairFilter", "PairRenderer"]

REJECTED = "rejected"


class _ReadBitextFn(beam.DoFn):
    def __init__(self, config):
        self._sources = parallel_sources(config)
        self._parallel = config.parallel

    def setup(self):
        self._read = count(STAGE, "read")
        self._rejected = count(STAGE, "rejected")

    def process(self, file) -> Iterable:
        source = self._sources[file.source_index]
        for record in read_bitext(source, file, self._parallel):
            if isinstance(record, Rejected):
                self._rejected.inc()
                yield pvalue.TaggedOutput(REJECTED, record)
            else:
                self._read.inc()
                yield record


class _KeepRepresentativeFn(beam.DoFn):
    def setup(self):
        self._dropped = count(STAGE, "duplicates")

    def process(self, element) -> Iterable:
        _, group = element
        kept, duplicates = choose_representatives(group)
        for dropped in duplicates:
            self._dropped.inc()
            yield pvalue.TaggedOutput(STATS, (ParallelPair(dropped.doc.metadata["pair"], "dropped").key, 1))
            yield pvalue.TaggedOutput(STATS, (ParallelReason(dropped.doc.metadata["pair"], "duplicate").key, 1))
            yield pvalue.TaggedOutput(DROPPED, dropped)
        yield kept


class ParallelSources(beam.PTransform):
    """Bitext files -> {"docs", "dropped", "rejected", "stats"}; see the module docstring.

    ``config`` is the root Config; ``inputs`` the parallel sources' InputFiles, whose
    ``source_index`` indexes :func:`pipeline.io.bitext.parallel_sources`.
    """

    def __init__(self, config, inputs: list, label: str | None = None):
        super().__init__(label)
        self._config = config
        self._inputs = list(inputs)
        known = {s.name for s in parallel_sources(config)}
        unknown = sorted(set(config.parallel.sources) - known)
        if unknown:
            raise ValueError(f"parallel.sources: {', '.join(unknown)} is not a kind: parallel source "
                             f"(parallel sources: {', '.join(sorted(known)) or 'none'})")
        if config.mixture.tokenizer is not None:

            check_tokenizer(config.mixture.tokenizer)

    def expand(self, pbegin):
        config = self._config
        read = (
            pbegin
            | "ListBitext" >> beam.Create(self._inputs)
            | "SpreadBitext" >> beam.Reshuffle()
            | "ReadBitext" >> beam.ParDo(_ReadBitextFn(config)).with_outputs(REJECTED, main="pairs")
        )
        # language ID, filters (counted as kept once, after rendering), then pair dedup
        checked = read.pairs | "CheckPairs" >> beam.ParDo(
            FilterDoFn(STAGE, lambda: PairFilter(config).check, count_kept=False)).with_outputs(
            DROPPED, STATS, main="kept")
        dropped = [checked[DROPPED]]
        stats = [checked[STATS]]
        kept = checked.kept
        if config.parallel.dedup:
            pivot = config.parallel.pivot
            unique = (
                kept
                | "KeyPairs" >> beam.Map(lambda c: (dedup_key(c.pair, pivot), c))
                | "GroupPairs" >> beam.GroupByKey()
                | "KeepRepresentative" >> beam.ParDo(_KeepRepresentativeFn()).with_outputs(
                    DROPPED, STATS, main="kept")
            )
            dropped.append(unique[DROPPED])
            stats.append(unique[STATS])
            kept = unique.kept
        finished = kept | "FinishPairs" >> beam.ParDo(
            FilterDoFn(STAGE, lambda: PairRenderer(config).finish)).with_outputs(DROPPED, STATS, main="docs")
        dropped.append(finished[DROPPED])
        stats.append(finished[STATS])
        return {
            "docs": finished.docs,
            "dropped": dropped | "FlattenDropped" >> beam.Flatten(),
            "rejected": read[REJECTED],
            "stats": stats | "FlattenStats" >> beam.Flatten(),
        }
