"""Near-duplicate features of the dedup core: shingles (per script and language), MinHash
signatures, fingerprints and the LSH band parameters. Pure Python, no Beam."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np
import regex
import xxhash
from datasketch import LeanMinHash, MinHash

from pipeline.text.profile import script_runs
from pipeline.text.segment import has_spaceless

if TYPE_CHECKING:  # annotation only: the settings module imports this one
    from pipeline.stages.dedup_core import NearSettings


# --------------------------------------------------------------------------- shingles

_WORD = regex.compile(r"\w+")
_WORD_CHAR = regex.compile(r"\w")

SCHEME = "affine64"  # datasketch permutation scheme for 64-bit input hashes
_HASH_CHUNK = 4096  # shingles hashed per update_batch call: bounds memory to chunk * num_perm * 8 bytes


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
