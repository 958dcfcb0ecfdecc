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
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from pipeline.hashing import keyed_hash64
from pipeline.records import Doc, Dropped
from pipeline.stages.base import DROPPED, STATS, count
from pipeline.stages.dedup_core import (
    DedupSettings,
    NearFeaturizer,
    NearSettings,
    exact_key,
    keep_key,
    large_star,
    node_id,
    pivot_split,
    resolve_settings,
    size_bin,
    small_star,
    star_edges,
    star_map_large,
    star_map_small,
    summarize_bucket,
    verification_similarity,
    witness_record,
)
from pipeline.stats import (DedupBucketSize, DedupClusters, DedupClusterSize, DedupKindClusters,
                            DedupKindClusterSize, DedupLargest, DedupNear, DedupNearLang, DedupRemoved,
                            DedupRoundChanges, DedupRoundsUsed, DedupShingleUnit)

STAGE = "dedup"
CLUSTER_SIZE_KEY = "dedup_cluster_size"
DUPLICATE_OF_KEY = "dedup_duplicate_of"

_BANDS = "bands"
_SIGS = "sigs"
_WEIGHTS = "weights"
_FPS = "fingerprints"
_CLUSTERS = "clusters"
_CHANGED = "changed"
_WITNESS = "witness"
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


class _GlobalStatsBuffer:
    """Sums stats within a bundle and emits them from finish_bundle (fewer elements)."""

    def __init__(self):
        self.totals: dict[str, int] = {}

    def add(self, key: str, amount: int = 1) -> None:
        self.totals[key] = self.totals.get(key, 0) + amount

    def flush(self):
        for key in sorted(self.totals):
            yield pvalue.TaggedOutput(
                STATS, WindowedValue((key, self.totals[key]), MIN_TIMESTAMP, [GlobalWindow()])
            )
        self.totals = {}


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


# --------------------------------------------------------------------------- connected components


class _LargeStarFn(beam.DoFn):
    def process(self, element):
        u, neighbors = element
        m, edges = large_star(u, neighbors)
        emitted = 0
        for e in edges:
            emitted += 1
            yield e
        if m != u and emitted:
            yield pvalue.TaggedOutput(_CHANGED, 1)


class _SmallStarFn(beam.DoFn):
    def process(self, element):
        u, smaller = element
        _, edges = small_star(u, smaller)
        emitted = 0
        for e in edges:
            emitted += 1
            yield e
        if emitted > 1:
            yield pvalue.TaggedOutput(_CHANGED, 1)


class _CheckConvergedFn(beam.DoFn):
    """Fails the run with a clear message if the last round still changed the graph."""

    def __init__(self, max_rounds: int):
        self._max_rounds = max_rounds

    def process(self, per_round: list):
        changes = dict(per_round)
        for i in range(1, self._max_rounds + 1):
            yield DedupRoundChanges(i).key, changes.get(i, 0)
        if changes.get(self._max_rounds, 0):
            raise RuntimeError(
                f"dedup: the connected components did not converge in dedup.max_rounds={self._max_rounds} "
                f"large-star/small-star rounds ({changes[self._max_rounds]} nodes still changing in the last "
                f"round); raise dedup.max_rounds in the config and rerun"
            )
        used = next((i for i in range(1, self._max_rounds + 1) if changes.get(i, 0) == 0), self._max_rounds)
        yield DedupRoundsUsed().key, used


class ConnectedComponents(beam.PTransform):
    """Edges (a, b) of node tuples → (node, component minimum) for every non-minimum node.

    Unrolled alternating large-star / small-star rounds, each one GroupByKey over the edges
    only; memory per worker is bounded by one node's neighbour stream (streamed twice, never
    held). A side output ``"stats"`` carries per-round change counts and the rounds used;
    the run fails if the last round still changed something.
    """

    def __init__(self, max_rounds: int):
        super().__init__()
        self._max_rounds = max_rounds

    def expand(self, edges):
        current = edges | "Orient" >> beam.Map(star_map_small)
        per_round = []
        for i in range(1, self._max_rounds + 1):
            ls = (
                current
                | f"Round{i}/LargeStarMap" >> beam.FlatMap(star_map_large)
                | f"Round{i}/LargeStarGroup" >> beam.GroupByKey()
                | f"Round{i}/LargeStar" >> beam.ParDo(_LargeStarFn()).with_outputs(_CHANGED, main="edges")
            )
            ss = (
                ls.edges
                | f"Round{i}/SmallStarMap" >> beam.Map(star_map_small)
                | f"Round{i}/SmallStarGroup" >> beam.GroupByKey()
                | f"Round{i}/SmallStar" >> beam.ParDo(_SmallStarFn()).with_outputs(_CHANGED, main="edges")
            )
            per_round.append(
                (ls[_CHANGED], ss[_CHANGED])
                | f"Round{i}/Changes" >> beam.Flatten()
                | f"Round{i}/CountChanges" >> beam.CombineGlobally(sum)
                | f"Round{i}/Tag" >> beam.Map(lambda n, i=i: (i, n))
            )
            current = ss.edges
        stats = (
            per_round
            | "AllRounds" >> beam.Flatten()
            | "CollectRounds" >> beam.combiners.ToList()
            | "CheckConverged" >> beam.ParDo(_CheckConvergedFn(self._max_rounds))
        )
        labels = current | "DistinctLabels" >> beam.Distinct()
        return {"labels": labels, "stats": stats}


# --------------------------------------------------------------------------- near: witnesses


def _fingerprints_are_payloads(near: NearSettings) -> bool:
    """Exact verification already ships every document's fingerprint: the witness check reuses it."""
    return near.verify and near.verify_method == "exact"


def _cluster_member(element):
    """(node, {label: [component min], root: [None], fp: [fingerprint]}) → ((component, pivot), (node, fp))
    for every node of a component (its minimum included); the first pivot is the component minimum."""
    node, grouped = element
    fps = list(grouped["fp"])
    if not fps:
        return
    labels = list(grouped["label"])
    if labels:
        yield (labels[0], labels[0]), (node, fps[0])
    elif list(grouped["root"]):
        yield (node, node), (node, fps[0])


class _WitnessRoundFn(beam.DoFn):
    """One witness round on one (sub-)cluster: members at Jaccard ≥ t of the pivot are removed with the
    pivot as witness; the others go on as one sub-cluster (keyed by this pivot) to the next round."""

    def __init__(self, threshold: float, first_round: bool):
        self._t = threshold
        self._first = first_round

    def start_bundle(self):
        self._stats = _GlobalStatsBuffer()

    def process(self, element):
        (component, _), members = element
        pivot, _, compared = pivot_split(members)
        if not self._first:
            self._stats.add(DedupNear("witness_promoted").key)  # a split-off member kept as its sub-cluster's pivot
        for node, fp, sim in compared:
            if sim >= self._t:
                self._stats.add(DedupNear("witness_verified").key)
                yield pvalue.TaggedOutput(_WITNESS, (node, (pivot, sim, component)))
            else:
                self._stats.add(DedupNear("witness_failed").key)
                yield (component, pivot), (node, fp)

    def finish_bundle(self):
        yield from self._stats.flush()


class WitnessCheck(beam.PTransform):
    """Component labels (node, component min) + fingerprints (node, fp) → (node, (witness, jaccard, component))
    for every node removed, each with a kept witness at Jaccard ≥ threshold.

    ``rounds`` unrolled rounds, each one GroupByKey keyed by (component, pivot) over the members
    still without a witness; a reducer streams its group twice (pivot, then comparisons) and holds
    one fingerprint. Side output ``"stats"``; members left after the last round are kept and counted.
    """

    def __init__(self, threshold: float, rounds: int):
        super().__init__()
        self._t = threshold
        self._rounds = rounds

    def expand(self, inputs):
        labels, fps = inputs["labels"], inputs["fingerprints"]
        roots = (
            labels
            | "Roots" >> beam.Map(lambda kv: kv[1])
            | "DistinctRoots" >> beam.Distinct()
            | "RootMarker" >> beam.Map(lambda root: (root, None))
        )
        pending = (
            {"label": labels, "root": roots, "fp": fps}
            | "JoinFingerprints" >> beam.CoGroupByKey()
            | "ClusterMembers" >> beam.FlatMap(_cluster_member)
        )
        witnesses, stats = [], []
        for i in range(1, self._rounds + 1):
            checked = (
                pending
                | f"Witness{i}/Group" >> beam.GroupByKey()
                | f"Witness{i}/Check" >> beam.ParDo(_WitnessRoundFn(self._t, i == 1))
                .with_output_types(tuple[tuple, tuple])
                .with_outputs(_WITNESS, STATS, main="failed")
            )
            witnesses.append(checked[_WITNESS])
            stats.append(checked[STATS])
            pending = checked.failed
        stats.append(pending | "Unresolved" >> beam.Map(lambda _: (DedupNear("witness_unresolved").key, 1)))
        return {
            "witnesses": witnesses | "AllWitnesses" >> beam.Flatten(),
            "stats": stats | "WitnessStats" >> beam.Flatten(),
        }


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

    Reads ``config.dedup`` and ``config.seed`` (and ``config.output_dir`` for
    ``dedup.write_clusters`` / ``dedup.write_witnesses``, the audit of every removed document
    and its kept witness). Returns ``{"kept", "dropped", "stats"}`` like every stage.
    Reads Doc.id, text, lang, script and metadata; kept documents may gain
    ``metadata["dedup_cluster_size"]``, dropped ones ``metadata["dedup_duplicate_of"]``.
    Document ids must be unique.
    """

    def __init__(self, config):
        super().__init__()
        self._settings = resolve_settings(config.dedup, config.seed)
        self._clusters_path = FileSystems.join(config.output_dir, "dedup", "clusters.jsonl")
        self._dedup_dir = FileSystems.join(config.output_dir, "dedup")
        self._seed = config.seed

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
