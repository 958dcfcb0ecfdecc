"""The duplicate graph of the dedup core: LSH buckets to star edges, connected components
(large-star / small-star rounds, and union-find for the reference path) and witness
verification. Pure Python, no Beam."""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Iterable, Iterator

from pipeline.stages.dedup_minhash import fingerprint_jaccard

Node = tuple  # (rank: int, id: str): a keep key; the minimum of a group is its representative


# --------------------------------------------------------------------------- candidate edges


@dataclass(frozen=True)
class Bucket:
    root: Node  # smallest node of the bucket
    size: int
    cutoff: Node | None  # members above this node are capped (None: not capped)

    @property
    def capped(self) -> bool:
        return self.cutoff is not None


def summarize_bucket(members: Iterable[Node], max_size: int) -> Bucket:
    """One streaming pass: the minimum, the size and the cap cutoff; memory O(max_size)."""
    size = 0

    def counted():
        nonlocal size
        for m in members:
            size += 1
            yield m

    smallest = heapq.nsmallest(max_size, counted())
    if not smallest:
        raise ValueError("empty bucket")
    cutoff = smallest[-1] if size > max_size else None
    return Bucket(smallest[0], size, cutoff)


def star_edges(members: Iterable[Node], bucket: Bucket) -> Iterator[tuple[Node, Node]]:
    """Edges member -> bucket minimum (never all pairs), for the members within the cap."""
    for m in members:
        if m != bucket.root and (bucket.cutoff is None or m <= bucket.cutoff):
            yield (m, bucket.root)


def size_bin(size: int) -> str:
    """Histogram bin of a bucket size: exact up to 4, then powers of two ('5-8', '9-16', ...)."""
    if size <= 4:
        return str(size)
    upper = 1 << (size - 1).bit_length()
    return f"{upper // 2 + 1}-{upper}"


# --------------------------------------------------------------------------- connected components


def large_star(u: Node, neighbors: Iterable[Node]) -> tuple[Node, Iterator[tuple[Node, Node]]]:
    """Kiveris et al. large-star at ``u``: link every larger neighbour to m = min(Γ(u) ∪ {u}).

    ``neighbors`` must be re-iterable (a GroupByKey result): one pass finds m, the returned
    generator streams the edges, so a hub of a huge component is never held in memory.
    The edge set changed at u iff m != u and at least one edge is emitted.
    """
    m = u
    for v in neighbors:
        if v < m:
            m = v
    return m, ((v, m) for v in neighbors if v > u)


def small_star(u: Node, smaller_neighbors: Iterable[Node]) -> tuple[Node, Iterator[tuple[Node, Node]]]:
    """Kiveris et al. small-star at ``u`` given its neighbours <= u: link them and u to their minimum m.

    The edge set changed at u iff more than one edge is emitted (two distinct smaller neighbours).
    """
    m = u
    for v in smaller_neighbors:
        if v < m:
            m = v

    def edges() -> Iterator[tuple[Node, Node]]:
        for v in smaller_neighbors:
            if v != m:
                yield (v, m)
        if u != m:
            yield (u, m)

    return m, edges()


def large_star_step(u: Node, neighbors: Iterable[Node]) -> tuple[list[tuple[Node, Node]], int]:
    """Large-star at u, materialised: (edges, 1 if the edge set changed at u else 0)."""
    m, edges = large_star(u, neighbors)
    out = list(edges)
    return out, int(m != u and bool(out))


def small_star_step(u: Node, smaller_neighbors: Iterable[Node]) -> tuple[list[tuple[Node, Node]], int]:
    """Small-star at u, materialised: (edges, 1 if the edge set changed at u else 0)."""
    _, edges = small_star(u, smaller_neighbors)
    out = list(edges)
    return out, int(len(out) > 1)


def star_map_large(edge: tuple[Node, Node]) -> list[tuple[Node, Node]]:
    a, b = edge
    return [(a, b), (b, a)]


def star_map_small(edge: tuple[Node, Node]) -> tuple[Node, Node]:
    """Small-star sends every edge to its larger endpoint."""
    a, b = edge
    return (a, b) if a > b else (b, a)


def _group(pairs: Iterable[tuple[Node, Node]]) -> dict[Node, list[Node]]:
    grouped: dict[Node, list[Node]] = {}
    for k, v in pairs:
        grouped.setdefault(k, []).append(v)
    return grouped


class NotConvergedError(RuntimeError):
    pass


def connected_components_star(edges: Iterable[tuple[Node, Node]], max_rounds: int) -> tuple[dict[Node, Node], int]:
    """In-memory alternating large-star / small-star (the algorithm the Beam graph unrolls).

    Returns ({node: component minimum} for every non-minimum node, rounds used) and raises
    NotConvergedError if ``max_rounds`` rounds were not enough.
    """
    current = [(a, b) if a > b else (b, a) for a, b in edges if a != b]
    for round_index in range(1, max_rounds + 1):
        changes = 0
        nxt = []
        for u, nbrs in sorted(_group(p for e in current for p in star_map_large(e)).items()):
            out, changed = large_star_step(u, nbrs)
            nxt.extend(out)
            changes += changed
        current = nxt
        nxt = []
        for u, nbrs in sorted(_group(star_map_small(e) for e in current).items()):
            out, changed = small_star_step(u, nbrs)
            nxt.extend(out)
            changes += changed
        current = nxt
        if changes == 0:
            return dict(sorted(set(current))), round_index
    raise NotConvergedError(
        f"dedup: connected components did not converge in max_rounds={max_rounds} rounds; raise dedup.max_rounds"
    )


def connected_components_union_find(nodes_edges: Iterable[tuple[Node, Node]]) -> dict[Node, Node]:
    """Reference components: {node: component minimum} for every non-minimum node."""
    parent: dict[Node, Node] = {}

    def find(x: Node) -> Node:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    for a, b in nodes_edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            lo, hi = (ra, rb) if ra < rb else (rb, ra)
            parent[hi] = lo
        parent.setdefault(a, a)
        parent.setdefault(b, b)
    return {x: find(x) for x in sorted(parent) if find(x) != x}


# --------------------------------------------------------------------------- witnesses


def pivot_split(members: Iterable[tuple[Node, bytes]]) -> tuple[Node, bytes, Iterator[tuple[Node, bytes, float]]]:
    """One witness round on one (sub-)cluster given as (node, shingle fingerprint) pairs.

    The pivot is the smallest node (the keep policy's choice); it is kept. Every other
    member is compared with it (exact Jaccard of the fingerprints): the generator yields
    ``(node, fingerprint, similarity)``. ``members`` must be re-iterable (a GroupByKey
    result): one pass finds the pivot and keeps only its fingerprint, the second streams
    the comparisons, so a large cluster is never held in memory.
    """
    pivot, pivot_fp = None, b""
    for node, fp in members:
        if pivot is None or node < pivot:
            pivot, pivot_fp = node, fp
    if pivot is None:
        raise ValueError("empty cluster")

    def compared() -> Iterator[tuple[Node, bytes, float]]:
        for node, fp in members:
            if node != pivot:
                yield node, fp, fingerprint_jaccard(fp, pivot_fp)

    return pivot, pivot_fp, compared()


@dataclass
class WitnessResult:
    """Outcome of :func:`assign_witnesses`."""

    witness: dict[Node, tuple[Node, float]]  # removed node -> (kept witness, Jaccard >= threshold)
    promoted: list[Node]  # split-off members kept as the pivot of their own sub-cluster
    unresolved: list[Node]  # members still without a witness after max_rounds: kept
    rounds_used: int  # rounds that compared anything


def assign_witnesses(labels: dict[Node, Node], fingerprints: dict[Node, bytes], threshold: float,
                     max_rounds: int) -> WitnessResult:
    """Pivot verification of connected components (the algorithm the Beam graph unrolls).

    ``labels`` maps every non-minimum node of a component to the component minimum. Round
    1 compares every member with its component's minimum: members with Jaccard >= threshold
    are removed with that minimum as their witness; the others form one sub-cluster per
    pivot, whose own smallest member becomes a kept pivot, and the next round compares them
    with it. After ``max_rounds`` rounds the members still unverified are kept. So every
    removed node has a kept witness with verified Jaccard >= threshold.
    """
    groups: dict[Node, list[Node]] = {}
    for node, root in labels.items():
        groups.setdefault(root, [root]).append(node)
    witness: dict[Node, tuple[Node, float]] = {}
    promoted: list[Node] = []
    rounds_used = 0
    for round_index in range(1, max_rounds + 1):
        if not groups:
            break
        rounds_used = round_index
        failed: dict[Node, list[Node]] = {}
        for key in sorted(groups):
            pivot, _, compared = pivot_split([(n, fingerprints[n]) for n in groups[key]])
            if round_index > 1:
                promoted.append(pivot)
            for node, _, sim in compared:
                if sim >= threshold:
                    witness[node] = (pivot, sim)
                else:
                    failed.setdefault(pivot, []).append(node)
        groups = failed
    unresolved = sorted(n for members in groups.values() for n in members)
    return WitnessResult(witness, sorted(promoted), unresolved, rounds_used)
