"""Beam parts of the near-duplicate search: per-document features (LSH bands, verification
payloads, fingerprints), candidate edges from the LSH buckets and their verification."""

from __future__ import annotations

import apache_beam as beam
from apache_beam import pvalue

from pipeline.records import Doc
from pipeline.stages.base import count
from pipeline.stages.dedup_components import (
    _BANDS,
    _FPS,
    _SIGS,
    _WEIGHTS,
    CLUSTER_SIZE_KEY,
    STAGE,
    _fingerprints_are_payloads,
    _GlobalStatsBuffer,
)
from pipeline.stages.dedup_core import (
    NearFeaturizer,
    NearSettings,
    size_bin,
    star_edges,
    summarize_bucket,
    verification_similarity,
)
from pipeline.stats import DedupBucketSize, DedupNear, DedupNearLang, DedupShingleUnit


# --------------------------------------------------------------------------- near: features and candidates


class _FeaturizeFn(beam.DoFn):
    """Shingles → MinHash signature → band keys; the MinHasher is built in setup, never pickled."""

    def __init__(self, near: NearSettings, keep_cluster_size: bool):
        self._near = near
        self._weights = keep_cluster_size
        self._featurizer = None

    def setup(self):
        self._featurizer = NearFeaturizer(self._near)
        self._signed = count(STAGE, "signatures")

    def start_bundle(self):
        self._stats = _GlobalStatsBuffer()

    def process(self, doc: Doc):
        f = self._featurizer.features(doc.id, doc.text, doc.lang, doc.script)
        yield f.node, doc
        if f.short:
            self._stats.add(DedupNearLang("short_docs", doc.lang).key)
        if f.signature is None:
            self._stats.add(DedupNearLang("no_shingles", doc.lang).key)
            return
        self._signed.inc()
        self._stats.add(DedupNear("signatures").key)
        self._stats.add(DedupShingleUnit(f.spec.unit).key)
        for key in f.bands:
            yield pvalue.TaggedOutput(_BANDS, (key, f.node))
        if self._near.verify:
            yield pvalue.TaggedOutput(_SIGS, (f.node, f.verify_payload))
        if self._near.witness and not _fingerprints_are_payloads(self._near):
            yield pvalue.TaggedOutput(_FPS, (f.node, f.fingerprint))
        if self._weights:
            weight = int(doc.metadata.get(CLUSTER_SIZE_KEY, 1))
            if weight != 1:
                yield pvalue.TaggedOutput(_WEIGHTS, (f.node, weight))

    def finish_bundle(self):
        yield from self._stats.flush()


class _BucketEdgesFn(beam.DoFn):
    """Star edges of one LSH bucket: every member → the bucket's minimum; never all pairs."""

    def __init__(self, max_bucket_size: int):
        self._max = max_bucket_size

    def setup(self):
        self._capped = count(STAGE, "capped_buckets")

    def start_bundle(self):
        self._stats = _GlobalStatsBuffer()

    def process(self, element):
        _, members = element
        bucket = summarize_bucket(members, self._max)
        self._stats.add(DedupBucketSize(size_bin(bucket.size)).key)
        if bucket.size < 2:
            return
        if bucket.capped:
            self._capped.inc()
            self._stats.add(DedupNear("capped_buckets").key)
            self._stats.add(DedupNear("capped_members").key, bucket.size - self._max)
        yield from star_edges(members, bucket)

    def finish_bundle(self):
        yield from self._stats.flush()


def _edge_ends(edge):
    """An edge keyed by each of its two ends (to meet both ends' verification payloads)."""
    a, b = edge
    return [(a, edge), (b, edge)]


def _attach_payload(element):
    """Join step 1 (key = a node): send the node's payload to every edge that touches it."""
    _, grouped = element
    payloads = list(grouped["payload"])
    if not payloads:
        return
    payload = payloads[0]
    for edge in grouped["edge"]:
        yield edge, payload


class _VerifyFn(beam.DoFn):
    """Join step 2 (key = an edge, with the payloads of its two ends): keep it if their similarity ≥ threshold."""

    def __init__(self, threshold: float, method: str):
        self._t = threshold
        self._method = method

    def start_bundle(self):
        self._stats = _GlobalStatsBuffer()

    def process(self, element):
        edge, payloads = element
        payloads = list(payloads)  # exactly two: one per end
        if len(payloads) != 2:
            return
        if verification_similarity(self._method, payloads[0], payloads[1]) >= self._t:
            self._stats.add(DedupNear("verified_pairs").key)
            yield edge
        else:
            self._stats.add(DedupNear("rejected_pairs").key)

    def finish_bundle(self):
        yield from self._stats.flush()
