"""One script analysis of a text, shared by every stage: :func:`analyze` -> :class:`ScriptProfile`.

A technical page in Chinese or Japanese names commands, options and products in
Latin letters; counted in letters it looks Latin. Here content is counted in word
units (:func:`pipeline.text.script.script_weights`): a word of an alphabetic script
weighs 1, a Han/kana/Hangul character weighs 1, so
``"ArrowButton - 带有一个箭头形状的按钮组件。"`` is 13 Han units to 1 Latin word.

The profile holds

* ``weights`` — content per ISO 15924 script (raw scripts: Hani, Hira, Kana, Hang, Latn, ...),
  from which ``shares``, ``dominant`` (Jpan/Kore grouping) and ``dominant_non_latin`` follow;
* ``runs`` — the text cut into :class:`ScriptRun` pieces, one per stretch of one script
  (Han and kana together form one run, labelled 'Jpan' when it holds kana), each with
  the unit it is measured in: ``"char"`` for scripts written without spaces (Han, kana,
  Thai, ...), ``"word"`` for the others. Runs cover the text without gaps: digits,
  spaces and punctuation belong to the run they follow (leading ones to the first run);
* ``han_variant`` — 'Hans' or 'Hant' when the Han characters are clearly Simplified or
  Traditional, else None, from CC-CEDICT's character tables as shipped by
  ``hanzidentifier`` (never a hand-written list).

Language codes built from a profile live in :mod:`pipeline.text.langcodes`
(:func:`~pipeline.text.langcodes.lang_for_text`, :func:`~pipeline.text.langcodes.script_consistent`).
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from pipeline.text.script import (
    COMMON,
    KNOWN_SCRIPTS,
    SPACELESS_SCRIPTS,
    _script_table,
    dominant_script_of_counts,
    script_weights,
)

ANALYSIS_LIMIT = 20_000  # characters analysed for shares (runs always cover the whole text)

# Scripts whose runs merge into one "CJK" run: Chinese/Japanese writing mixes them freely.
_CJK_RUN_SCRIPTS = ("Hani", "Hira", "Kana", "Bopo")
_KANA = ("Hira", "Kana")

# Han variant: at least this share of the characters that exist in only one of the two
# systems must belong to that system; fewer than _VARIANT_MIN_CHARS such characters
# (or a closer split) is ambiguous.
VARIANT_MIN_SHARE = 0.8
_VARIANT_MIN_CHARS = 1


@dataclass(frozen=True)
class ScriptRun:
    """A stretch ``text[start:end]`` written in one script.

    ``script`` is an ISO 15924 code; a Han/kana run is 'Jpan' when it holds kana, else
    'Hani' (or 'Bopo'); a text without letters is one 'Zyyy' run. ``unit`` is "char" for
    scripts written without spaces between words (characters are the units of counts,
    n-grams and shingles there) and "word" for the others.
    """

    script: str
    start: int
    end: int

    @property
    def unit(self) -> str:
        return "char" if self.script in SPACELESS_SCRIPTS else "word"

    def text_of(self, text: str) -> str:
        return text[self.start:self.end]


@dataclass(frozen=True)
class ScriptProfile:
    """The script analysis of one text (see the module docstring)."""

    weights: Mapping[str, float] = field(default_factory=dict)
    runs: tuple[ScriptRun, ...] = ()
    han_variant: str | None = None  # "Hans" | "Hant" | None (no Han, or not clearly one system)

    @property
    def total(self) -> float:
        """All content, in word units."""
        return float(sum(self.weights.values()))

    @property
    def shares(self) -> dict[str, float]:
        """Share of the content per raw script (sums to 1; empty without letters)."""
        total = self.total
        return {code: weight / total for code, weight in self.weights.items()} if total else {}

    def share(self, *scripts: str) -> float:
        """Share of the content written in any of ``scripts`` (raw codes; 'Jpan'/'Kore' expand)."""
        total = self.total
        if not total:
            return 0.0
        wanted = set()
        for code in scripts:
            wanted.update(FAMILY.get(code, (code,)))
        return sum(w for code, w in self.weights.items() if code in wanted) / total

    @property
    def dominant(self) -> str:
        """The script with most content ('Jpan' for Han+kana, 'Kore' for Hangul+Han; 'Zyyy' without letters)."""
        return dominant_script_of_counts(self.weights)

    @property
    def dominant_non_latin(self) -> str:
        """The dominant script among the non-Latin content; 'Zyyy' when everything is Latin or there are no letters."""
        return dominant_script_of_counts({k: v for k, v in self.weights.items() if k != "Latn"})

    @property
    def has_kana(self) -> bool:
        return any(self.weights.get(code, 0) for code in _KANA)

    @property
    def has_letters(self) -> bool:
        return self.total > 0


# Groups as dominant_script reports them -> the raw scripts they stand for.
FAMILY: dict[str, tuple[str, ...]] = {
    "Jpan": ("Hani", "Hira", "Kana"),
    "Kore": ("Hang", "Hani"),
    "Hrkt": ("Hira", "Kana"),
    "Hans": ("Hani",),
    "Hant": ("Hani",),
}


def analyze(text: str, limit: int | None = ANALYSIS_LIMIT) -> ScriptProfile:
    """The :class:`ScriptProfile` of ``text``: weights and Han variant from the first ``limit``
    characters (None: all), runs over the whole text."""
    text = text or ""
    weights = script_weights(text, limit)
    head = text if limit is None or len(text) <= limit else text[:limit]
    variant = han_variant(head) if weights.get("Hani") else None
    return ScriptProfile(weights=weights, runs=script_runs(text), han_variant=variant)


# --------------------------------------------------------------------------- runs


@functools.lru_cache(maxsize=1)
def _run_classes() -> tuple[np.ndarray, tuple[str, ...], np.ndarray]:
    """(script value -> run class, run class -> script code, script value -> is kana)."""
    index = {code: i + 1 for i, code in enumerate(KNOWN_SCRIPTS)}
    classes = np.zeros(len(KNOWN_SCRIPTS) + 1, dtype=np.int32)
    names = [COMMON]
    cjk = None
    for code, value in index.items():
        if code in _CJK_RUN_SCRIPTS:
            if cjk is None:
                cjk = len(names)
                names.append("Hani")
            classes[value] = cjk
        else:
            classes[value] = len(names)
            names.append(code)
    kana = np.zeros(len(KNOWN_SCRIPTS) + 1, dtype=bool)
    for code in _KANA:
        kana[index[code]] = True
    return classes, tuple(names), kana


def script_runs(text: str) -> tuple[ScriptRun, ...]:
    """``text`` cut into runs of one script each, covering it without gaps (see the module docstring).

    >>> [(r.script, r.start, r.end) for r in script_runs("用 grep 搜索")]
    [('Hani', 0, 2), ('Latn', 2, 7), ('Hani', 7, 9)]
    """
    if not text:
        return ()
    if text.isascii():
        return (ScriptRun("Latn" if any(c.isalpha() for c in text) else COMMON, 0, len(text)),)
    classes, names, kana_of = _run_classes()
    values = _script_table()[np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)]
    run_class = classes[values]
    letters = np.flatnonzero(run_class)
    if letters.size == 0:
        return (ScriptRun(COMMON, 0, len(text)),)
    letter_class = run_class[letters]
    change = np.empty(letters.size, dtype=bool)
    change[0] = True
    change[1:] = letter_class[1:] != letter_class[:-1]
    starts = letters[change].tolist()
    starts[0] = 0
    kinds = letter_class[change].tolist()
    ends = starts[1:] + [len(text)]
    kana_before = np.concatenate(([0], np.cumsum(kana_of[values])))
    han_value = KNOWN_SCRIPTS.index("Hani") + 1
    han_before = np.concatenate(([0], np.cumsum(values == han_value)))
    runs = []
    for kind, start, end in zip(kinds, starts, ends):
        script = names[kind]
        if script == "Hani":
            if kana_before[end] > kana_before[start]:
                script = "Jpan"
            elif han_before[end] == han_before[start]:
                script = "Bopo"
        runs.append(ScriptRun(script, start, end))
    return tuple(runs)


# --------------------------------------------------------------------------- Han variant


@functools.lru_cache(maxsize=1)
def _variant_tables() -> tuple[frozenset[str], frozenset[str]]:
    """(Traditional-only, Simplified-only) characters from CC-CEDICT via ``hanzidentifier``."""
    from hanzidentifier import helpers

    traditional = frozenset(helpers.TRADITIONAL_CHARACTERS)
    simplified = frozenset(helpers.SIMPLIFIED_CHARACTERS)
    return traditional - simplified, simplified - traditional


def han_counts(text: str) -> tuple[int, int]:
    """(Traditional-only, Simplified-only) Han characters in ``text`` (occurrences)."""
    traditional_only, simplified_only = _variant_tables()
    trad = simp = 0
    for char, n in Counter(text).items():  # distinct characters only: a C-speed count first
        if char in traditional_only:
            trad += n
        elif char in simplified_only:
            simp += n
    return trad, simp


def han_variant(text: str) -> str | None:
    """'Hant' or 'Hans' when the text's distinctive Han characters clearly belong to one
    system (>= :data:`VARIANT_MIN_SHARE`), None otherwise (no distinctive character, or mixed).

    Characters shared by both systems (most of them: 的, 是, 在, ...) say nothing and are ignored.
    """
    trad, simp = han_counts(text)
    distinctive = trad + simp
    if distinctive < _VARIANT_MIN_CHARS:
        return None
    if trad >= VARIANT_MIN_SHARE * distinctive:
        return "Hant"
    if simp >= VARIANT_MIN_SHARE * distinctive:
        return "Hans"
    return None
