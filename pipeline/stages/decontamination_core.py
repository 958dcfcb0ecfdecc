"""Benchmark decontamination: word n-gram overlap with evaluation items (core, no Beam).

* :func:`units` splits a text into matching units with their character offsets: the
  tokens of :func:`pipeline.text.segment.tokens` (words of spaced scripts, single
  characters of spaceless scripts such as Chinese, Japanese or Thai), each put through
  NFKC, case folding and removal of punctuation and symbols; units left empty are
  skipped, so "Hello, World!" and "hello world" give the same units. Documents and
  evaluation items go through the same function.
* :func:`windows` finds the n-grams: runs of ``n`` words, or of ``n_chars`` characters of
  spaceless scripts (a character weighs n/n_chars of a word in mixed text: a 13-character
  Japanese run is a short phrase, not a sentence); :func:`ngram_hashes` hashes each to 64
  bits (a keyed BLAKE2b hash per unit, combined polynomially and mixed with numpy).
* :class:`EvalIndex` is the compact evaluation-side structure: one sorted ``uint64`` array
  of n-gram hashes and a parallel ``int32`` array of item numbers (12 bytes per distinct
  (n-gram, item) pair), built by :func:`build_index`. N-grams that occur in more than
  ``max_items_per_ngram`` items, or that come from a stop-phrase list, are left out (an
  allow-list of common phrases). It is saved as one ``.npz`` file.
* :class:`Matcher` looks a document's n-gram hashes up with ``numpy.searchsorted``,
  counts per item the distinct n-grams found, applies the thresholds and the action
  (drop / mask / mark), and returns the audit records.

A 64-bit hash stands for the n-gram itself: two different n-grams share a hash with
probability 2^-64, so with an index of 10^8 pairs a document n-gram matches by accident
with probability about 5·10^-12 (one spurious n-gram per ~2·10^11 looked up), and the
``min_ngrams`` threshold makes an accidental document-level match rarer still.
"""

from __future__ import annotations

import hashlib
import io
import json
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np
import regex

from pipeline.records import Doc, Dropped
from pipeline.text.segment import has_spaceless
from pipeline.text.segment import tokens as segment_tokens
from pipeline.stats import DecontaminationAction, DecontaminationFile, DecontaminationItem

STAGE = "decontamination"
_PUNCT = regex.compile(r"[\p{P}\p{S}\p{C}]+")
_MASK64 = (1 << 64) - 1
_BASE = np.uint64(0x9E3779B97F4A7C15)  # odd multiplier of the polynomial n-gram hash
# marks that segment.tokens keeps as units of a spaceless script although their Unicode
# script is Common (the prolonged sound mark, iteration marks)
_SPACELESS_MARKS = frozenset("ー々〻ゝゞヽヾ")
_UNIT_CACHE_MAX = 500_000
_unit_hash_cache: dict[str, int] = {}
_spaceless_cache: dict[str, bool] = {}


def normalize_unit(token: str) -> str:
    """NFKC, case-folded, without punctuation, symbols or control characters ('' when nothing is left)."""
    if not token.isalnum() or not unicodedata.is_normalized("NFKC", token):
        token = _PUNCT.sub("", unicodedata.normalize("NFKC", token))
    return token.casefold()


_unit_cache: dict[str, str] = {}


def units(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """The normalised units of ``text`` and each one's (start, end) character offsets in ``text``."""
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    find, cache = text.find, _unit_cache
    if len(cache) >= _UNIT_CACHE_MAX:
        cache.clear()
    for token in segment_tokens(text):
        start = find(token, pos)
        pos = start + len(token)
        unit = cache.get(token)
        if unit is None:
            unit = cache[token] = normalize_unit(token)
        if unit:
            out.append(unit)
            spans.append((start, pos))
    return out, spans


def _unit_hash(unit: str) -> int:
    value = _unit_hash_cache.get(unit)
    if value is None:
        value = int.from_bytes(hashlib.blake2b(unit.encode("utf-8"), digest_size=8,
                                               person=b"decontam").digest(), "little")
        if len(_unit_hash_cache) >= _UNIT_CACHE_MAX:
            _unit_hash_cache.clear()
        _unit_hash_cache[unit] = value
    return value


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser (vectorised): spreads the polynomial hash over all 64 bits."""
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def unit_weights(unit_list: Sequence[str], n: int, n_chars: int) -> np.ndarray:
    """Integer weights: ``n_chars`` for a word, ``n`` for a character of a spaceless script,
    so that ``n`` words or ``n_chars`` such characters (or a mix) weigh ``n * n_chars``."""
    cache = _spaceless_cache
    flags = []
    for unit in unit_list:
        flag = cache.get(unit)
        if flag is None:
            flag = cache[unit] = has_spaceless(unit) or unit in _SPACELESS_MARKS
        flags.append(flag)
    if len(cache) >= _UNIT_CACHE_MAX:
        cache.clear()
    return np.where(np.array(flags, dtype=bool), n, n_chars).astype(np.int64)


def windows(unit_list: Sequence[str], n: int, n_chars: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The n-grams of ``unit_list``: (start, end) unit indices of the shortest run of units
    from each start that holds ``n`` words or ``n_chars`` characters of spaceless scripts
    (mixed runs count each character as n/n_chars of a word). Starts without a full run
    are left out."""
    n_chars = n_chars or n
    count = len(unit_list)
    if count == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if n_chars == n or not has_spaceless("".join(unit_list)):
        starts = np.arange(max(0, count - n + 1), dtype=np.int64)
        return starts, starts + n
    cum = np.concatenate(([0], np.cumsum(unit_weights(unit_list, n, n_chars))))
    ends = np.searchsorted(cum, cum[:-1] + n * n_chars, side="left")
    valid = ends <= count
    starts = np.arange(count, dtype=np.int64)[valid]
    return starts, ends[valid].astype(np.int64)


def ngram_hashes(unit_list: Sequence[str], n: int, n_chars: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(starts, ends, 64-bit hashes) of the n-grams of :func:`windows`; the hash of a run of
    units depends only on those units."""
    starts, ends = windows(unit_list, n, n_chars)
    if not len(starts):
        return starts, ends, np.zeros(0, dtype=np.uint64)
    w = np.fromiter((_unit_hash(u) for u in unit_list), dtype=np.uint64, count=len(unit_list))
    with np.errstate(over="ignore"):
        # prefix[k] = sum of w[i] * B^(k-1-i) over i < k: a log-step scan
        scan, step, power = w.copy(), 1, _BASE
        while step < len(scan):
            scan[step:] += scan[:-step] * power
            step, power = step * 2, power * power
        prefix = np.concatenate((np.zeros(1, dtype=np.uint64), scan))
        lengths = ends - starts
        powers = np.ones(int(lengths.max()) + 1, dtype=np.uint64)
        for k in range(1, len(powers)):
            powers[k] = powers[k - 1] * _BASE
        h = prefix[ends] - prefix[starts] * powers[lengths]
        return starts, ends, _mix(h)


# ---------------------------------------------------------------------------- the index


@dataclass
class EvalItem:
    """One evaluation item: its file (name), its id and its texts (one per field value)."""

    file: str
    item_id: str
    texts: list[str]


@dataclass
class EvalIndex:
    keys: np.ndarray          # uint64, sorted: n-gram hash of each (n-gram, item) pair
    items: np.ndarray         # int32, parallel to keys: item number
    item_ngrams: np.ndarray   # int32 per item: distinct n-grams indexed
    item_files: list[str]
    item_ids: list[str]
    n: int
    n_chars: int
    stats: dict = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        meta = json.dumps({"files": self.item_files, "ids": self.item_ids, "n": self.n, "n_chars": self.n_chars,
                           "stats": self.stats},
                          ensure_ascii=False)
        buf = io.BytesIO()
        np.savez(buf, keys=self.keys, items=self.items, item_ngrams=self.item_ngrams,
                 meta=np.frombuffer(meta.encode("utf-8"), dtype=np.uint8))
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> "EvalIndex":
        with np.load(io.BytesIO(data)) as z:
            meta = json.loads(z["meta"].tobytes().decode("utf-8"))
            return cls(z["keys"], z["items"], z["item_ngrams"], meta["files"], meta["ids"], meta["n"], meta["n_chars"],
                       meta["stats"])

    @property
    def nbytes(self) -> int:
        return int(self.keys.nbytes + self.items.nbytes + self.item_ngrams.nbytes)


def hash_texts(unit_lists: Sequence[Sequence[str]], n: int, n_chars: int | None) -> tuple[np.ndarray, np.ndarray]:
    """(hashes, text number) of the n-grams of many texts at once: the n-grams of their
    concatenation that do not cross a text boundary, i.e. each text's own n-grams."""
    flat = [u for unit_list in unit_lists for u in unit_list]
    bounds = np.concatenate(([0], np.cumsum([len(u) for u in unit_lists], dtype=np.int64)))
    starts, ends, hashes = ngram_hashes(flat, n, n_chars)
    text = np.searchsorted(bounds, starts, side="right") - 1
    inside = ends <= bounds[text + 1]
    return hashes[inside], text[inside]


def _runs(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of a sorted array and how often each occurs (np.unique without its hashing)."""
    if not len(sorted_keys):
        return sorted_keys, np.zeros(0, dtype=np.int64)
    heads = np.flatnonzero(np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1])))
    return sorted_keys[heads], np.diff(np.concatenate((heads, [len(sorted_keys)])))


def build_index(items: Iterable[EvalItem], n: int, max_items_per_ngram: int,
                stop_phrases: Iterable[str] = (), n_chars: int | None = None) -> EvalIndex:
    """The index of every item's distinct n-grams (each field's text on its own), without
    the n-grams found in more than ``max_items_per_ngram`` items or in a stop phrase."""
    files, ids, unit_lists, owner_of_text = [], [], [], []
    for number, item in enumerate(items):
        files.append(item.file)
        ids.append(item.item_id)
        for text in item.texts:
            unit_lists.append(units(text)[0])
            owner_of_text.append(number)
    hashes, text = hash_texts(unit_lists, n, n_chars)
    owners = np.asarray(owner_of_text, dtype=np.int32)[text] if len(text) else np.zeros(0, dtype=np.int32)
    order = np.lexsort((owners, hashes))
    keys, owners = hashes[order], owners[order]
    first = np.ones(len(keys), dtype=bool)  # one pair per (n-gram, item)
    first[1:] = (keys[1:] != keys[:-1]) | (owners[1:] != owners[:-1])
    keys, owners = keys[first], owners[first]
    distinct, per_key = _runs(keys)
    common = distinct[per_key > max_items_per_ngram]
    stop = np.unique(hash_texts([units(t)[0] for t in stop_phrases], n, n_chars)[0])
    keep = ~np.isin(keys, np.union1d(common, stop))
    too_short = int((np.bincount(owners, minlength=len(files)) == 0).sum())
    keys, owners = keys[keep], owners[keep]
    item_ngrams = np.bincount(owners, minlength=len(files)).astype(np.int32)
    stats = {"items": len(files), "items_too_short": too_short, "pairs": int(len(keys)),
             "distinct_ngrams": int(len(_runs(keys)[0])), "common_ngrams_removed": int(len(common)),
             "stop_ngrams_removed": int(np.isin(stop, distinct).sum())}
    return EvalIndex(keys, owners, item_ngrams, files, ids, n, n_chars or n, stats)


# ---------------------------------------------------------------------------- matching


@dataclass
class Overlap:
    """One (document, item) overlap: distinct n-grams matched and the unit ranges covered."""

    item: int
    ngrams: int
    fraction: float
    ranges: list[tuple[int, int]]  # [start unit, end unit) merged


def merge_ranges(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for start, end in sorted(ranges):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(a, b) for a, b in out]


def find_overlaps(index: EvalIndex, unit_list: Sequence[str], min_ngrams: int, min_fraction: float) -> list[Overlap]:
    """Items the units overlap (at least ``min_ngrams`` distinct n-grams, at least
    ``min_fraction`` of the item's indexed n-grams), by item number."""
    starts, ends, hashes = ngram_hashes(unit_list, index.n, index.n_chars)
    if not len(hashes) or not len(index.keys):
        return []
    lo = np.searchsorted(index.keys, hashes, side="left")
    hi = np.searchsorted(index.keys, hashes, side="right")
    positions = np.nonzero(hi > lo)[0]
    if not len(positions):
        return []
    found: dict[int, set] = defaultdict(set)
    where: dict[int, list] = defaultdict(list)
    for pos in positions.tolist():
        h = int(hashes[pos])
        for j in range(int(lo[pos]), int(hi[pos])):
            item = int(index.items[j])
            found[item].add(h)
            where[item].append((int(starts[pos]), int(ends[pos])))
    out = []
    for item in sorted(found):
        matched = len(found[item])
        fraction = matched / max(1, int(index.item_ngrams[item]))
        if matched >= min_ngrams and fraction >= min_fraction:
            out.append(Overlap(item, matched, round(fraction, 6), merge_ranges(where[item])))
    return out


def char_spans(ranges: Iterable[tuple[int, int]], spans: Sequence[tuple[int, int]], margin: int = 0
               ) -> list[tuple[int, int]]:
    """Unit ranges (widened by ``margin`` units each side, merged) as character offsets."""
    last = len(spans)
    widened = merge_ranges((max(0, a - margin), min(last, b + margin)) for a, b in ranges)
    return [(spans[a][0], spans[b - 1][1]) for a, b in widened]


def mask_text(text: str, char_ranges: Sequence[tuple[int, int]], placeholder: str) -> str:
    parts, pos = [], 0
    for start, end in char_ranges:
        parts.append(text[pos:start])
        parts.append(placeholder)
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


class Matcher:
    """The per-document decision. ``__call__`` returns (Doc | Dropped, stats, audit records)."""

    def __init__(self, index: EvalIndex, action: str = "drop", min_ngrams: int = 1, min_fraction: float = 0.0,
                 margin: int = 5, placeholder: str = "[…]", recount=None):
        self.index = index
        self.action = action
        self.min_ngrams = min_ngrams
        self.min_fraction = min_fraction
        self.margin = margin
        self.placeholder = placeholder
        self.recount = recount  # (text, script) -> tokens, for masked documents

    def __call__(self, doc: Doc):
        unit_list, spans = units(doc.text)
        overlaps = find_overlaps(self.index, unit_list, self.min_ngrams, self.min_fraction)
        if not overlaps:
            return doc, [], []
        index = self.index
        audit, stats = [], []
        for o in overlaps:
            file, item_id = index.item_files[o.item], index.item_ids[o.item]
            audit.append({"doc_id": doc.id, "source": doc.source, "lang": doc.lang, "tokens": int(doc.tokens),
                          "file": file, "item": item_id, "ngrams": o.ngrams, "item_fraction": o.fraction,
                          "action": self.action, "spans": [list(s) for s in char_spans(o.ranges, spans)]})
            stats += [(DecontaminationItem(file, item_id, doc.lang, "docs").key, 1),
                      (DecontaminationItem(file, item_id, doc.lang, "tokens").key, doc.tokens),
                      (DecontaminationItem(file, item_id, doc.lang, "ngrams").key, o.ngrams)]
        for file in sorted({index.item_files[o.item] for o in overlaps}):
            stats += [(DecontaminationFile(file, doc.lang, "docs").key, 1),
                      (DecontaminationFile(file, doc.lang, "tokens").key, doc.tokens)]
        stats += [(DecontaminationAction(self.action, doc.source, doc.lang, "docs").key, 1),
                  (DecontaminationAction(self.action, doc.source, doc.lang, "tokens").key, doc.tokens)]
        summary = {"items": [[index.item_files[o.item], index.item_ids[o.item], o.ngrams] for o in overlaps]}
        if self.action == "drop":
            return Dropped(doc.with_metadata(decontamination=summary), f"{STAGE}:overlap"), stats, audit
        if self.action == "mark":
            return doc.with_metadata(decontamination=summary), stats, audit
        masked_ranges = char_spans([r for o in overlaps for r in o.ranges], spans, self.margin)
        text = mask_text(doc.text, masked_ranges, self.placeholder)
        summary["masked_chars"] = sum(b - a for a, b in masked_ranges)
        masked = doc.with_(text=text).with_metadata(decontamination=summary)
        if not units(text)[0] or not text.replace(self.placeholder, "").strip():
            return Dropped(masked, f"{STAGE}:empty_after_mask"), stats, audit
        if self.recount is not None:
            masked = masked.with_(tokens=self.recount(text, doc.script or None))
        return masked, stats, audit


# ---------------------------------------------------------------------------- the report


def summarize_matches(records: Iterable[dict], top: int = 20) -> dict:
    """Per evaluation file and item: documents and tokens overlapped, per language; the top items."""
    items: dict[tuple[str, str], dict] = {}
    files: dict[str, dict] = {}
    for r in records:
        key = (r["file"], r["item"])
        entry = items.setdefault(key, {"file": r["file"], "item": r["item"], "docs": 0, "tokens": 0,
                                       "max_fraction": 0.0, "languages": {}})
        entry["docs"] += 1
        entry["tokens"] += int(r.get("tokens", 0))
        entry["max_fraction"] = max(entry["max_fraction"], r["item_fraction"])
        entry["languages"][r["lang"]] = entry["languages"].get(r["lang"], 0) + 1
        f = files.setdefault(r["file"], {"file": r["file"], "items": 0, "docs": set(), "languages": {}})
        f["docs"].add(r["doc_id"])
        lang = f["languages"].setdefault(r["lang"], {"docs": set(), "tokens": 0})
        if r["doc_id"] not in lang["docs"]:
            lang["docs"].add(r["doc_id"])
            lang["tokens"] += int(r.get("tokens", 0))
    for (file, _), _entry in items.items():
        files[file]["items"] += 1
    file_rows = []
    for f in sorted(files.values(), key=lambda f: f["file"]):
        file_rows.append({"file": f["file"], "items_contaminated": f["items"], "docs": len(f["docs"]),
                          "languages": {lang: {"docs": len(v["docs"]), "tokens": v["tokens"]}
                                        for lang, v in sorted(f["languages"].items())}})
    ranked = sorted(items.values(), key=lambda e: (-e["docs"], -e["tokens"], e["file"], e["item"]))
    for e in ranked:
        e["languages"] = dict(sorted(e["languages"].items()))
    return {"files": file_rows, "top_items": ranked[:top], "items": ranked}
