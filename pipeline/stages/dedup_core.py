"""Pure deduplication core: exact keys, settings, per-document features and the in-memory
reference dedup; shingles and MinHash are in :mod:`pipeline.stages.dedup_minhash`, the
duplicate graph (star edges, components, witnesses) in :mod:`pipeline.stages.dedup_graph`,
both re-exported here. No Beam import; the Beam wiring is in :mod:`pipeline.stages.dedup`.

Nodes of the duplicate graph are *keep keys*: ``(rank, id)`` tuples whose order is
the keep policy (``(0, id)`` keeps the smallest id, ``(-len(text), id)`` the longest
text), so the representative of any group or component is simply its minimum.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Iterable

import regex
from datasketch import MinHash

from pipeline.hashing import keyed_hash64, stable_digest
from pipeline.text.script import dominant_script
from pipeline.stages.dedup_minhash import (  # noqa: F401 - re-exported
    _xxh64,
    MinHasher,
    SCHEME,
    ShingleSpec,
    Shingles,
    VERIFY_METHODS,
    band_keys,
    candidate_probability,
    estimated_jaccard,
    fingerprint_jaccard,
    fingerprint_of_hashes,
    mixed_units,
    optimal_bands_rows,
    shingle_fingerprint,
    shingle_hashes,
    shingle_jaccard,
    shingle_spec,
    shingles,
    signature_array,
    units,
    verification_similarity,
)
from pipeline.stages.dedup_graph import (  # noqa: F401 - re-exported
    Node,
    Bucket,
    NotConvergedError,
    WitnessResult,
    assign_witnesses,
    connected_components_star,
    connected_components_union_find,
    large_star,
    large_star_step,
    pivot_split,
    size_bin,
    small_star,
    small_star_step,
    star_edges,
    star_map_large,
    star_map_small,
    summarize_bucket,
)


_WHITESPACE = regex.compile(r"\s+")
_PUNCTUATION = regex.compile(r"\p{P}+")


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
