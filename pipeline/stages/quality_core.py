"""Multilingual quality filtering: Gopher quality and repetition, C4 and FineWeb rules.

Core (no Beam): :class:`QualityChecker` measures one text with the effective rules of
its (language, script) — see :meth:`pipeline.config.quality.QualityConfig.rules_for` —
and returns a :class:`QualityResult` naming the **first** failing rule of
:data:`RULE_ORDER`. Words come from :mod:`pipeline.text.segment`, per script run in the
same document: characters in Han/kana/Thai/... runs, words in the others. The script a
document is judged as is its language's own script (:func:`judged_script`: ``zh`` ->
Han, ``sr-Latn`` -> Latin), so a Chinese page that names commands in English is judged
as Chinese; the mean word length is taken over the units of that script kind only.
Stop words come from :mod:`pipeline.text.stopwords`.

Transform: :class:`QualityFilter` takes ``PCollection[Doc]`` (after language ID) and
returns ``{"kept", "dropped", "stats", "examples"}``; ``examples`` holds
``(reason, doc_id, first example_chars characters)`` for up to
``keep_dropped_examples`` dropped documents per reason, those with the smallest keyed
hash of their id (deterministic on every runner).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable, Iterable

from pipeline.config.quality import QualityConfig, QualityRules
from pipeline.hashing import keyed_hash64
from pipeline.records import UNDETERMINED, Doc, Dropped
from pipeline.stats import QualityC4, QualityDropped, QualityLang, QualitySkippedSource
from pipeline.text import segment
from pipeline.text.stopwords import matcher
from pipeline.stages.quality_text import (  # noqa: F401 - re-exported
    BULLETS,
    ELLIPSES,
    TERMINAL_PUNCTUATION,
    TextView,
    _ALL_PUNCT,
    _HAS_LETTER,
    _MANY_NEWLINES,
    _dup_stats,
    c4_applies,
    count_sentences,
    ends_with_terminal_punctuation,
    judged_script,
)

STAGE = "quality"

# The fixed order in which rules are tried; a document's drop reason is the first that fails.
GOPHER_RULES = (
    "gopher_word_count",
    "gopher_mean_word_length",
    "gopher_symbol_ratio",
    "gopher_bullet_lines",
    "gopher_ellipsis_lines",
    "gopher_alpha_words",
    "gopher_stop_words",
)
REPETITION_RULES = (
    "repetition_dup_lines",
    "repetition_dup_paragraphs",
    "repetition_dup_line_chars",
    "repetition_dup_paragraph_chars",
    "repetition_top_ngram",  # reported as repetition_top_<n>gram
    "repetition_dup_ngram",  # reported as repetition_dup_<n>gram
)
C4_RULES = ("c4_lorem_ipsum", "c4_curly_bracket", "c4_long_word", "c4_too_few_sentences")
FINEWEB_RULES = (
    "fineweb_punct_lines",
    "fineweb_short_lines",
    "fineweb_dup_line_chars",
    "fineweb_newlines_per_word",
)
RULE_ORDER = GOPHER_RULES + REPETITION_RULES + C4_RULES + FINEWEB_RULES

@dataclass
class QualityResult:
    """The verdict on one text: ``reason`` is None when kept, else ``quality:<rule>``."""

    reason: str | None
    text: str
    rule: str | None = None
    stopwords_skipped: bool = False
    lines_removed: int = 0

    @property
    def kept(self) -> bool:
        return self.reason is None


def _too_low(value: float, bound) -> bool:
    return bound is not None and value < bound


def _too_high(value: float, bound) -> bool:
    return bound is not None and value > bound


def _gopher(view: TextView, cfg, lang: str, script: str, result: QualityResult) -> str | None:
    n_words = len(view.words)
    if _too_low(n_words, cfg.min_words) or _too_high(n_words, cfg.max_words):
        return "gopher_word_count"
    if cfg.min_mean_word_length is not None or cfg.max_mean_word_length is not None:
        mean = view.mean_word_length
        if _too_low(mean, cfg.min_mean_word_length) or _too_high(mean, cfg.max_mean_word_length):
            return "gopher_mean_word_length"
    if cfg.max_symbol_word_ratio is not None:
        text = view.text
        symbols = text.count("#") + text.count("...") + text.count("…")
        if symbols and (n_words == 0 or symbols / n_words > cfg.max_symbol_word_ratio):
            return "gopher_symbol_ratio"
    lines = view.lines
    if lines and cfg.max_bullet_lines_fraction is not None:
        bullets = sum(1 for line in lines if line.startswith(BULLETS))
        if bullets / len(lines) > cfg.max_bullet_lines_fraction:
            return "gopher_bullet_lines"
    if lines and cfg.max_ellipsis_lines_fraction is not None:
        ellipsis = sum(1 for line in lines if line.endswith(ELLIPSES))
        if ellipsis / len(lines) > cfg.max_ellipsis_lines_fraction:
            return "gopher_ellipsis_lines"
    if cfg.min_alpha_words_fraction is not None:
        # pure punctuation tokens ("—", "。") are not words in any script: leave them out
        alpha = counted = 0
        for t in view.tokens:
            if t[0].isalpha() or t[-1].isalpha() or _HAS_LETTER.search(t) is not None:
                alpha += 1
                counted += 1
            elif _ALL_PUNCT.match(t) is None:
                counted += 1
        if counted and alpha / counted < cfg.min_alpha_words_fraction:
            return "gopher_alpha_words"
    if cfg.min_stop_words:
        stop = matcher(lang, script)
        if not stop.available:
            result.stopwords_skipped = True
        elif stop.count(view.text, view.words, limit=cfg.min_stop_words) < cfg.min_stop_words:
            return "gopher_stop_words"
    return None


def _top_ngram_fraction(view: TextView, n: int) -> float:
    ids = view.word_ids
    if len(ids) < n or not view.word_chars:
        return 0.0
    counts = Counter(zip(*(ids[i:] for i in range(n))))
    # the most frequent n-gram; ties broken by first occurrence (Counter keeps insertion order)
    gram, freq = counts.most_common(1)[0]
    if freq < 2:
        return 0.0
    id_lengths = view.id_lengths
    return freq * sum(id_lengths[i] for i in gram) / view.word_chars


def _dup_ngram_fraction(view: TextView, n: int) -> float:
    """Characters of word n-grams seen earlier (non-overlapping, left to right) / word characters."""
    ids = view.word_ids
    if len(ids) < n or not view.word_chars:
        return 0.0
    lengths = view.word_lengths
    seen: set[tuple] = set()
    dup_chars = 0
    i = 0
    last = len(ids) - n
    while i <= last:
        gram = tuple(ids[i:i + n])
        if gram in seen:
            dup_chars += sum(lengths[i:i + n])
            i += n
        else:
            seen.add(gram)
            i += 1
    return dup_chars / view.word_chars


def _repetition(view: TextView, cfg, result: QualityResult) -> str | None:
    total = len(view.text)
    lines = view.lines
    if lines and (cfg.max_dup_line_fraction is not None or cfg.max_dup_line_char_fraction is not None):
        dups, dup_chars = _dup_stats(lines)
        if _too_high(dups / len(lines), cfg.max_dup_line_fraction):
            return "repetition_dup_lines"
        line_char_fraction = dup_chars / total
    else:
        line_char_fraction = 0.0
    paragraphs = view.paragraphs
    if paragraphs and (
        cfg.max_dup_paragraph_fraction is not None or cfg.max_dup_paragraph_char_fraction is not None
    ):
        pdups, pdup_chars = _dup_stats(paragraphs)
        if _too_high(pdups / len(paragraphs), cfg.max_dup_paragraph_fraction):
            return "repetition_dup_paragraphs"
        paragraph_char_fraction = pdup_chars / total
    else:
        paragraph_char_fraction = 0.0
    if _too_high(line_char_fraction, cfg.max_dup_line_char_fraction):
        return "repetition_dup_line_chars"
    if _too_high(paragraph_char_fraction, cfg.max_dup_paragraph_char_fraction):
        return "repetition_dup_paragraph_chars"
    if len(view.words) < cfg.min_words_for_ngrams:
        return None
    for n in sorted(cfg.top_ngram_max_char_fraction):
        if _top_ngram_fraction(view, n) > cfg.top_ngram_max_char_fraction[n]:
            return f"repetition_top_{n}gram"
    table = cfg.dup_ngram_max_char_fraction
    if table:
        bound = _dup_ngram_bound(view, min(table))
        for n in sorted(table):
            if bound > table[n] and _dup_ngram_fraction(view, n) > table[n]:
                return f"repetition_dup_{n}gram"
    return None


def _dup_ngram_bound(view: TextView, n0: int) -> float:
    """An upper bound of :func:`_dup_ngram_fraction` for every n >= n0, computed once.

    Any word inside a repeated n-gram (n >= n0) lies in a repeated n0-gram, so the
    characters of all later occurrences of n0-grams bound every larger n; prose with
    no repeated n0-gram (the usual case) skips the per-n scans entirely.
    """
    ids = view.word_ids
    if len(ids) < n0 or not view.word_chars:
        return 0.0
    grams = list(zip(*(ids[i:] for i in range(n0))))
    # gram -> index of its first occurrence (later items of the reversed list overwrite)
    first = dict(zip(reversed(grams), range(len(grams) - 1, -1, -1)))
    if len(first) == len(grams):
        return 0.0
    covered = bytearray(len(ids))
    block = b"\x01" * n0
    for i, gram in enumerate(grams):
        if first[gram] != i:
            covered[i:i + n0] = block
    lengths = view.word_lengths
    return sum(length for length, hit in zip(lengths, covered) if hit) / view.word_chars


def _c4(view: TextView, cfg, lang: str, result: QualityResult) -> tuple[str | None, str]:
    """C4 page rules, and line removal; returns (failing rule, text after line removal).

    Rules that do not depend on the language run for every language, so a page and its
    translation get the same decision: lorem ipsum, ``{``, the longest word, lines
    mentioning javascript or a policy phrase. The rules that measure prose the English
    way — a line must end in terminal punctuation and hold ``min_words_per_line``
    words, the page must keep ``min_sentences`` sentences — run only for ``c4.languages``.
    """
    text = view.text
    if cfg.drop_lorem_ipsum and "lorem ipsum" in text.casefold():
        return "c4_lorem_ipsum", text
    prose_rules = c4_applies(cfg.languages, lang)
    if cfg.drop_curly_bracket and "{" in text:
        return "c4_curly_bracket", text
    if cfg.max_word_length is not None and any(len(t) > cfg.max_word_length for t in view.tokens):
        return "c4_long_word", text
    phrases = [p.casefold() for p in cfg.policy_phrases]
    kept_lines: list[str] = []
    removed = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped:
            kept_lines.append("")
            continue
        low = stripped.casefold()
        bad = (
            (prose_rules and cfg.require_terminal_punctuation and not ends_with_terminal_punctuation(stripped))
            or (prose_rules and cfg.min_words_per_line is not None
                and len(segment.words(stripped, view.script)) < cfg.min_words_per_line)
            or (cfg.drop_javascript_lines and "javascript" in low)
            or any(p in low for p in phrases)
        )
        if bad:
            removed += 1
        else:
            kept_lines.append(line)
    cleaned = "\n".join(kept_lines)
    if removed:
        cleaned = _MANY_NEWLINES.sub("\n\n", cleaned).strip("\n")
    result.lines_removed = removed
    if prose_rules and cfg.min_sentences is not None and count_sentences(cleaned) < cfg.min_sentences:
        return "c4_too_few_sentences", text
    return None, (cleaned if cfg.remove_lines else text)


def _fineweb(view: TextView, cfg) -> str | None:
    lines = view.lines
    if lines:
        if cfg.min_punct_line_fraction is not None:
            ended = sum(1 for line in lines if ends_with_terminal_punctuation(line))
            if ended / len(lines) < cfg.min_punct_line_fraction:
                return "fineweb_punct_lines"
        if cfg.max_short_line_fraction is not None:
            short = sum(1 for line in lines if len(line) <= cfg.short_line_length)
            if short / len(lines) > cfg.max_short_line_fraction:
                return "fineweb_short_lines"
        if cfg.max_dup_line_char_fraction is not None:
            _, dup_chars = _dup_stats(lines)
            chars = len(view.text) - view.text.count("\n")
            if chars and dup_chars / chars > cfg.max_dup_line_char_fraction:
                return "fineweb_dup_line_chars"
    if cfg.max_newlines_per_word is not None:
        n_words = len(view.words)
        newlines = view.text.count("\n")
        if newlines and (n_words == 0 or newlines / n_words > cfg.max_newlines_per_word):
            return "fineweb_newlines_per_word"
    return None


class QualityChecker:
    """The pure core: ``check(text, lang, script)`` and ``decide(doc)``; holds no Beam object."""

    def __init__(self, config: QualityConfig, count_tokens: Callable[[str, str | None], int] | None = None):
        """``count_tokens(text, script)``: recounts ``Doc.tokens`` when C4 removes lines."""
        self.config = config
        self._count_tokens = count_tokens
        self._skip_sources = frozenset(config.skip_sources)
        self._rules: dict[tuple[str, str], QualityRules] = {}

    def rules(self, lang: str, script: str) -> QualityRules:
        """The effective rules of (lang, script), merged once and cached."""
        key = (lang, script)
        found = self._rules.get(key)
        if found is None:
            found = self._rules[key] = self.config.rules_for(lang, script)
        return found

    def check(self, text: str, lang: str = UNDETERMINED, script: str | None = None) -> QualityResult:
        """Apply the rules in :data:`RULE_ORDER`; stop at the first that fails."""
        text = text or ""
        lang = lang or UNDETERMINED
        script = judged_script(lang, script, text)
        rules = self.rules(lang, script)
        result = QualityResult(reason=None, text=text)
        view = TextView(text, script)
        rule = None
        if rules.gopher.enabled:
            rule = _gopher(view, rules.gopher, lang, script, result)
        if rule is None and rules.repetition.enabled:
            rule = _repetition(view, rules.repetition, result)
        if rule is None and rules.c4.enabled:
            rule, cleaned = _c4(view, rules.c4, lang, result)
            if rule is None and cleaned != text:
                result.text = cleaned
                view = TextView(cleaned, script)
        if rule is None and rules.fineweb.enabled:
            rule = _fineweb(view, rules.fineweb)
        if rule is not None:
            result.rule = rule
            result.reason = f"{STAGE}:{rule}"
            result.text = text
        return result

    def decide(self, doc: Doc) -> tuple[Doc | Dropped, list[tuple[str, int]]]:
        """Kept (possibly C4-cleaned) Doc or Dropped, with the stats of this document."""
        lang = doc.lang or UNDETERMINED
        stats: list[tuple[str, int]] = [(QualityLang("docs", lang).key, 1)]
        if doc.source in self._skip_sources:
            stats.append((QualitySkippedSource(doc.source).key, 1))
            stats.append((QualityLang("kept", lang).key, 1))
            return doc, stats
        result = self.check(doc.text, lang, doc.script or None)
        if result.stopwords_skipped:
            stats.append((QualityLang("stopwords_skipped", lang).key, 1))
        if result.reason is not None:
            stats.append((QualityDropped(result.rule, lang).key, 1))
            return Dropped(doc=doc, reason=result.reason), stats
        stats.append((QualityLang("kept", lang).key, 1))
        if result.lines_removed and result.text != doc.text:
            stats.append((QualityC4("lines_removed", lang).key, result.lines_removed))
            stats.append((QualityC4("docs_modified", lang).key, 1))
            changes = {"text": result.text}
            if self._count_tokens is not None and doc.tokens:
                changes["tokens"] = self._count_tokens(result.text, doc.script or None)
            return doc.with_(**changes), stats
        return doc, stats


def example_key(seed: int, doc_id: str) -> int:
    """The keyed hash that chooses which dropped documents are kept as examples."""
    return keyed_hash64(seed, "quality/examples", doc_id)


def select_examples(dropped: Iterable[Dropped], limit: int, seed: int, chars: int = 500) -> list[tuple[str, str, str]]:
    """Pure version of the ``examples`` output: up to ``limit`` per reason, smallest keyed hash."""
    by_reason: dict[str, list] = {}
    for d in dropped:
        by_reason.setdefault(d.reason, []).append((example_key(seed, d.doc.id), d.doc.id, d.doc.text[:chars]))
    out = []
    for reason in sorted(by_reason):
        for _, doc_id, snippet in sorted(by_reason[reason])[:limit]:
            out.append((reason, doc_id, snippet))
    return out
