"""Writing-system (script) detection with Unicode script properties.

Scripts are ISO 15924 codes ("Latn", "Cyrl", "Arab", "Hani", ...). Only letters and
spacing/non-spacing marks that belong to a script are counted: digits, punctuation,
symbols, emoji (Common, "Zyyy") and combining marks shared by scripts (Inherited,
"Zinh") are not. Japanese kana and Han mixed text is reported as "Jpan", Hangul with
or without Han as "Kore"; text without letters as "Zyyy".

Speed: every codepoint's script is looked up in a per-process table (built once on
first use from the ``regex`` module's Unicode data); a text is counted with one
vectorised lookup and ``numpy.bincount`` (about 4 ns per character).
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

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
_ALPHABETICAL = np.array(sorted(range(len(KNOWN_SCRIPTS)), key=lambda i: KNOWN_SCRIPTS[i]), dtype=np.intp)
_ALPHABETICAL_CODES = np.array([KNOWN_SCRIPTS[i] for i in _ALPHABETICAL], dtype=object)
_COLUMN = {code: column for column, code in enumerate(_ALPHABETICAL_CODES.tolist())}
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


def dominant_script_of_counts(counts: Counter) -> str:
    """:func:`dominant_script` from already computed :func:`script_counts`."""
    if not counts:
        return COMMON
    top = max(counts.values())
    kana = counts.get("Hira", 0) + counts.get("Kana", 0)
    if kana and kana + counts.get("Hani", 0) >= top:
        return "Jpan"
    hangul = counts.get("Hang", 0)
    if hangul and hangul + counts.get("Hani", 0) >= top:
        return "Kore"
    # ties broken by code so the answer never depends on dict order
    return min(code for code, n in counts.items() if n == top)


def dominant_script(text: str, limit: int = 20_000) -> str:
    """The script of most letters; 'Jpan' for Han+kana, 'Kore' for Hangul(+Han); 'Zyyy' if no letters."""
    return dominant_script_of_counts(script_counts(text, limit))


def dominant_scripts(texts: Sequence[str], limit: int = 20_000) -> list[str]:
    """:func:`dominant_script` of many texts at once (one vectorised pass: cheaper per text)."""
    if not texts:
        return []
    heads = [text[:limit] for text in texts]
    joined = "".join(heads)
    if joined.isascii():
        return ["Latn" if _has_ascii_letter(head) else COMMON for head in heads]
    n_values = len(KNOWN_SCRIPTS) + 1
    codepoints = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    lengths = np.fromiter((len(head) for head in heads), dtype=np.intp, count=len(heads))
    owner = np.repeat(np.arange(len(heads), dtype=np.intp) * n_values, lengths)
    per_doc = np.bincount(owner + _script_table()[codepoints], minlength=len(heads) * n_values)
    # columns in alphabetical order of code, so argmax breaks ties like dominant_script
    counts = per_doc.reshape(len(heads), n_values)[:, _ALPHABETICAL + 1]
    top = counts.max(axis=1)
    result = _ALPHABETICAL_CODES[counts.argmax(axis=1)]
    kana = counts[:, _COLUMN["Hira"]] + counts[:, _COLUMN["Kana"]]
    han = counts[:, _COLUMN["Hani"]]
    hangul = counts[:, _COLUMN["Hang"]]
    japanese = (kana > 0) & (kana + han >= top)
    korean = ~japanese & (hangul > 0) & (hangul + han >= top)
    result[japanese] = "Jpan"
    result[korean] = "Kore"
    result[top == 0] = COMMON
    return result.tolist()


def _has_ascii_letter(text: str) -> bool:
    return len(text.encode("ascii").translate(None, _ASCII_LETTERS)) < len(text)


def is_spaceless(script: str) -> bool:
    """True for scripts that do not separate words with spaces (use character units)."""
    return script in SPACELESS_SCRIPTS
