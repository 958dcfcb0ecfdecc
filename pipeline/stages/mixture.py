"""Beam wrappers of the mixture core: token counting and weighted sampling.

``CountTokens`` sets ``Doc.tokens``. ``MixtureSample`` counts what every
(source, language) bucket holds after the filters, turns those counts and the config
into an :class:`~pipeline.mixture.allocation.Allocation` (one small object, handed to
the sampler as a singleton side input) and emits each document 0, 1 or more times.
Both return the stage dict of :mod:`pipeline.stages.base`.
"""

from __future__ import annotations

from typing import Iterable

import apache_beam as beam
from apache_beam import pvalue

from pipeline.config.mixture import MixtureConfig, TokenizerConfig
from pipeline.mixture.allocation import Allocation, BucketCounts, allocate
from pipeline.mixture.budget import Budget, budget_from_config
from pipeline.mixture.sampling import choose_exact_cuts, copies_for, exact_options, make_copies, rank_key
from pipeline.mixture.tokens import check_tokenizer, make_counter
from pipeline.records import Doc, Dropped
from pipeline.stats import MixtureBucket, MixtureBudget
from pipeline.stages.base import DROPPED, STATS, count

STAGE = "mixture"
NOT_SAMPLED = "mixture:not_sampled"  # the bucket is sampled, this document lost the draw
EXCLUDED = "mixture:excluded"  # the bucket gets no tokens (no weight, no share, no data)


def _key(what: str, source: str, lang: str) -> str:
    """The stat key of a per-bucket figure (pipeline/stats.py)."""
    return MixtureBucket(what, source, lang).key


# ---------------------------------------------------------------- token counting


class _CountTokensDoFn(beam.DoFn):
    def __init__(self, tokenizer_config):
        self._tokenizer_config = tokenizer_config
        self._counter = None

    def setup(self):
        # an exact tokenizer is loaded once per worker, never pickled with the graph
        self._counter = make_counter(self._tokenizer_config)
        self._counted = count(STAGE, "counted_docs")

    def process(self, doc: Doc) -> Iterable:
        tokens = self._counter.count(doc.text, doc.script or None)
        self._counted.inc()
        yield pvalue.TaggedOutput(STATS, (_key("counted_tokens", doc.source, doc.lang), tokens))
        yield doc.with_(tokens=tokens)


class _CountTokenBatchesDoFn(_CountTokensDoFn):
    """The same on batches, for counters with a vectorised ``count_batch`` (HF tokenizers)."""

    def process(self, docs: list[Doc]) -> Iterable:
        counts = self._counter.count_batch([d.text for d in docs])
        self._counted.inc(len(docs))
        for doc, tokens in zip(docs, counts):
            yield pvalue.TaggedOutput(STATS, (_key("counted_tokens", doc.source, doc.lang), tokens))
            yield doc.with_(tokens=tokens)


class CountTokens(beam.PTransform):
    """Sets ``Doc.tokens`` on every document with the configured counter.

    ``tokenizer``: the tokenizer spec (``mixture.tokenizer``). Outputs: ``kept``
    (every document, with tokens), ``dropped`` (always empty), ``stats``
    (``mixture/counted_tokens/<source>/<lang>``, summed).
    """

    def __init__(self, tokenizer: TokenizerConfig, label: str | None = None):
        super().__init__(label)
        self._tokenizer_config = tokenizer
        check_tokenizer(self._tokenizer_config)

    def expand(self, docs):
        if self._tokenizer_config.kind == "hf":
            # the Rust tokenizer encodes a batch in parallel: count in batches
            outputs = (
                docs
                | "Batch" >> beam.BatchElements(min_batch_size=16, max_batch_size=256)
                | "CountBatch" >> beam.ParDo(_CountTokenBatchesDoFn(self._tokenizer_config)).with_outputs(
                    DROPPED, STATS, main="kept"
                )
            )
        else:
            outputs = docs | "Count" >> beam.ParDo(_CountTokensDoFn(self._tokenizer_config)).with_outputs(
                DROPPED, STATS, main="kept"
            )
        stats = outputs[STATS] | "SumStats" >> beam.CombinePerKey(sum)
        return {"kept": outputs.kept, "dropped": outputs[DROPPED], "stats": stats}


# ---------------------------------------------------------------- sampling


class SumCounts(beam.CombineFn):
    """Sums (docs, tokens, chars, bytes) tuples."""

    def create_accumulator(self):
        return (0, 0, 0, 0)

    def add_input(self, acc, value):
        return (acc[0] + value[0], acc[1] + value[1], acc[2] + value[2], acc[3] + value[3])

    def merge_accumulators(self, accs):
        total = (0, 0, 0, 0)
        for acc in accs:
            total = self.add_input(total, acc)
        return total

    def extract_output(self, acc):
        return acc


class _ToDict(beam.CombineFn):
    """(key, value) pairs -> one dict (an empty dict for no input)."""

    def create_accumulator(self):
        return {}

    def add_input(self, acc, item):
        key, value = item
        acc[key] = value
        return acc

    def merge_accumulators(self, accs):
        merged = {}
        for acc in accs:
            merged.update(acc)
        return merged

    def extract_output(self, acc):
        return dict(sorted(acc.items()))


def _bucket_counts(doc: Doc):
    return (doc.source, doc.lang), (1, doc.tokens, doc.n_chars, doc.n_bytes)


def _available_stats(item) -> Iterable[tuple[str, int]]:
    (source, lang), (docs, tokens, chars, nbytes) = item
    yield _key("available_docs", source, lang), docs
    yield _key("available_tokens", source, lang), tokens
    yield _key("available_chars", source, lang), chars
    yield _key("available_bytes", source, lang), nbytes


def _plan_stats(allocation: Allocation) -> Iterable[tuple[str, float]]:
    if allocation.budget is not None:
        yield MixtureBudget().key, int(round(allocation.budget.tokens))
    for b in allocation.buckets:
        yield _key("target_tokens", b.source, b.lang), int(round(b.target_tokens))
        yield _key("planned_tokens", b.source, b.lang), int(round(b.planned_tokens))
        yield _key("shortfall_tokens", b.source, b.lang), int(round(b.shortfall_tokens))
        yield _key("epochs", b.source, b.lang), b.rate


def _allocate(counts: dict, mixture, budget: Budget | None, sources: list[str]) -> Allocation:
    available = {key: BucketCounts(*value) for key, value in counts.items()}
    return allocate(available, mixture, budget, sources)


def _exact_options_of(item, allocation: Allocation):
    (source, lang), ranked = item
    plan = allocation.bucket(source, lang)
    if plan is None:
        return (source, lang), exact_options([], 0, 0.0)
    cap = None if allocation.max_epochs is None else allocation.max_epochs * plan.available_tokens
    return (source, lang), exact_options(ranked, plan.available_tokens, plan.target_tokens, cap)


class _SampleDoFn(beam.DoFn):
    def __init__(self, seed: int):
        self._seed = seed

    def setup(self):
        self._kept = count(STAGE, "kept")
        self._copies = count(STAGE, "copies")
        self._dropped = count(STAGE, "dropped")

    def process(self, doc: Doc, allocation: Allocation, cuts: dict | None = None) -> Iterable:
        rate = allocation.rate(doc.source, doc.lang)
        if cuts is not None:
            cut = cuts.get((doc.source, doc.lang))
            n = cut.copies(self._seed, doc.id) if cut is not None else 0
        else:
            n = copies_for(self._seed, doc.id, rate)
        if n == 0:
            self._dropped.inc()
            yield pvalue.TaggedOutput(DROPPED, Dropped(doc, NOT_SAMPLED if rate > 0 else EXCLUDED))
            return
        self._kept.inc(n)
        # the original, counted here where it is chosen: the launcher checks that the
        # documents written equal selected + extra copies + canaries (pipeline/report/figures.py)
        yield pvalue.TaggedOutput(STATS, (_key("selected_docs", doc.source, doc.lang), 1))
        yield pvalue.TaggedOutput(STATS, (_key("written_docs", doc.source, doc.lang), n))
        yield pvalue.TaggedOutput(STATS, (_key("written_tokens", doc.source, doc.lang), n * doc.tokens))
        if n > 1:
            self._copies.inc(n - 1)
            yield pvalue.TaggedOutput(STATS, (_key("copies", doc.source, doc.lang), n - 1))
        yield from make_copies(doc, n)


class MixtureSample(beam.PTransform):
    """Samples the post-filter documents into the weighted mixture.

    ``section``: the ``mixture`` section; ``seed``: the run's seed; ``sources``: the
    names of the configured sources (every one gets a plan row). Documents must
    carry ``tokens`` (run :class:`CountTokens` first). Reads ``source``, ``lang``,
    ``id``, ``tokens``, ``text`` (for chars/bytes); copies get ids ``{id}#r{k}`` and
    ``metadata["copy"] = k``.

    Outputs: ``kept`` (the mixture, copies included), ``dropped`` (documents emitted 0
    times: ``mixture:not_sampled`` / ``mixture:excluded``), ``stats`` (summed per key,
    see docs/mixture.md) and ``allocation`` (a one-element PCollection holding the
    :class:`Allocation`, for the report). Accounting: input docs = kept − copies + dropped.
    """

    def __init__(self, section: MixtureConfig, *, seed: int, sources: list[str] = (),
                 budget: Budget | None = None, label: str | None = None):
        super().__init__(label)
        self._mixture = section
        self._seed = int(seed)
        self._sources = sorted(sources)
        # resolved here so that a bad budget fails when the graph is built, not on a worker
        self._budget = budget if budget is not None else budget_from_config(section.budget)

    def expand(self, docs):
        counts = (
            docs
            | "BucketOf" >> beam.Map(_bucket_counts)
            | "SumPerBucket" >> beam.CombinePerKey(SumCounts())
        )
        allocation = (
            counts
            | "CollectCounts" >> beam.CombineGlobally(_ToDict())
            | "Allocate" >> beam.Map(_allocate, self._mixture, self._budget, self._sources)
        )
        side_inputs = [beam.pvalue.AsSingleton(allocation)]
        if self._mixture.exact and self._budget is not None:
            seed = self._seed
            cuts = (
                docs
                | "RankOf" >> beam.Map(lambda d: ((d.source, d.lang), (rank_key(seed, d.id), d.tokens)))
                | "GroupBucket" >> beam.GroupByKey()
                | "BucketOptions" >> beam.Map(_exact_options_of, beam.pvalue.AsSingleton(allocation))
                | "CollectOptions" >> beam.CombineGlobally(_ToDict())
                | "ChooseCuts" >> beam.Map(choose_exact_cuts)
            )
            side_inputs.append(beam.pvalue.AsSingleton(cuts))
        outputs = docs | "Sample" >> beam.ParDo(_SampleDoFn(self._seed), *side_inputs).with_outputs(
            DROPPED, STATS, main="kept"
        )
        stats = (
            (
                outputs[STATS],
                counts | "AvailableStats" >> beam.FlatMap(_available_stats),
                allocation | "PlanStats" >> beam.FlatMap(_plan_stats),
            )
            | "AllStats" >> beam.Flatten()
            | "SumStats" >> beam.CombinePerKey(sum)
        )
        return {"kept": outputs.kept, "dropped": outputs[DROPPED], "stats": stats, "allocation": allocation}
