"""Beam parts of the dedup stage that work on the duplicate graph: connected components
by alternating large-star / small-star rounds, and the witness check of near-duplicate
clusters. The pure steps are in :mod:`pipeline.stages.dedup_graph`."""

from __future__ import annotations

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from pipeline.stages.base import STATS
from pipeline.stages.dedup_core import NearSettings, large_star, pivot_split, small_star, star_map_large, star_map_small
from pipeline.stats import DedupNear, DedupRoundChanges, DedupRoundsUsed


STAGE = "dedup"
CLUSTER_SIZE_KEY = "dedup_cluster_size"
DUPLICATE_OF_KEY = "dedup_duplicate_of"

# output tags of the dedup DoFns
_BANDS = "bands"
_SIGS = "sigs"
_WEIGHTS = "weights"
_FPS = "fingerprints"
_CLUSTERS = "clusters"
_CHANGED = "changed"
_WITNESS = "witness"


# --------------------------------------------------------------------------- connected components


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
