"""Deduplication stage: exact, then MinHash LSH near-duplicates, as a Beam composite.

Data flow (every arrow that crosses a box is one shuffle; nothing is gathered on one
worker except the optional clusters.jsonl and the handful of per-round counts)::

    docs ─► exact key ─► GroupByKey ─► keep min(keep key) ──────────────► kept′ / dropped(dedup:exact)
    kept′ ─► shingles, MinHash, band keys ─► GroupByKey(band) ─► star edges member→bucket min
          ─► Distinct ─► [verify: join shingle fingerprints (or signatures) to both ends, group per edge, Jaccard ≥ t]
          ─► max_rounds × (large-star GBK, small-star GBK)   (Kiveris et al. 2014)
          ─► (node → component min) ─► join shingle fingerprints (CoGroupByKey by node)
          ─► witness_rounds × (GroupByKey by (component, pivot): members vs pivot, exact Jaccard ≥ t
                               → removed with the pivot as witness; the others → next round's sub-cluster)
          ─► (node → witness) ─► CoGroupByKey with the docs ─► kept / dropped(dedup:near)
    exact duplicates of near-removed documents ─► CoGroupByKey ─► their witness is the near witness
    witness records ─► GroupByKey into a fixed number of shards ─► OUTPUT/dedup/witnesses-*.jsonl

The pure logic lives in :mod:`pipeline.stages.dedup_core`.
"""

from __future__ import annotations

import json

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.io.filesystems import FileSystems

from pipeline.config.dedup import DedupConfig
from pipeline.hashing import keyed_hash64
from pipeline.records import Doc, Dropped
from pipeline.stages.base import DROPPED, STATS, count
from pipeline.stages.dedup_core import (
    DedupSettings,
    exact_key,
    keep_key,
    node_id,
    resolve_settings,
    witness_record,
)
from pipeline.stages.dedup_components import (  # noqa: F401 - re-exported
    _BANDS,
    _CLUSTERS,
    _FPS,
    _SIGS,
    _WEIGHTS,
    CLUSTER_SIZE_KEY,
    DUPLICATE_OF_KEY,
    STAGE,
    ConnectedComponents,
    WitnessCheck,
    _GlobalStatsBuffer,
    _WITNESS,
    _fingerprints_are_payloads,
)
from pipeline.stages.dedup_near import (  # noqa: F401 - re-exported
    _BucketEdgesFn,
    _FeaturizeFn,
    _VerifyFn,
    _attach_payload,
    _edge_ends,
)
from pipeline.stats import DedupClusters, DedupClusterSize, DedupKindClusters, DedupKindClusterSize, DedupLargest, DedupNear, DedupRemoved

WITNESS_SHARDS = 4  # OUTPUT/dedup/witnesses-0000i-of-00004.jsonl


def _cluster_stats(kind: str, size: int) -> list[tuple[str, int]]:
    return [
        (DedupClusters().key, 1),
        (DedupKindClusters(kind).key, 1),
        (DedupClusterSize(size).key, 1),
        (DedupKindClusterSize(kind, size).key, 1),
    ]


def _top_key(item: tuple) -> tuple:
    """Order of (size, representative id): larger size first, then smaller id (a total order)."""
    size, rep = item
    return (size, tuple(-ord(ch) for ch in rep) + (1,))


# --------------------------------------------------------------------------- exact


class _ExactKeyFn(beam.DoFn):
    def __init__(self, strip_punctuation: bool):
        self._strip = strip_punctuation

    def process(self, doc: Doc):
        yield exact_key(doc.text, self._strip), doc


class _ExactPickFn(beam.DoFn):
    """One exact-duplicate group: keep the minimum keep key, drop the others."""

    def __init__(self, settings: DedupSettings):
        self._s = settings

    def setup(self):
        self._kept = count(STAGE, "exact_kept")
        self._dropped = count(STAGE, "exact_dropped")

    def process(self, element):
        _, group = element
        s = self._s
        rep_key, size = None, 0
        for d in group:  # pass 1: representative and size (the group is streamed, not held)
            k = keep_key(s.exact_keep, d.id, len(d.text))
            if rep_key is None or k < rep_key:
                rep_key = k
            size += 1
        rep_done = False
        members = []
        for d in group:  # pass 2
            if not rep_done and keep_key(s.exact_keep, d.id, len(d.text)) == rep_key:
                rep_done = True
                self._kept.inc()
                yield d.with_metadata(**{CLUSTER_SIZE_KEY: size}) if s.keep_cluster_size else d
            else:
                self._dropped.inc()
                yield pvalue.TaggedOutput(
                    DROPPED, Dropped(d.with_metadata(**{DUPLICATE_OF_KEY: node_id(rep_key)}), "dedup:exact")
                )
                yield pvalue.TaggedOutput(STATS, (DedupRemoved("exact", d.lang).key, 1))
                yield pvalue.TaggedOutput(_WITNESS, (node_id(rep_key), d.id))
            if s.write_clusters and size > 1:
                members.append(d.id)
        if size > 1:
            for stat in _cluster_stats("exact", size):
                yield pvalue.TaggedOutput(STATS, stat)
            yield pvalue.TaggedOutput(_CLUSTERS, ("exact", node_id(rep_key), size, sorted(members)))


# --------------------------------------------------------------------------- near: final decision


class _NearDecideFn(beam.DoFn):
    def __init__(self, keep_cluster_size: bool):
        self._keep_size = keep_cluster_size

    def setup(self):
        self._kept = count(STAGE, "near_kept")
        self._dropped = count(STAGE, "near_dropped")

    def process(self, element):
        _, grouped = element
        roots = list(grouped["root"])
        member_weight = sum(grouped["member_weight"])
        for doc in grouped["doc"]:
            if roots:
                self._dropped.inc()
                yield pvalue.TaggedOutput(
                    DROPPED, Dropped(doc.with_metadata(**{DUPLICATE_OF_KEY: node_id(roots[0])}), "dedup:near")
                )
                yield pvalue.TaggedOutput(STATS, (DedupRemoved("near", doc.lang).key, 1))
            else:
                self._kept.inc()
                if self._keep_size:
                    own = int(doc.metadata.get(CLUSTER_SIZE_KEY, 1))
                    doc = doc.with_metadata(**{CLUSTER_SIZE_KEY: own + member_weight})
                yield doc


class _WriteClustersFn(beam.DoFn):
    """Writes the sorted audit lines to one file (deterministic bytes)."""

    def __init__(self, path: str):
        self._path = path

    def process(self, lines: list):
        with FileSystems.create(self._path) as fh:
            for line in sorted(lines):
                fh.write(line.encode("utf-8") + b"\n")
        yield self._path


def _member_weight(element):
    """(node, {root: [...], weight: [...]}) → (root, weight of node) for every labelled node."""
    _, grouped = element
    roots = list(grouped["root"])
    if roots:
        weights = list(grouped["weight"])
        yield roots[0], (weights[0] if weights else 1)


class _NearDedup(beam.PTransform):
    def __init__(self, settings: DedupSettings):
        super().__init__()
        self._s = settings

    def expand(self, docs):
        s, near = self._s, self._s.near
        feats = docs | "Featurize" >> beam.ParDo(_FeaturizeFn(near, s.keep_cluster_size)).with_outputs(
            _BANDS, _SIGS, _FPS, _WEIGHTS, STATS, main="keyed"
        )
        buckets = (
            feats[_BANDS]
            | "GroupBands" >> beam.GroupByKey()
            | "StarEdges" >> beam.ParDo(_BucketEdgesFn(near.max_bucket_size)).with_outputs(STATS, main="edges")
        )
        candidates = buckets.edges | "DistinctCandidates" >> beam.Distinct()
        stats = [feats[STATS], buckets[STATS]]
        stats.append(candidates | "CountCandidates" >> beam.Map(lambda _: (DedupNear("candidate_pairs").key, 1)))
        stats.append(
            docs.pipeline
            | "LshParams" >> beam.Create([(DedupNear("bands").key, near.bands), (DedupNear("rows").key, near.rows)])
        )
        if near.verify:
            # every document's payload is shuffled once (join with the edges touching it); only the
            # edges' payloads are shuffled a second time (grouped per edge)
            verified = (
                {"edge": candidates | "EdgeEnds" >> beam.FlatMap(_edge_ends), "payload": feats[_SIGS]}
                | "JoinPayloads" >> beam.CoGroupByKey()
                | "AttachPayloads" >> beam.FlatMap(_attach_payload)
                | "GroupEdgePayloads" >> beam.GroupByKey()
                | "Verify" >> beam.ParDo(_VerifyFn(near.verify_threshold, near.verify_method)).with_outputs(
                    STATS, main="edges"
                )
            )
            edges = verified.edges
            stats.append(verified[STATS])
        else:
            edges = candidates
        cc = edges | "Components" >> ConnectedComponents(s.max_rounds)
        labels = cc["labels"]
        stats.append(cc["stats"])
        if near.witness:
            fps = feats[_SIGS] if _fingerprints_are_payloads(near) else feats[_FPS]
            checked = {"labels": labels, "fingerprints": fps} | "Witnesses" >> WitnessCheck(
                near.verify_threshold, near.witness_rounds
            )
            removed = checked["witnesses"]  # (node, (witness, jaccard, component))
            stats.append(checked["stats"])
        else:
            removed = labels | "ComponentWitness" >> beam.Map(lambda kv: (kv[0], (kv[1], None, kv[1])))
        witness_of = removed | "WitnessOf" >> beam.Map(lambda kv: (kv[0], kv[1][0]))

        member_counts = (
            witness_of
            | "ToWitness" >> beam.Map(lambda kv: (kv[1], 1))
            | "CountMembers" >> beam.CombinePerKey(sum)
        )
        stats.append(
            member_counts
            | "NearClusterStats" >> beam.FlatMap(lambda kv: _cluster_stats("near", kv[1] + 1))
        )
        if s.keep_cluster_size:
            member_weight = (
                {"root": witness_of, "weight": feats[_WEIGHTS]}
                | "JoinWeights" >> beam.CoGroupByKey()
                | "MemberWeight" >> beam.FlatMap(_member_weight)
                | "SumWeights" >> beam.CombinePerKey(sum)
            )
        else:
            member_weight = docs.pipeline | "NoWeights" >> beam.Create([])
        decided = (
            {"doc": feats.keyed, "root": witness_of, "member_weight": member_weight}
            | "JoinDocs" >> beam.CoGroupByKey()
            | "Decide" >> beam.ParDo(_NearDecideFn(s.keep_cluster_size)).with_outputs(DROPPED, STATS, main="kept")
        )
        stats.append(decided[STATS])
        sizes = member_counts | "NearSizes" >> beam.Map(lambda kv: ("near", node_id(kv[0]), kv[1] + 1))
        if s.write_clusters:
            clusters = (
                witness_of
                | "ByWitness" >> beam.Map(lambda kv: (kv[1], node_id(kv[0])))
                | "GroupClusters" >> beam.GroupByKey()
                | "NearClusterRecords" >> beam.Map(
                    lambda kv: ("near", node_id(kv[0]), len(list(kv[1])) + 1, sorted([node_id(kv[0]), *kv[1]]))
                )
            )
        else:
            clusters = sizes | "NearSizesOnly" >> beam.Map(lambda c: (*c, []))
        return {
            "kept": decided.kept,
            "dropped": decided[DROPPED],
            "stats": stats | "FlattenNearStats" >> beam.Flatten(),
            "clusters": clusters,
            "witnesses": removed | "NearWitnessIds" >> beam.Map(
                lambda kv: (node_id(kv[0]), (node_id(kv[1][0]), kv[1][1], node_id(kv[1][2])))
            ),
        }


def _exact_witness(element):
    """(exact representative, {exact: [removed ids], near: [(witness, jaccard, component)]}) → audit records:
    an exact duplicate of a near-removed representative gets that representative's kept witness."""
    rep, grouped = element
    near = list(grouped["near"])
    for removed in grouped["exact"]:
        if near:
            witness, jaccard, _ = near[0]
            yield witness_record("dedup:exact", removed, witness, jaccard, rep)
        else:
            yield witness_record("dedup:exact", removed, rep, 1.0, rep)


class _WriteWitnessShardFn(beam.DoFn):
    """One shard of the witness audit: its records as sorted JSON lines (deterministic bytes)."""

    def __init__(self, directory: str):
        self._dir = directory

    def process(self, element):
        index, records = element
        lines = sorted(json.dumps(r, ensure_ascii=False, sort_keys=True) for r in records if r is not None)
        path = FileSystems.join(self._dir, f"witnesses-{index:05d}-of-{WITNESS_SHARDS:05d}.jsonl")
        with FileSystems.create(path) as fh:
            for line in lines:
                fh.write(line.encode("utf-8") + b"\n")
        yield path


class WriteWitnesses(beam.PTransform):
    """Witness records → WITNESS_SHARDS files (by a keyed hash of the removed id; every shard written)."""

    def __init__(self, directory: str, seed: int):
        super().__init__()
        self._dir = directory
        self._seed = seed

    def expand(self, records):
        seed, n = self._seed, WITNESS_SHARDS
        keyed = records | "KeyWitness" >> beam.Map(
            lambda r: (keyed_hash64(seed, "dedup/witnesses", r["removed_id"]) % n, r)
        )
        every = records.pipeline | "AllWitnessShards" >> beam.Create([(i, None) for i in range(n)])
        return (
            (keyed, every)
            | "WitnessesWithEmpty" >> beam.Flatten()
            | "GroupWitnessShards" >> beam.GroupByKey()
            | "WriteWitnessShard" >> beam.ParDo(_WriteWitnessShardFn(self._dir))
        )


# --------------------------------------------------------------------------- the stage


class Deduplicate(beam.PTransform):
    """Exact then MinHash LSH near deduplication of a ``PCollection[Doc]``.

    Takes the ``dedup`` section, the run's ``seed`` (and its ``output_dir`` for
    ``dedup.write_clusters`` / ``dedup.write_witnesses``, the audit of every removed document
    and its kept witness). Returns ``{"kept", "dropped", "stats"}`` like every stage.
    Reads Doc.id, text, lang, script and metadata; kept documents may gain
    ``metadata["dedup_cluster_size"]``, dropped ones ``metadata["dedup_duplicate_of"]``.
    Document ids must be unique.
    """

    def __init__(self, section: DedupConfig, *, seed: int, output_dir: str):
        super().__init__()
        self._settings = resolve_settings(section, seed)
        self._clusters_path = FileSystems.join(output_dir, "dedup", "clusters.jsonl")
        self._dedup_dir = FileSystems.join(output_dir, "dedup")
        self._seed = seed

    @property
    def settings(self) -> DedupSettings:
        return self._settings

    def expand(self, docs):
        s = self._settings
        p = docs.pipeline
        dropped, stats, clusters, witnesses = [], [], [], []
        kept = docs
        if s.exact_enabled:
            exact = (
                kept
                | "ExactKey" >> beam.ParDo(_ExactKeyFn(s.strip_punctuation))
                | "ExactGroup" >> beam.GroupByKey()
                | "ExactPick" >> beam.ParDo(_ExactPickFn(s)).with_outputs(
                    DROPPED, STATS, _CLUSTERS, _WITNESS, main="kept"
                )
            )
            kept = exact.kept
            dropped.append(exact[DROPPED])
            stats.append(exact[STATS])
            clusters.append(exact[_CLUSTERS])
        if s.near_enabled:
            near = kept | "Near" >> _NearDedup(s)
            kept = near["kept"]
            dropped.append(near["dropped"])
            stats.append(near["stats"])
            clusters.append(near["clusters"])
            witnesses.append(
                near["witnesses"]
                | "NearWitnessRecords" >> beam.Map(lambda kv: witness_record("dedup:near", kv[0], *kv[1]))
            )
        if s.exact_enabled:
            near_witnesses = near["witnesses"] if s.near_enabled else p | "NoNearWitnesses" >> beam.Create([])
            witnesses.append(
                {"exact": exact[_WITNESS], "near": near_witnesses}
                | "JoinExactWitnesses" >> beam.CoGroupByKey()
                | "ExactWitnessRecords" >> beam.FlatMap(_exact_witness)
            )
        if s.write_witnesses:
            all_witnesses = (witnesses or [p | "NoWitnesses" >> beam.Create([])]) | "AllWitnesses" >> beam.Flatten()
            _ = all_witnesses | "WriteWitnesses" >> WriteWitnesses(self._dedup_dir, self._seed)
        if not dropped:
            dropped.append(p | "NoDropped" >> beam.Create([]))
        if not stats:
            stats.append(p | "NoStats" >> beam.Create([]))
        if clusters:
            all_clusters = clusters | "AllClusters" >> beam.Flatten()
            if s.top_clusters:
                stats.append(
                    all_clusters
                    | "ClusterSizes" >> beam.Map(lambda c: (c[0], (c[2], c[1])))
                    | "Largest" >> beam.combiners.Top.PerKey(s.top_clusters, key=_top_key)
                    | "LargestStats" >> beam.FlatMap(
                        lambda kv: [(DedupLargest(kv[0], rep).key, size) for size, rep in kv[1]]
                    )
                )
            if s.write_clusters:
                _ = (
                    all_clusters
                    | "ClusterJson" >> beam.Map(_cluster_json)
                    | "CollectClusters" >> beam.combiners.ToList()
                    | "WriteClusters" >> beam.ParDo(_WriteClustersFn(self._clusters_path))
                )
        return {
            "kept": kept,
            "dropped": dropped | "FlattenDropped" >> beam.Flatten(),
            "stats": stats | "FlattenStats" >> beam.Flatten(),
        }


def _cluster_json(cluster: tuple) -> str:
    kind, rep, size, members = cluster
    return json.dumps(
        {"kind": kind, "representative": rep, "size": size, "members": members},
        ensure_ascii=False,
        sort_keys=True,
    )
