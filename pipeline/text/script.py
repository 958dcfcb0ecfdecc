"""Writing-system (script) detection with Unicode script properties.

Scripts are ISO 15924 codes ("Latn", "Cyrl", "Arab", "Hani", ...). Only letters and
spacing/non-spacing marks that belong to a script are counted: digits, punctuation,
symbols, emoji (Common, "Zyyy") and combining marks shared by scripts (Inherited,
"Zinh") are not. Japanese kana and Han mixed text is reported as "Jpan", Hangul with
or without Han as "Kore"; text without letters as "Zyyy".

Which script dominates a text is decided by *content*, not letters
(:func:`script_weights`): a word of an alphabetic script weighs 1 and so does a Han,
kana or Hangul character, so a Chinese page that names commands and options in
English is Han, not Latin. :mod:`pipeline.text.profile` builds the full analysis
(shares, script runs, Simplified/Traditional Han) on these tables.

Speed: every codepoint's script is looked up in a per-process table (built once on
first use from the ``regex`` module's Unicode data); a text is counted with one
vectorised lookup and ``numpy.bincount`` (about 4 ns per character).
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

import re

import numpy as np
import regex

# Unicode script property names (as the ``regex`` module spells them) -> ISO 15924,
# for the scripts of today's languages. Used when ``regex`` cannot list its scripts.
_COMMON_SCRIPT_CODES = {
    "Latin": "Latn", "Cyrillic": "Cyrl", "Greek": "Grek", "Arabic": "Arab", "Hebrew": "Hebr",
    "Han": "Hani", "Hiragana": "Hira", "Katakana": "Kana", "Hangul": "Hang", "Thai": "Thai",
    "Lao": "Laoo", "Khmer": "Khmr", "Myanmar": "Mymr", "Devanagari": "Deva", "Bengali": "Beng",
    "Gurmukhi": "Guru", "Gujarati": "Gujr", "Oriya": "Orya", "Tamil": "Taml", "Telugu": "Telu",
    "Kannada": "Knda", "Malayalam": "Mlym", "Sinhala": "Sinh", "Tibetan": "Tibt",
    "Georgian": "Geor", "Armenian": "Armn", "Ethiopic": "Ethi", "Thaana": "Thaa",
    "Syriac": "Syrc", "Mongolian": "Mong", "Tifinagh": "Tfng", "Cherokee": "Cher",
    "Canadian_Aboriginal": "Cans", "Javanese": "Java", "Balinese": "Bali", "Sundanese": "Sund",
    "Yi": "Yiii", "Nko": "Nkoo", "Ol_Chiki": "Olck", "Bopomofo": "Bopo",
}

# Not scripts: Common, Inherited, Unknown and their private-use aliases.
_NOT_SCRIPTS = frozenset({"Zyyy", "Zinh", "Zzzz", "Qaai", "Qaac"})

COMMON = "Zyyy"

# Scripts written without spaces between words: word-level units are characters there.
SPACELESS_SCRIPTS = frozenset({"Hani", "Hira", "Kana", "Jpan", "Thai", "Laoo", "Khmr", "Mymr", "Tibt", "Bopo", "Yiii"})


def _all_script_codes() -> list[str]:
    """Every ISO 15924 code the installed ``regex`` knows as a Script value, sorted.

    ``regex`` keeps its Unicode property tables in ``_regex_core.PROPERTIES``; each
    script appears under its long name and its 4-letter ISO 15924 alias. If that
    private table ever moves, fall back to the scripts of today's languages.
    """
    try:
        from regex import _regex_core

        _, values = _regex_core.PROPERTIES["SCRIPT"]
        codes = set()
        for name in values:
            if len(name) == 4 and name.isalpha():
                code = name.title()
                if code not in _NOT_SCRIPTS:
                    codes.add(code)
        for code in _COMMON_SCRIPT_CODES.values():
            if code not in codes:
                raise KeyError(code)
        return sorted(codes)
    except Exception:  # pragma: no cover - depends on regex internals
        return sorted(_COMMON_SCRIPT_CODES.values())


def _build_char_classifier():
    codes = _all_script_codes()
    # Common scripts first so the usual case matches the first alternatives.
    first = [c for c in _COMMON_SCRIPT_CODES.values() if c in codes]
    ordered = first + [c for c in codes if c not in set(first)]
    usable = []
    for code in ordered:
        try:
            regex.compile(rf"\p{{Script={code}}}")
        except regex.error:  # pragma: no cover - an alias this regex version lacks
            continue
        usable.append(code)
    pattern = "|".join(rf"(?P<{code}>\p{{Script={code}}})" for code in usable)
    return regex.compile(pattern), tuple(usable)


_CHAR_SCRIPT, KNOWN_SCRIPTS = _build_char_classifier()
_LETTERS = regex.compile(r"[\p{L}\p{M}]+")
_MAX_CODEPOINT = 0x110000
_ASCII_LETTERS = bytes(range(ord("A"), ord("Z") + 1)) + bytes(range(ord("a"), ord("z") + 1))
_table: np.ndarray | None = None  # codepoint -> 1 + index in KNOWN_SCRIPTS, 0 = no script


def _script_table() -> np.ndarray:
    """The per-process codepoint -> script lookup table (1.1 MB), built on first use.

    Built by classifying every letter/mark of Unicode once (~0.4 s); afterwards a
    text's scripts are counted with a vectorised lookup at a few ns per character.
    """
    global _table
    if _table is None:
        index = {code: i + 1 for i, code in enumerate(KNOWN_SCRIPTS)}
        table = np.zeros(_MAX_CODEPOINT, dtype=np.uint8)
        every_char = "".join(map(chr, range(_MAX_CODEPOINT)))
        for run in _LETTERS.finditer(every_char):
            start = run.start()
            for offset, ch in enumerate(run.group()):
                match = _CHAR_SCRIPT.match(ch)
                if match is not None:
                    table[start + offset] = index[match.lastgroup]
        _table = table
    return _table


def script_of_char(ch: str) -> str:
    """ISO 15924 code of one letter or mark; 'Zyyy' when it belongs to no specific script."""
    value = int(_script_table()[ord(ch)])
    return KNOWN_SCRIPTS[value - 1] if value else COMMON


def script_counts(text: str, limit: int = 20_000) -> Counter:
    """Letters per script in the first ``limit`` characters (marks count with letters).

    Characters of no specific script (Common, Inherited) are not counted.
    """
    if not text:
        return Counter()
    if len(text) > limit:
        text = text[:limit]
    if text.isascii():  # the common case, without numpy's per-call overhead
        letters = len(text) - len(text.encode("ascii").translate(None, _ASCII_LETTERS))
        return Counter({"Latn": letters}) if letters else Counter()
    codepoints = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    per_script = np.bincount(_script_table()[codepoints], minlength=len(KNOWN_SCRIPTS) + 1)
    counts: Counter = Counter()
    for value in np.flatnonzero(per_script[1:]):
        counts[KNOWN_SCRIPTS[value]] = int(per_script[value + 1])
    return counts


# Content weights (see :func:`script_weights`): a character of these scripts is a
# morpheme or a syllable block and weighs like a whole word of an alphabetic script.
CHARACTER_WEIGHTED_SCRIPTS = frozenset({"Hani", "Hira", "Kana", "Hang", "Bopo", "Yiii"})
# Alphabets/abugidas written without spaces between words: letters (with their
# vowel signs and tone marks) per word, an assumed average, so that a Thai sentence
# weighs about as many words as it holds.
LETTERS_PER_WORD = {"Thai": 4.0, "Laoo": 4.0, "Khmr": 4.0, "Mymr": 4.0}
# Han + kana is Japanese ("Jpan") once kana are at least this share of the Han+kana
# weight, Hangul + Han Korean ("Kore") likewise: a Chinese page quoting one Japanese
# or Korean name stays Han.
KANA_MIN_SHARE = 0.05
HANGUL_MIN_SHARE = 0.05

_ASCII_WORD = re.compile(r"[A-Za-z]+")


def script_weights(text: str, limit: int | None = 20_000) -> dict[str, float]:
    """Content per script in the first ``limit`` characters, in word units.

    A *word* of an alphabetic script (Latin, Cyrillic, Greek, Arabic, Devanagari, ...)
    is a maximal run of its letters and marks, and weighs 1 whatever its length; a Han,
    kana, Hangul, Bopomofo or Yi character weighs 1 by itself (it is a morpheme or a
    syllable, like a word); Thai, Lao, Khmer and Myanmar letters weigh
    1/:data:`LETTERS_PER_WORD`. So ``"ArrowButton - 带有一个箭头形状的按钮组件。"`` is 1
    Latin word against 13 Han units, where counting letters would give 11 to 13.
    Characters of no specific script (digits, punctuation, emoji) weigh nothing.
    """
    if not text:
        return {}
    if limit is not None and len(text) > limit:
        text = text[:limit]
    if text.isascii():
        words = len(_ASCII_WORD.findall(text))
        return {"Latn": float(words)} if words else {}
    codes = _script_table()[np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)]
    letters = np.bincount(codes, minlength=len(KNOWN_SCRIPTS) + 1)
    starts = codes != 0
    starts[1:] &= codes[1:] != codes[:-1]
    words = np.bincount(codes[starts], minlength=len(KNOWN_SCRIPTS) + 1)
    weights: dict[str, float] = {}
    for value in np.flatnonzero(letters[1:]) + 1:
        code = KNOWN_SCRIPTS[value - 1]
        if code in CHARACTER_WEIGHTED_SCRIPTS:
            weights[code] = float(letters[value])
        elif code in LETTERS_PER_WORD:
            weights[code] = float(letters[value]) / LETTERS_PER_WORD[code]
        else:
            weights[code] = float(words[value])
    return weights


def dominant_script_of_counts(counts) -> str:
    """The dominant script of per-script amounts (:func:`script_weights` or :func:`script_counts`).

    Han with kana (>= :data:`KANA_MIN_SHARE` of Han+kana) is 'Jpan', Hangul with or
    without Han (>= :data:`HANGUL_MIN_SHARE`) 'Kore', when that family outweighs every
    other script; ties are broken by code; no content: 'Zyyy'.
    """
    if not counts:
        return COMMON
    han = counts.get("Hani", 0)
    kana = counts.get("Hira", 0) + counts.get("Kana", 0)
    hangul = counts.get("Hang", 0)
    grouped = dict(counts)
    if kana and kana >= KANA_MIN_SHARE * (kana + han) and kana >= hangul:
        for code in ("Hani", "Hira", "Kana"):
            grouped.pop(code, None)
        grouped["Jpan"] = kana + han
    elif hangul and hangul >= HANGUL_MIN_SHARE * (hangul + han):
        grouped.pop("Hani", None)
        grouped.pop("Hang", None)
        grouped["Kore"] = hangul + han
    top = max(grouped.values())
    if top <= 0:
        return COMMON
    # ties broken by code so the answer never depends on dict order
    return min(code for code, n in grouped.items() if n == top)


def dominant_script(text: str, limit: int = 20_000) -> str:
    """The script with the most content (:func:`script_weights`): a CJK character weighs like a word.

    'Jpan' for Han+kana, 'Kore' for Hangul(+Han); 'Zyyy' without letters.
    """
    return dominant_script_of_counts(script_weights(text, limit))


def dominant_scripts(texts: Sequence[str], limit: int = 20_000) -> list[str]:
    """:func:`dominant_script` of many texts."""
    return [dominant_script(text, limit) for text in texts]


def is_spaceless(script: str) -> bool:
    """True for scripts that do not separate words with spaces (use character units)."""
    return script in SPACELESS_SCRIPTS
