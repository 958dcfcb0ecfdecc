"""Writing-system (script) detection with Unicode script properties.

Scripts are ISO 15924 codes ("Latn", "Cyrl", "Arab", "Hani", ...). Japanese kana and
Han mixed text is reported as "Jpan", Hangul with or without Han as "Kore".
"""

from __future__ import annotations

from collections import Counter

import regex

# Unicode script property names (as the ``regex`` module spells them) -> ISO 15924.
_SCRIPT_CODES = {
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

_LETTER = regex.compile(r"\p{L}|\p{M}")
_SCRIPT_PATTERNS = [(code, regex.compile(rf"\p{{Script={name}}}")) for name, code in _SCRIPT_CODES.items()]

# Scripts written without spaces between words: word-level units are characters there.
SPACELESS_SCRIPTS = frozenset({"Hani", "Hira", "Kana", "Jpan", "Thai", "Laoo", "Khmr", "Mymr", "Tibt", "Bopo", "Yiii"})


def script_of_char(ch: str) -> str:
    """ISO 15924 code of one character, 'Zyyy' (common) when it is not a letter of a known script."""
    for code, pattern in _SCRIPT_PATTERNS:
        if pattern.match(ch):
            return code
    return "Zyyy"


def script_counts(text: str, limit: int = 20_000) -> Counter:
    """Letters per script in the first ``limit`` characters (marks count with letters)."""
    counts: Counter = Counter()
    for match in _LETTER.finditer(text, 0, min(len(text), limit)):
        counts[script_of_char(match.group())] += 1
    counts.pop("Zyyy", None)
    return counts


def dominant_script(text: str, limit: int = 20_000) -> str:
    """The script of most letters; 'Jpan' for Han+kana, 'Kore' for Hangul(+Han); 'Zyyy' if no letters."""
    counts = script_counts(text, limit)
    if not counts:
        return "Zyyy"
    kana = counts.get("Hira", 0) + counts.get("Kana", 0)
    if kana and kana + counts.get("Hani", 0) >= max(counts.values()):
        return "Jpan"
    if counts.get("Hang", 0) and counts.get("Hang", 0) + counts.get("Hani", 0) >= max(counts.values()):
        return "Kore"
    # ties broken by code so the answer never depends on dict order
    return max(sorted(counts), key=lambda code: counts[code])


def is_spaceless(script: str) -> bool:
    """True for scripts that do not separate words with spaces (use character units)."""
    return script in SPACELESS_SCRIPTS
