"""Canaries: sequences built on purpose from real documents of the final mixture and
injected into the shards a chosen number of times, so that memorization can be measured
per language later (PaLM 2 §4; Carlini et al. 2019). A secret manifest lists them.

Types (per language, ``per_language`` of each):

* **shuffle** — all tokens of one real document, in a keyed-hash order;
* **interleave** — two real documents of the language, alternating chunks of
  ``interleave_chunk_tokens`` tokens, each keeping its own order (the longer one's
  remainder follows at the end);
* **random** — as many tokens as one real document, each drawn by keyed hash from the
  distinct tokens (the vocabulary) of up to ``vocabulary_docs`` documents of the language.

Tokens are the units of :func:`pipeline.text.segment.tokens`: whitespace-separated runs
(punctuation stays attached) in spaced scripts, one grapheme cluster per letter of a
script written without spaces (Han, kana, Thai, ...). They are joined back with a space,
except next to a spaceless-script unit, so shuffled Chinese or Thai stays spaceless.
``Doc.tokens`` of a canary is counted with the mixture's token counter, like every
other document; ``min_source_tokens`` is measured with that counter too.

This is the pure core (no Beam); the transform ``InjectCanaries`` is in
:mod:`pipeline.stages.canaries`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from pipeline.hashing import keyed_hash64, sha256_bytes
from pipeline.records import Doc
from pipeline.stats import CanariesKind, CanariesLang
from pipeline.text.segment import has_spaceless
from pipeline.text.segment import tokens as segment_tokens

STAGE = "canaries"
UNDETERMINED = "und"
LARGE, SMALL = "large", "small"
DOCS_PER_TYPE = {"shuffle": 1, "interleave": 2, "random": 1}

# purposes of the keyed hashes (one per decision, so that no two decisions correlate)
P_SELECT = "canaries/select"
P_VOCAB = "canaries/vocabulary"
P_LANGUAGE = "canaries/language"
P_SHUFFLE = "canaries/shuffle"
P_RANDOM = "canaries/random"
P_CANARY = "canaries/canary"
P_DOC_ID = "canaries/doc_id"


# ---------------------------------------------------------------------------- tokens


def canary_tokens(text: str, script: str | None = None) -> list[str]:
    """The token units canaries are made of (see the module docstring)."""
    return segment_tokens(text, script)


def _is_spaceless_unit(token: str) -> bool:
    return has_spaceless(token)


def join_tokens(tokens: Sequence[str]) -> str:
    """Tokens back to text: a space between two tokens unless one of them is a
    spaceless-script unit. The separator depends only on the two neighbours, so the
    join of a prefix of the tokens is a prefix of the join of all of them."""
    if not tokens:
        return ""
    parts = [tokens[0]]
    previous_spaceless = _is_spaceless_unit(tokens[0])
    for token in tokens[1:]:
        spaceless = _is_spaceless_unit(token)
        if not (previous_spaceless or spaceless):
            parts.append(" ")
        parts.append(token)
        previous_spaceless = spaceless
    return "".join(parts)


# ---------------------------------------------------------------------------- construction


def shuffle_tokens(tokens: Sequence[str], seed: int, key: str) -> list[str]:
    """A keyed-hash permutation of ``tokens`` (position i sorts by hash(seed, key, i))."""
    order = sorted(range(len(tokens)), key=lambda i: (keyed_hash64(seed, P_SHUFFLE, f"{key}\x00{i}"), i))
    return [tokens[i] for i in order]


def interleave_tokens(first: Sequence[str], second: Sequence[str], chunk: int) -> list[str]:
    """Chunks of ``chunk`` tokens taken alternately from ``first`` and ``second``, each
    keeping its relative order; when one runs out, the rest of the other follows."""
    if chunk < 1:
        raise ValueError("chunk must be >= 1")
    out: list[str] = []
    i = j = 0
    while i < len(first) or j < len(second):
        out.extend(first[i:i + chunk])
        i += chunk
        out.extend(second[j:j + chunk])
        j += chunk
    return out


def random_tokens(vocabulary: Sequence[str], length: int, seed: int, key: str) -> list[str]:
    """``length`` tokens, each drawn uniformly (keyed hash) from ``vocabulary``."""
    if length <= 0:
        return []
    if not vocabulary:
        raise ValueError("random canary: empty vocabulary")
    n = len(vocabulary)
    return [vocabulary[keyed_hash64(seed, P_RANDOM, f"{key}\x00{i}") % n] for i in range(length)]


def vocabulary_of(docs: Iterable[Doc]) -> list[str]:
    """Distinct tokens of ``docs``, sorted (so the draw never depends on arrival order)."""
    vocab: set[str] = set()
    for doc in docs:
        vocab.update(canary_tokens(doc.text, doc.script or None))
    return sorted(vocab)


# ---------------------------------------------------------------------------- selection


def rank_key(seed: int, purpose: str, doc_id: str) -> tuple[int, str]:
    """Order of documents in a language's candidate list: keyed hash, ties by id."""
    return (keyed_hash64(seed, purpose, doc_id), doc_id)


def is_original(doc: Doc) -> bool:
    """False for the extra copies the mixture makes of repeated documents."""
    return not doc.metadata.get("copy")


def is_eligible(doc: Doc, min_tokens: int, max_tokens: int | None) -> bool:
    """Original documents of the right length, without control tokens (a canary built from
    a marked document would carry the marker into its text)."""
    return (is_original(doc) and not doc.metadata.get("control_tokens")
            and doc.tokens >= min_tokens and (max_tokens is None or doc.tokens <= max_tokens))


def required_docs(types: Sequence[str], per_language: int) -> int:
    """Distinct long documents a language needs to get all its canaries."""
    return per_language * sum(DOCS_PER_TYPE[t] for t in types)


def assign_bins(language_tokens: dict[str, int], method: str, threshold_tokens: float, top_k: int) -> dict[str, str]:
    """'large' / 'small' per language from its tokens in the final mixture."""
    if method == "threshold":
        return {lang: LARGE if tokens >= threshold_tokens else SMALL for lang, tokens in language_tokens.items()}
    ranked = sorted(language_tokens, key=lambda lang: (-language_tokens[lang], lang))
    return {lang: LARGE if i < top_k else SMALL for i, lang in enumerate(ranked)}


def wanted_languages(present: Iterable[str], languages: Sequence[str] | None) -> list[str]:
    """The languages asked for: ``languages`` None means all but 'und'."""
    if languages is None:
        return sorted(lang for lang in present if lang != UNDETERMINED)
    listed = set(languages)
    return sorted(lang for lang in present if lang in listed)


def choose_languages(language_tokens: dict[str, int], bins: dict[str, str], languages: Sequence[str] | None,
                     max_languages: int | None, seed: int, feasible: Iterable[str] | None = None) -> list[str]:
    """Languages that get canaries, sorted: the wanted ones (``languages``, None: all but
    'und') that are ``feasible`` (have enough long documents; None: all). With
    ``max_languages``, languages are taken alternately from the large and the small bin,
    each bin in keyed-hash order, until the limit."""
    wanted = wanted_languages(language_tokens, languages)
    if feasible is not None:
        ok = set(feasible)
        wanted = [lang for lang in wanted if lang in ok]
    if max_languages is None or len(wanted) <= max_languages:
        return wanted
    queues = {b: sorted((lang for lang in wanted if bins.get(lang) == b),
                        key=lambda lang: rank_key(seed, P_LANGUAGE, lang)) for b in (LARGE, SMALL)}
    chosen: list[str] = []
    turn = 0
    while len(chosen) < max_languages and (queues[LARGE] or queues[SMALL]):
        b = (LARGE, SMALL)[turn % 2]
        if not queues[b]:
            b = SMALL if b == LARGE else LARGE
        chosen.append(queues[b].pop(0))
        turn += 1
    return sorted(chosen)


def canary_id(seed: int, lang: str, kind: str, index: int, source_ids: Sequence[str]) -> str:
    """The manifest id of a canary: opaque hex, stable for a seed and its sources."""
    key = "\x00".join([lang, kind, str(index), *source_ids])
    return f"{keyed_hash64(seed, P_CANARY, key):016x}"


def canary_doc_id(seed: int, source: str, canary: str, repetition: int) -> str:
    """Id of one injected repetition. It has the shape of the ids the readers derive for
    records without one (``{source}-{20 hex}``) and says nothing about being a canary."""
    key = f"{canary}\x00{repetition}"
    digest = f"{keyed_hash64(seed, P_DOC_ID, key):016x}{keyed_hash64(seed, P_DOC_ID + '/2', key):016x}"
    return f"{source}-{digest[:20]}"


# ---------------------------------------------------------------------------- one language


@dataclass
class LanguageSample:
    """What the canaries of one language are built from (bounded, whatever the corpus size)."""

    lang: str
    tokens: int = 0  # all documents of the language in the final mixture, copies included
    docs: int = 0
    eligible: list[Doc] = field(default_factory=list)  # long originals, in rank order
    vocabulary_docs: list[Doc] = field(default_factory=list)  # any originals, in rank order


@dataclass(frozen=True)
class Canary:
    kind: str
    lang: str
    index: int
    tokens: list[str]
    sources: list[Doc]
    repetitions: int


def build_canaries(sample: LanguageSample, *, types: Sequence[str], per_language: int,
                   repetitions: Sequence[int], chunk_tokens: int, seed: int) -> list[Canary] | None:
    """The canaries of one language, or None when it has too few long documents.

    Source documents are used once each, in rank order: for each type in ``types``, the
    per_language canaries of that type take 1 (shuffle, random) or 2 (interleave)
    documents. Canary j of a type is repeated ``repetitions[j % len(repetitions)]`` times.
    """
    need = required_docs(types, per_language)
    if len(sample.eligible) < need:
        return None
    pool = list(sample.eligible[:need])
    vocabulary: list[str] | None = None
    out: list[Canary] = []
    for kind in types:
        for j in range(per_language):
            reps = int(repetitions[j % len(repetitions)])
            if kind == "shuffle":
                doc = pool.pop(0)
                toks = shuffle_tokens(canary_tokens(doc.text, doc.script or None), seed, doc.id)
                sources = [doc]
            elif kind == "interleave":
                a, b = pool.pop(0), pool.pop(0)
                toks = interleave_tokens(canary_tokens(a.text, a.script or None),
                                         canary_tokens(b.text, b.script or None), chunk_tokens)
                sources = [a, b]
            elif kind == "random":
                doc = pool.pop(0)
                if vocabulary is None:
                    vocabulary = vocabulary_of(sample.vocabulary_docs or sample.eligible)
                length = len(canary_tokens(doc.text, doc.script or None))
                toks = random_tokens(vocabulary, length, seed, f"{sample.lang}\x00{j}\x00{doc.id}")
                sources = [doc]
            else:
                raise ValueError(f"unknown canary type '{kind}'")
            out.append(Canary(kind, sample.lang, j, toks, sources, reps))
    return out


def _metadata_like(doc: Doc) -> dict[str, Any]:
    """Metadata of an injected document: only the input file of its first source (never
    a line, URL or any key that would name or locate a canary)."""
    file = doc.metadata.get("input_file")
    return {"input_file": file} if file is not None else {}


def materialize(canary: Canary, *, seed: int, bin_name: str, count_tokens, prefix_tokens: int,
                suffix_tokens: int) -> tuple[list[Doc], dict[str, Any]]:
    """The injected Docs (one per repetition) and the manifest entry of one canary.

    ``count_tokens(text, script)`` is the mixture's token counter. The manifest's
    ``prefix`` is the first ``prefix_tokens`` tokens and ``suffix`` the next
    ``suffix_tokens`` (the continuation an extraction test expects).
    """
    first = canary.sources[0]
    text = join_tokens(canary.tokens)
    source_ids = [d.id for d in canary.sources]
    cid = canary_id(seed, canary.lang, canary.kind, canary.index, source_ids)
    n_tokens = int(count_tokens(text, first.script or None))
    lang_score = min(float(d.lang_score) for d in canary.sources)
    docs = [
        Doc(id=canary_doc_id(seed, first.source, cid, k), text=text, source=first.source, lang=canary.lang,
            lang_score=lang_score, script=first.script, tokens=n_tokens, metadata=_metadata_like(first))
        for k in range(canary.repetitions)
    ]
    entry = {
        "id": cid,
        "type": canary.kind,
        "lang": canary.lang,
        "bin": bin_name,
        "repetitions": canary.repetitions,
        "doc_ids": [d.id for d in docs],
        "source": first.source,
        "source_ids": source_ids,
        "tokens": n_tokens,
        "units": len(canary.tokens),
        "sha256": sha256_bytes(text.encode("utf-8", "surrogatepass")),
        "prefix": join_tokens(canary.tokens[:prefix_tokens]),
        "suffix": join_tokens(canary.tokens[prefix_tokens:prefix_tokens + suffix_tokens]),
        "text": text,
    }
    return docs, entry


def language_stats(lang: str, canaries: list[Canary] | None, docs: list[Doc]) -> list[tuple[str, int]]:
    if canaries is None:
        return [(CanariesLang("skipped_languages", lang).key, 1)]
    stats: dict[str, int] = {}
    for c in canaries:
        key = CanariesKind(c.kind, lang).key
        stats[key] = stats.get(key, 0) + 1
    stats[CanariesLang("injected_docs", lang).key] = len(docs)
    stats[CanariesLang("injected_tokens", lang).key] = sum(d.tokens for d in docs)
    return sorted(stats.items())


# ---------------------------------------------------------------------------- bounded sample


def _trim(items: list, k: int) -> list:
    items.sort(key=lambda item: item[0])
    del items[k:]
    return items


class LanguageSampler:
    """Accumulates one language's documents into a bounded :class:`LanguageSample`: the
    ``n_eligible`` long originals and ``n_vocab`` originals with the smallest keyed
    hashes. Order-independent and mergeable (a Beam combiner wraps it)."""

    def __init__(self, seed: int, min_tokens: int, max_tokens: int | None, n_eligible: int, n_vocab: int):
        self.seed = seed
        self.min_tokens = min_tokens
        self.max_tokens = max_tokens
        self.n_eligible = n_eligible
        self.n_vocab = n_vocab

    def create(self) -> list:
        return [0, 0, [], []]  # tokens, docs, [(rank, Doc)] eligible, [(rank, Doc)] vocabulary

    def add(self, acc: list, doc: Doc) -> list:
        acc[0] += int(doc.tokens)
        acc[1] += 1
        if not is_original(doc):
            return acc
        if is_eligible(doc, self.min_tokens, self.max_tokens):
            acc[2].append((rank_key(self.seed, P_SELECT, doc.id), doc))
            if len(acc[2]) > 2 * self.n_eligible:
                _trim(acc[2], self.n_eligible)
        acc[3].append((rank_key(self.seed, P_VOCAB, doc.id), doc))
        if len(acc[3]) > 2 * self.n_vocab:
            _trim(acc[3], self.n_vocab)
        return acc

    def merge(self, accs: Iterable[list]) -> list:
        out = self.create()
        for acc in accs:
            out[0] += acc[0]
            out[1] += acc[1]
            out[2] = _trim(out[2] + acc[2], self.n_eligible)
            out[3] = _trim(out[3] + acc[3], self.n_vocab)
        return out

    def result(self, lang: str, acc: list) -> LanguageSample:
        eligible = [d for _, d in _trim(list(acc[2]), self.n_eligible)]
        vocab = [d for _, d in _trim(list(acc[3]), self.n_vocab)]
        return LanguageSample(lang, acc[0], acc[1], eligible, vocab)


def plan_all(docs: Iterable[Doc], config, seed: int, count_tokens) -> tuple[list[Doc], list[dict], list[tuple]]:
    """The whole stage on an in-memory list (tests, small corpora): injected docs,
    manifest entries (sorted by id) and stats. The Beam transform computes the same."""
    sampler = sampler_for(config, seed)
    accs: dict[str, list] = {}
    for doc in docs:
        accs[doc.lang] = sampler.add(accs.get(doc.lang) or sampler.create(), doc)
    samples = {lang: sampler.result(lang, acc) for lang, acc in accs.items()}
    summaries = {lang: (s.tokens, len(s.eligible)) for lang, s in samples.items()}  # eligible is trimmed
    injected: list[Doc] = []
    manifest: list[dict] = []
    stats: list[tuple] = []
    chooser = LanguageChooser(config, seed)
    for lang in sorted(samples):
        d, m, s = build_language(samples[lang], chooser.choose(summaries), config, seed, count_tokens)
        injected += d
        manifest += m
        stats += s
    return injected, sorted(manifest, key=lambda e: e["id"]), stats


def sampler_for(config, seed: int) -> LanguageSampler:
    return LanguageSampler(seed, config.min_source_tokens, config.max_source_tokens,
                           required_docs(config.types, config.per_language), config.vocabulary_docs)


class LanguageChooser:
    """Bins and chosen languages from the per-language summaries (cached per summaries)."""

    def __init__(self, config, seed: int):
        self._config = config
        self._seed = seed
        self._need = required_docs(config.types, config.per_language)
        self._cache_key: tuple | None = None
        self._cache: tuple[dict[str, str], set[str]] = ({}, set())

    def choose(self, summaries: dict[str, tuple[int, int]]) -> tuple[dict[str, str], set[str]]:
        """From {language: (tokens, eligible documents)}: ({language: bin} of the languages
        that get canaries, the wanted languages skipped for lack of long documents)."""
        key = tuple(sorted(summaries.items()))
        if key != self._cache_key:
            c = self._config
            totals = {lang: tokens for lang, (tokens, _) in summaries.items()}
            bins = assign_bins(totals, c.bins.method, c.bins.threshold_tokens, c.bins.top_k)
            wanted = wanted_languages(totals, c.languages)
            feasible = [lang for lang in wanted if summaries[lang][1] >= self._need]
            chosen = choose_languages(totals, bins, c.languages, c.max_languages, self._seed, feasible)
            skipped = set(wanted) - set(feasible)
            self._cache_key, self._cache = key, ({lang: bins[lang] for lang in chosen}, skipped)
        return self._cache


def build_language(sample: LanguageSample, choice: tuple[dict[str, str], set[str]], config, seed: int,
                   count_tokens) -> tuple[list[Doc], list[dict], list[tuple]]:
    """Injected docs, manifest entries and stats of one language ([] if not chosen)."""
    chosen, skipped = choice
    if sample.lang in skipped:
        return [], [], language_stats(sample.lang, None, [])
    if sample.lang not in chosen:
        return [], [], []
    canaries = build_canaries(sample, types=config.types, per_language=config.per_language,
                              repetitions=config.repetitions, chunk_tokens=config.interleave_chunk_tokens,
                              seed=seed)
    docs: list[Doc] = []
    entries: list[dict] = []
    for canary in canaries or []:
        d, e = materialize(canary, seed=seed, bin_name=chosen[sample.lang], count_tokens=count_tokens,
                           prefix_tokens=config.prefix_tokens, suffix_tokens=config.suffix_tokens)
        docs += d
        entries.append(e)
    return docs, entries, language_stats(sample.lang, canaries, docs)


def manifest_jsonl(entries: Iterable[dict]) -> bytes:
    """The manifest file: one JSON object per canary, sorted by id."""
    lines = [json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in sorted(entries, key=lambda e: e["id"])]
    return "".join(lines).encode("utf-8")


def check_injection(manifest: Iterable[dict], shard_docs: Iterable[Doc | dict]) -> list[str]:
    """Problems ([] if none): every manifest canary must appear in the shards exactly
    ``repetitions`` times, under its doc_ids, with its text. ``shard_docs`` are Docs or
    shard rows (dicts with 'id' and 'text')."""
    by_text: dict[str, list[str]] = {}
    for row in shard_docs:
        doc_id, text = (row.id, row.text) if isinstance(row, Doc) else (row["id"], row["text"])
        digest = sha256_bytes(text.encode("utf-8", "surrogatepass"))
        by_text.setdefault(digest, []).append(doc_id)
    problems = []
    for entry in manifest:
        found = sorted(i for i in by_text.get(entry["sha256"], []) if i in set(entry["doc_ids"]))
        if len(found) != entry["repetitions"] or found != sorted(entry["doc_ids"]):
            problems.append(f"canary {entry['id']} ({entry['type']}, {entry['lang']}): expected "
                            f"{entry['repetitions']} copies, found {len(found)}")
    return problems
