"""Per-document sampling at a bucket's rate, reproducible from (seed, document id).

Rate r: every document is emitted ⌊r⌋ times, plus once more when
``keyed_uniform(seed, "sample", id) < r − ⌊r⌋``. The expected token count of a bucket
is exactly r × available = its target, and the same seed always picks the same
documents. The first emission keeps the document's id; further copies get derived ids
``{id}#r{k}`` (k = 1, 2, ...) and ``metadata["copy"] = k``.

Exact mode replaces the coin flip of the fractional part by a cut-off: documents are
ranked by ``keyed_hash64(seed, "sample", id)`` (ties by id) and the first ones are
taken until the bucket's residual token target is reached, so the achieved tokens are
within one document of the target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping

from pipeline.hashing import keyed_hash64, keyed_uniform
from pipeline.records import Doc

PURPOSE = "sample"


def copy_id(doc_id: str, k: int) -> str:
    """The id of the k-th copy (k = 0 is the document itself)."""
    return doc_id if k == 0 else f"{doc_id}#r{k}"


def copies_for(seed: int, doc_id: str, rate: float) -> int:
    """How many times a document is emitted at ``rate`` (0, ⌊r⌋ or ⌊r⌋ + 1)."""
    if not rate > 0:
        return 0
    whole = math.floor(rate)
    fraction = rate - whole
    if fraction > 0 and keyed_uniform(seed, PURPOSE, doc_id) < fraction:
        return whole + 1
    return whole


def make_copies(doc: Doc, n: int) -> list[Doc]:
    """``n`` emissions of ``doc``: the original, then copies with derived ids."""
    out = []
    for k in range(n):
        out.append(doc if k == 0 else doc.with_(id=copy_id(doc.id, k), metadata={**doc.metadata, "copy": k}))
    return out


def sample_doc(doc: Doc, rate: float, seed: int) -> list[Doc]:
    """The emissions of one document at ``rate`` (empty when it is not sampled)."""
    return make_copies(doc, copies_for(seed, doc.id, rate))


# ---------------------------------------------------------------- exact mode


def rank_key(seed: int, doc_id: str) -> tuple[int, str]:
    """Position of a document in its bucket's exact-mode order (smallest first)."""
    return (keyed_hash64(seed, PURPOSE, doc_id), doc_id)


@dataclass(frozen=True)
class ExactCut:
    """Exact-mode decision of one bucket: every document ``whole`` times, plus one more
    for documents whose rank key is ≤ ``last`` (None: no extra)."""

    whole: int
    last: tuple[int, str] | None

    def copies(self, seed: int, doc_id: str) -> int:
        extra = self.last is not None and rank_key(seed, doc_id) <= self.last
        return self.whole + (1 if extra else 0)


@dataclass(frozen=True)
class ExactOptions:
    """The two cuts of one bucket around its token target: stop before the boundary
    document (``below``, achieving ``below_tokens`` ≤ target) or include it (``above``,
    ``above_tokens`` > target). They differ by one document."""

    whole: int
    below: tuple[int, str] | None
    above: tuple[int, str] | None
    below_tokens: float
    above_tokens: float
    target_tokens: float

    def cut(self, include_boundary: bool) -> ExactCut:
        return ExactCut(self.whole, self.above if include_boundary else self.below)


def exact_options(ranked: Iterable[tuple[tuple[int, str], int]], available_tokens: int,
                  target_tokens: float, max_tokens: float | None = None) -> ExactOptions:
    """Both cuts of a bucket. ``ranked`` holds (rank key, tokens) of every document, in
    any order. Full passes cover ⌊target / available⌋ epochs; the remainder is filled
    with the lowest-ranked documents.

    The boundary document may not be included when the target is a whole number of
    passes (that would start one more epoch than planned) or when it would take the
    bucket past ``max_tokens`` (its epoch cap × available tokens): then both options
    are the cut below.
    """
    if available_tokens <= 0 or not target_tokens > 0:
        return ExactOptions(0, None, None, 0.0, 0.0, max(0.0, float(target_tokens)))
    whole = int(math.floor(target_tokens / available_tokens + 1e-12))
    base = float(whole * available_tokens)
    residual = target_tokens - base
    taken = 0
    last = None
    for key, tokens in sorted(ranked):
        if taken + tokens > residual:
            above_tokens = base + taken + tokens
            if residual <= 1e-9 or (max_tokens is not None and above_tokens > max_tokens + 1e-9):
                return ExactOptions(whole, last, last, base + taken, base + taken, float(target_tokens))
            return ExactOptions(whole, last, key, base + taken, above_tokens, float(target_tokens))
        taken += tokens
        last = key
    return ExactOptions(whole, last, last, base + taken, base + taken, float(target_tokens))


def exact_cut(ranked: Iterable[tuple[tuple[int, str], int]], available_tokens: int, target_tokens: float) -> ExactCut:
    """The cut-off that hits ``target_tokens`` within one document: the boundary
    document is included only when that lands strictly closer to the target."""
    options = exact_options(ranked, available_tokens, target_tokens)
    t = options.target_tokens
    return options.cut(abs(options.above_tokens - t) < abs(options.below_tokens - t))


def choose_exact_cuts(options: Mapping[tuple[str, str], ExactOptions]) -> dict[tuple[str, str], ExactCut]:
    """Cuts for every (source, language) bucket, rounding with carry inside each source.

    Buckets are visited in sorted order; each takes the option that brings the source's
    running error (achieved − target) closest to zero. Every bucket stays within one
    document of its target, and so does every source as a whole, instead of the
    per-bucket rounding errors adding up.
    """
    cuts = {}
    carry: dict[str, float] = {}
    for bucket in sorted(options):
        o = options[bucket]
        error = carry.get(bucket[0], 0.0)
        low = error + o.below_tokens - o.target_tokens
        high = error + o.above_tokens - o.target_tokens
        include = abs(high) < abs(low)
        cuts[bucket] = o.cut(include)
        carry[bucket[0]] = high if include else low
    return cuts


# ---------------------------------------------------------------- copies and shards


def copy_index(doc: Doc) -> int:
    """k of a copy made by :func:`make_copies` (0 for an original)."""
    k = doc.metadata.get("copy", 0)
    return k if isinstance(k, int) and not isinstance(k, bool) and k > 0 and doc.id.endswith(f"#r{k}") else 0


def original_id(doc: Doc) -> str:
    """The id of the document a copy was made from (the id itself for an original)."""
    k = copy_index(doc)
    return doc.id[: -len(f"#r{k}")] if k else doc.id


def spread_copies(shard_of_original: int, doc: Doc, count: int) -> int:
    """Shard of ``doc`` when its original goes to ``shard_of_original``: copy k goes k
    shards further, so up to ``count`` copies of one document never share a shard."""
    return (shard_of_original + copy_index(doc)) % count
