"""Pure deduplication core: exact keys, shingles, MinHash signatures, LSH bands,
star edges, connected components and witness verification. No Beam import; the Beam
wiring is in :mod:`pipeline.stages.dedup`.

Nodes of the duplicate graph are *keep keys*: ``(rank, id)`` tuples whose order is
the keep policy (``(0, id)`` keeps the smallest id, ``(-len(text), id)`` the longest
text), so the representative of any group or component is simply its minimum.
"""

from __future__ import annotations

import heapq
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np
import regex
import xxhash
from datasketch import LeanMinHash, MinHash

from pipeline.hashing import keyed_hash64, stable_digest
from pipeline.text.profile import script_runs
from pipeline.text.segment import has_spaceless
from pipeline.text.script import dominant_script

Node = tuple  # (rank: int, id: str)

_WHITESPACE = regex.compile(r"\s+")
_PUNCTUATION = regex.compile(r"\p{P}+")
_WORD = regex.compile(r"\w+")
_WORD_CHAR = regex.compile(r"\w")

SCHEME = "affine64"  # datasketch permutation scheme for 64-bit input hashes
_HASH_CHUNK = 4096  # shingles hashed per update_batch call: bounds memory to chunk * num_perm * 8 bytes


# --------------------------------------------------------------------------- exact


def normalize_for_exact(text: str, strip_punctuation: bool = False) -> str:
    """NFC, case-folded, whitespace collapsed (and optionally punctuation removed)."""
    norm = unicodedata.normalize("NFC", text).casefold()
    if strip_punctuation:
        norm = _PUNCTUATION.sub(" ", norm)
    return _WHITESPACE.sub(" ", norm).strip()


def exact_key(text: str, strip_punctuation: bool = False) -> str:
    """A 128-bit hex fingerprint of the normalised text (collisions are negligible)."""
    return stable_digest("dedup/exact", normalize_for_exact(text, strip_punctuation), length=16)


def keep_key(policy: str, doc_id: str, n_chars: int) -> Node:
    """The sort key of a document under a keep policy: the minimum is kept."""
    if policy == "smallest_id":
        return (0, doc_id)
    if policy == "longest":
        return (-n_chars, doc_id)
    raise ValueError(f"unknown keep policy {policy!r}")


def node_id(node: Node) -> str:
    return node[-1]


# --------------------------------------------------------------------------- shingles


@dataclass(frozen=True)
class ShingleSpec:
    """How a document is shingled.

    ``unit``: "word" (word n-grams everywhere), "char" (character n-grams everywhere) or
    "mixed" (per script run: characters in Han/kana/Thai/... runs, words in the others).
    ``n``: units per shingle ("word"/"char"), or per shingle that starts at a word in
    "mixed"; ``char_n``: units per shingle that starts at a character in "mixed".
    """

    unit: str  # "word" | "char" | "mixed"
    n: int
    char_n: int | None = None


def shingle_spec(lang: str, script: str, settings: "NearSettings") -> ShingleSpec:
    """Per-language overrides first; ``auto`` is "mixed": the unit follows each script run of
    the text, never the document's dominant script (``script`` is kept for callers, unused then)."""
    override = settings.per_language.get(lang, {})
    unit = override.get("unit") or settings.unit
    char_n = override.get("char_ngram") or settings.char_ngram
    word_n = override.get("ngram") or settings.ngram
    if unit == "auto":
        return ShingleSpec("mixed", word_n, char_n)
    if unit == "char":
        return ShingleSpec("char", char_n)
    return ShingleSpec("word", word_n)


def units(text: str, unit: str) -> list[str]:
    """Case-folded words (``\\w+``) or word characters; punctuation, spaces and emoji are ignored.

    ``unit="mixed"``: per script run (:func:`pipeline.text.profile.script_runs`), word
    characters of runs written without spaces (Han, kana, Thai, ...) and words of the
    others, in text order: ``"用grep搜索"`` -> ``["用", "grep", "搜", "索"]``.
    """
    if unit == "mixed":
        return [unit_text for unit_text, _ in mixed_units(text)]
    folded = text.casefold()
    if unit == "char":
        return _WORD_CHAR.findall(folded)
    return _WORD.findall(folded)


def mixed_units(text: str) -> list[tuple[str, bool]]:
    """``(unit, is_char)`` of :func:`units` with ``unit="mixed"``.

    Consecutive runs of spaced scripts are read as one stretch, so their words are exactly
    the ``\\w+`` words of that stretch whatever scripts it mixes.
    """
    out: list[tuple[str, bool]] = []
    stretch_start = None
    for run in script_runs(text):
        if run.unit == "char":
            if stretch_start is not None:
                out.extend((w, False) for w in _WORD.findall(text[stretch_start:run.start].casefold()))
                stretch_start = None
            out.extend((c, True) for c in _WORD_CHAR.findall(text[run.start:run.end].casefold()))
        elif stretch_start is None:
            stretch_start = run.start
    if stretch_start is not None:
        out.extend((w, False) for w in _WORD.findall(text[stretch_start:].casefold()))
    return out


@dataclass(frozen=True)
class Shingles:
    values: list[bytes]  # distinct shingles, in first-seen order
    n_units: int
    short: bool  # fewer units than n (and at least one)


def _join_mixed(items: Sequence[tuple[str, bool]]) -> str:
    """Units joined as in pure documents: no separator between two characters, a space otherwise."""
    parts = [items[0][0]]
    for (_, prev_char), (value, is_char) in zip(items, items[1:]):
        if not (prev_char and is_char):
            parts.append(" ")
        parts.append(value)
    return "".join(parts)


def _mixed_shingles(text: str, spec: ShingleSpec, short_docs: str) -> Shingles:
    """Shingles of a "mixed" spec: a shingle starting at a character unit spans ``char_n``
    units, one starting at a word spans ``n``; a pure word (or pure Han) text gets exactly
    the word (character) n-grams, and appending a line in another script adds shingles
    without changing the unit of the rest."""
    if not has_spaceless(text):  # words only (the usual case): the plain word n-grams
        return _plain_shingles(_WORD.findall(text.casefold()), spec.n, " ", short_docs)
    items = mixed_units(text)
    if not items:
        return Shingles([], 0, False)
    word_n, char_n = spec.n, spec.char_n or spec.n
    total = len(items)
    kinds = {is_char for _, is_char in items}
    if len(kinds) == 1:  # one kind of unit only (the usual case): plain n-grams at C speed
        is_char = kinds.pop()
        return _plain_shingles([u for u, _ in items], char_n if is_char else word_n, "" if is_char else " ",
                               short_docs)
    grams: dict[str, None] = {}
    for i, (_, is_char) in enumerate(items):
        n = char_n if is_char else word_n
        if i + n <= total:
            grams[_join_mixed(items[i:i + n])] = None
    if not grams:  # no position has enough units after it: the document is short
        values = [_join_mixed(items).encode("utf-8", "surrogatepass")] if short_docs == "whole" else []
        return Shingles(values, total, True)
    return Shingles([g.encode("utf-8", "surrogatepass") for g in grams], total, False)


def shingles(text: str, spec: ShingleSpec, short_docs: str = "whole") -> Shingles:
    """Distinct n-gram shingles of ``text``.

    A document with fewer units than ``n`` yields one shingle of all its units
    (``short_docs='whole'``) or none (``'skip'``); a document with no units yields none.
    """
    if spec.unit == "mixed":
        return _mixed_shingles(text, spec, short_docs)
    toks = units(text, spec.unit)
    return _plain_shingles(toks, spec.n, " " if spec.unit == "word" else "", short_docs)


def _plain_shingles(toks: list[str], n: int, sep: str, short_docs: str) -> Shingles:
    """Distinct n-grams of one kind of unit, joined with ``sep``."""
    if not toks:
        return Shingles([], 0, False)
    if len(toks) < n:
        values = [sep.join(toks).encode("utf-8", "surrogatepass")] if short_docs == "whole" else []
        return Shingles(values, len(toks), True)
    if not sep:
        chars = "".join(toks)
        if len(chars) == len(toks):  # single-character units: slice the string
            grams = dict.fromkeys(chars[i : i + n] for i in range(len(chars) - n + 1))
            return Shingles([g.encode("utf-8", "surrogatepass") for g in grams], len(toks), False)
    grams = dict.fromkeys(map(sep.join, zip(*(toks[i:] for i in range(n)))))
    return Shingles([g.encode("utf-8", "surrogatepass") for g in grams], len(toks), False)


def shingle_jaccard(a: Sequence[bytes], b: Sequence[bytes]) -> float:
    """True Jaccard similarity of two shingle sets (for tests and benchmarks)."""
    sa, sb = set(a), set(b)
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)


# --------------------------------------------------------------------------- MinHash


_xxh64 = xxhash.xxh3_64_intdigest  # 64-bit shingle hash for datasketch's "affine64" scheme


def _prehashed(value: int) -> int:
    """Identity "hash function": the values given to datasketch are already xxh3-64 hashes."""
    return value


def shingle_hashes(values: Sequence[bytes]) -> list[int]:
    """The 64-bit xxh3 hash of every shingle (the input of the signature and of the fingerprint)."""
    return [_xxh64(v) for v in values]


class MinHasher:
    """Builds datasketch MinHash signatures with shared permutations (build once per worker)."""

    def __init__(self, num_perm: int, seed: int):
        self.num_perm = num_perm
        self.seed = seed
        self._permutations = MinHash(num_perm=num_perm, seed=seed, hashfunc=_xxh64, scheme=SCHEME).permutations

    def minhash(self, values: Sequence[bytes]) -> LeanMinHash | None:
        """The signature of a shingle set, or None for an empty set."""
        return self.minhash_of_hashes(shingle_hashes(values))

    def minhash_of_hashes(self, hashes: Sequence[int]) -> LeanMinHash | None:
        """The signature of a set given as its shingles' xxh3-64 hashes (hashed once, see shingle_hashes)."""
        if not hashes:
            return None
        m = MinHash(num_perm=self.num_perm, seed=self.seed, hashfunc=_prehashed,
                    permutations=self._permutations, scheme=SCHEME)
        for start in range(0, len(hashes), _HASH_CHUNK):
            m.update_batch(hashes[start : start + _HASH_CHUNK])
        return LeanMinHash(m)

    def signature(self, values: Sequence[bytes]) -> bytes | None:
        """The signature as little-endian uint64 bytes (compact and picklable), or None."""
        return self.signature_of_hashes(shingle_hashes(values))

    def signature_of_hashes(self, hashes: Sequence[int]) -> bytes | None:
        lean = self.minhash_of_hashes(hashes)
        if lean is None:
            return None
        return np.asarray(lean.hashvalues, dtype="<u8").tobytes()


def signature_array(sig: bytes) -> np.ndarray:
    return np.frombuffer(sig, dtype="<u8")


def shingle_fingerprint(values: Sequence[bytes]) -> bytes:
    """The shingle set as sorted distinct 32-bit hashes (little-endian uint32 bytes, 4 bytes per shingle).

    The low 32 bits of the same xxh3-64 hash the signatures use; two distinct shingles of a
    pair of documents collide with probability ~|A||B|/2^32, so the Jaccard of two
    fingerprints is the true shingle Jaccard up to a negligible error (the exact check).
    """
    return fingerprint_of_hashes(shingle_hashes(values))


def fingerprint_of_hashes(hashes: Sequence[int]) -> bytes:
    if not hashes:
        return b""
    low = (np.asarray(hashes, dtype=np.uint64) & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    return np.unique(low).astype("<u4").tobytes()


def fingerprint_jaccard(a: bytes, b: bytes) -> float:
    """Jaccard similarity of two shingle fingerprints (see :func:`shingle_fingerprint`)."""
    va, vb = np.frombuffer(a, dtype="<u4"), np.frombuffer(b, dtype="<u4")
    if not len(va) and not len(vb):
        return 1.0
    inter = len(np.intersect1d(va, vb, assume_unique=True))
    return inter / (len(va) + len(vb) - inter)


VERIFY_METHODS = ("exact", "signature")


def verification_similarity(method: str, a: bytes, b: bytes) -> float:
    """Similarity used by the verification: exact Jaccard of fingerprints, or the signatures' estimate."""
    if method == "exact":
        return fingerprint_jaccard(a, b)
    if method == "signature":
        return estimated_jaccard(a, b)
    raise ValueError(f"unknown verify method {method!r}")


def estimated_jaccard(a: bytes, b: bytes) -> float:
    """Fraction of equal signature slots (the MinHash estimate of Jaccard)."""
    va, vb = signature_array(a), signature_array(b)
    if len(va) != len(vb):
        raise ValueError("signatures of different lengths")
    return float(np.count_nonzero(va == vb)) / float(len(va))


# --------------------------------------------------------------------------- LSH parameters


def _integrate(fn: Callable[[np.ndarray], np.ndarray], lo: float, hi: float, steps: int = 400) -> np.ndarray:
    """Composite Simpson rule of a vectorised ``fn(s)`` (s along the last axis)."""
    s = np.linspace(lo, hi, steps + 1)
    w = np.ones(steps + 1)
    w[1:-1:2] = 4.0
    w[2:-1:2] = 2.0
    return (fn(s) * w).sum(axis=-1) * (hi - lo) / (3.0 * steps)


@lru_cache(maxsize=64)
def optimal_bands_rows(threshold: float, num_perm: int, fp_weight: float = 0.5, fn_weight: float = 0.5) -> tuple[int, int]:
    """(bands, rows) with bands*rows <= num_perm minimising the weighted false-positive area
    (∫₀ᵗ P(candidate)) plus false-negative area (∫ₜ¹ 1-P(candidate)), P(s) = 1-(1-s^r)^b —
    the criterion of datasketch's MinHashLSH, computed here with a vectorised Simpson rule."""
    if not 0.0 < threshold < 1.0:
        raise ValueError("threshold must be in (0, 1)")
    pairs = [(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)]
    bands = np.array([p[0] for p in pairs], dtype=float)[:, None]
    rows = np.array([p[1] for p in pairs], dtype=float)[:, None]

    def p_candidate(s):
        return 1.0 - (1.0 - s[None, :] ** rows) ** bands

    fp = _integrate(p_candidate, 0.0, threshold)
    fn = _integrate(lambda s: 1.0 - p_candidate(s), threshold, 1.0)
    error = fp * fp_weight + fn * fn_weight
    best = int(np.argmin(error))  # first minimum: smallest b, then smallest r (same order as datasketch)
    return pairs[best]


def candidate_probability(similarity: float, bands: int, rows: int) -> float:
    """Probability that two documents of Jaccard ``similarity`` share at least one band."""
    return 1.0 - (1.0 - similarity**rows) ** bands


def band_keys(sig: bytes, bands: int, rows: int, seed: int = 0) -> list[tuple[int, int]]:
    """(band index, 64-bit hash of the band's rows) for every band."""
    raw = memoryview(sig)
    width = rows * 8
    return [(i, xxhash.xxh3_64_intdigest(raw[i * width : (i + 1) * width], seed=seed)) for i in range(bands)]


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


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class NearSettings:
    """Resolved near-dedup settings (light, picklable, built once from the config)."""

    num_perm: int
    seed: int
    bands: int
    rows: int
    threshold: float
    verify: bool
    verify_threshold: float
    verify_method: str  # "exact" (shingle fingerprints) | "signature" (estimated Jaccard)
    ngram: int
    char_ngram: int
    unit: str
    short_docs: str
    max_bucket_size: int
    keep: str
    per_language: dict = field(default_factory=dict)
    witness: bool = True  # verify every removed document against the kept document it is removed for
    witness_rounds: int = 8

    @property
    def needs_fingerprint(self) -> bool:
        return self.witness or (self.verify and self.verify_method == "exact")


@dataclass(frozen=True)
class DedupSettings:
    exact_enabled: bool
    strip_punctuation: bool
    exact_keep: str
    near_enabled: bool
    near: NearSettings
    keep_cluster_size: bool
    write_clusters: bool
    max_rounds: int
    top_clusters: int
    write_witnesses: bool = False


def resolve_settings(dedup_config, root_seed: int) -> DedupSettings:
    """Turn ``config.dedup`` (a DedupConfig) and ``config.seed`` into DedupSettings."""
    mh = dedup_config.minhash
    if mh.bands is not None and mh.rows is not None:
        bands, rows = mh.bands, mh.rows
    else:
        bands, rows = optimal_bands_rows(mh.threshold, mh.num_perm, mh.false_positive_weight, mh.false_negative_weight)
    seed = mh.seed if mh.seed is not None else keyed_hash64(root_seed, "dedup/minhash", "permutations") % (2**32)
    per_language = {
        lang: {k: v for k, v in override.model_dump().items() if v is not None}
        for lang, override in sorted(mh.per_language.items())
    }
    near = NearSettings(
        num_perm=mh.num_perm, seed=seed, bands=bands, rows=rows, threshold=mh.threshold,
        verify=mh.verify, verify_threshold=mh.verify_threshold if mh.verify_threshold is not None else mh.threshold,
        verify_method=mh.verify_method,
        ngram=mh.ngram, char_ngram=mh.char_ngram, unit=mh.unit, short_docs=mh.short_docs,
        max_bucket_size=mh.max_bucket_size, keep=mh.keep, per_language=per_language,
        witness=mh.witness, witness_rounds=mh.witness_rounds,
    )
    return DedupSettings(
        exact_enabled=dedup_config.enabled and dedup_config.exact.enabled,
        strip_punctuation=dedup_config.exact.strip_punctuation,
        exact_keep=dedup_config.exact.keep,
        near_enabled=dedup_config.enabled and mh.enabled,
        near=near,
        keep_cluster_size=dedup_config.keep_cluster_size,
        write_clusters=dedup_config.write_clusters,
        max_rounds=dedup_config.max_rounds,
        top_clusters=dedup_config.top_clusters,
        write_witnesses=dedup_config.write_witnesses,
    )


# --------------------------------------------------------------------------- per-document near features


@dataclass(frozen=True)
class NearFeatures:
    node: Node
    signature: bytes | None  # None: no shingles (not part of near dedup)
    bands: list[tuple[int, int]]
    short: bool
    spec: ShingleSpec
    verify_payload: bytes | None = None  # what the verification compares (fingerprint or signature)
    fingerprint: bytes | None = None  # shingle fingerprint, for the witness check (and exact verification)


class NearFeaturizer:
    """Shingles + signature + band keys of one document (build once per worker)."""

    def __init__(self, settings: NearSettings):
        self.settings = settings
        self.hasher = MinHasher(settings.num_perm, settings.seed)

    def features(self, doc_id: str, text: str, lang: str, script: str) -> NearFeatures:
        s = self.settings
        spec = shingle_spec(lang, script or dominant_script(text), s)  # empty script: detect it
        sh = shingles(text, spec, s.short_docs)
        hashes = shingle_hashes(sh.values)
        sig = self.hasher.signature_of_hashes(hashes)
        bands = band_keys(sig, s.bands, s.rows, s.seed) if sig is not None else []
        fingerprint = fingerprint_of_hashes(hashes) if sig is not None and s.needs_fingerprint else None
        payload = None
        if sig is not None and s.verify:
            payload = fingerprint if s.verify_method == "exact" else sig
        return NearFeatures(keep_key(s.keep, doc_id, len(text)), sig, bands, sh.short, spec, payload, fingerprint)


# --------------------------------------------------------------------------- reference (in-memory) dedup


@dataclass
class DedupResult:
    """Outcome of :func:`deduplicate_in_memory`: ids kept, reason + representative of each dropped id,
    and the witness audit (one record per dropped id, see :func:`witness_record`)."""

    kept: list[str]
    dropped: dict[str, tuple[str, str]]  # id -> (reason, representative id)
    candidate_pairs: set[tuple[str, str]]
    witnesses: dict[str, dict] = field(default_factory=dict)  # id -> audit record


def witness_record(reason: str, removed: str, witness: str, jaccard: float | None, cluster: str) -> dict:
    """One line of the witness audit: a removed document, the kept document it is removed for,
    their verified shingle Jaccard (None when the witness check is off) and its cluster (the
    exact group's representative, or the connected component's minimum)."""
    return {"reason": reason, "removed_id": removed, "witness_id": witness, "jaccard": jaccard, "cluster": cluster}


def deduplicate_in_memory(docs: Iterable, settings: DedupSettings) -> DedupResult:
    """The whole stage on one machine, with the same building blocks and union-find.

    The Beam transform must give exactly this result; tests compare the two.
    ``docs`` are objects with ``id``, ``text``, ``lang`` and ``script``.
    """
    docs = list(docs)
    dropped: dict[str, tuple[str, str]] = {}
    witnesses: dict[str, dict] = {}
    survivors = docs
    if settings.exact_enabled:
        groups: dict[str, list] = {}
        for d in docs:
            groups.setdefault(exact_key(d.text, settings.strip_punctuation), []).append(d)
        survivors = []
        for members in groups.values():
            rep = min(members, key=lambda d: keep_key(settings.exact_keep, d.id, len(d.text)))
            survivors.append(rep)
            for d in members:
                if d is not rep:
                    dropped[d.id] = ("dedup:exact", rep.id)
                    witnesses[d.id] = witness_record("dedup:exact", d.id, rep.id, 1.0, rep.id)
    pairs: set[tuple[str, str]] = set()
    if settings.near_enabled:
        feat = NearFeaturizer(settings.near)
        features = {}
        buckets: dict[tuple[int, int], list[Node]] = {}
        for d in survivors:
            f = feat.features(d.id, d.text, d.lang, d.script)
            if f.signature is None:
                continue
            features[f.node] = f
            for key in f.bands:
                buckets.setdefault(key, []).append(f.node)
        edges = set()
        for members in buckets.values():
            if len(members) < 2:
                continue
            bucket = summarize_bucket(members, settings.near.max_bucket_size)
            edges.update(star_edges(members, bucket))
        verified = []
        for a, b in sorted(edges):
            pairs.add((node_id(a), node_id(b)))
            if settings.near.verify:
                sim = verification_similarity(settings.near.verify_method, features[a].verify_payload,
                                              features[b].verify_payload)
                if sim < settings.near.verify_threshold:
                    continue
            verified.append((a, b))
        labels = connected_components_union_find(verified)
        if settings.near.witness:
            fps = {n: features[n].fingerprint for n in set(labels) | set(labels.values())}
            found = assign_witnesses(labels, fps, settings.near.verify_threshold, settings.near.witness_rounds)
            near = {n: (w, sim, labels[n]) for n, (w, sim) in found.witness.items()}
        else:
            near = {n: (root, None, root) for n, root in labels.items()}
        for node, (w, sim, root) in near.items():
            dropped[node_id(node)] = ("dedup:near", node_id(w))
            witnesses[node_id(node)] = witness_record("dedup:near", node_id(node), node_id(w), sim, node_id(root))
    for removed, record in list(witnesses.items()):  # an exact duplicate of a near-removed document
        if record["reason"] == "dedup:exact" and record["witness_id"] in dropped:
            near_record = witnesses[record["witness_id"]]
            witnesses[removed] = {**record, "witness_id": near_record["witness_id"], "jaccard": near_record["jaccard"]}
    kept = sorted(d.id for d in survivors if d.id not in dropped)
    return DedupResult(kept, dropped, pairs, witnesses)
