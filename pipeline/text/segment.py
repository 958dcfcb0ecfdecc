"""Word segmentation that means something in every script.

Two kinds of unit, decided per character so that mixed-script text is handled the
same whatever the document's dominant script:

* **Spaced scripts** (Latin, Cyrillic, Greek, Arabic, Hebrew, Devanagari, Hangul, ...):
  a *token* is a run of non-space characters, as in the Gopher rules; a *word* is a
  token stripped of leading/trailing punctuation and symbols that still holds a letter
  or a digit ("don't", "e-mail", "3.14", "Hello" from "(Hello,").
* **Spaceless scripts** (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar, Tibetan,
  Yi, Bopomofo): every **grapheme cluster** of a letter of these scripts (the base
  letter with its combining vowel signs and tone marks, e.g. Thai "ที่") is one unit.
  Word counts, mean word length and n-gram rules then work on characters, which is
  what FineWeb-2 and ROOTS do for these languages; thresholds for them are set per
  script/language in the quality config (a Chinese text of N units holds roughly
  N/1.5 English-word equivalents, Japanese N/2, Thai N/3).

``script`` arguments are hints (ISO 15924, e.g. ``Doc.script``): when a spaceless
script is given, the character path is taken without first scanning the text; the
result never depends on the hint.
"""

from __future__ import annotations

import unicodedata

import regex

from pipeline.text.script import is_spaceless

# Unicode script names (``regex`` spelling) written without spaces between words.
_SPACELESS_SCRIPT_NAMES = (
    "Han", "Hiragana", "Katakana", "Thai", "Lao", "Khmer", "Myanmar", "Tibetan", "Yi", "Bopomofo",
)
_SPACELESS_CLASS = "".join(rf"\p{{Script={name}}}" for name in _SPACELESS_SCRIPT_NAMES)
# A spaceless letter (or the prolonged-sound mark / iteration marks that belong to it)
# together with the combining marks that follow it: one unit.
_SPACELESS_UNIT = rf"(?:[{_SPACELESS_CLASS}ー々〻ゝゞヽヾ](?:\p{{M}}|\u200d)*)"

_HAS_SPACELESS = regex.compile(rf"[{_SPACELESS_CLASS}]")
_TOKEN_SPACED = regex.compile(r"\S+")
_TOKEN_MIXED = regex.compile(rf"{_SPACELESS_UNIT}|(?:(?!{_SPACELESS_UNIT})\S)+")
_STRIP_EDGES = regex.compile(r"^[\p{P}\p{S}\p{Z}\p{C}]+|[\p{P}\p{S}\p{Z}\p{C}]+$")
_HAS_ALNUM = regex.compile(r"[\p{L}\p{N}]")
_HAS_LETTER = regex.compile(r"\p{L}")

__all__ = [
    "tokens",
    "clean_token",
    "words",
    "count_words",
    "has_spaceless",
    "word_ngrams",
    "has_letter",
    "is_spaceless",
]


def has_spaceless(text: str) -> bool:
    """True when ``text`` holds at least one letter of a spaceless script."""
    return _HAS_SPACELESS.search(text) is not None


def _uses_units(text: str, script: str | None) -> bool:
    if script is not None and is_spaceless(script):
        return True
    return has_spaceless(text)


def tokens(text: str, script: str | None = None) -> list[str]:
    """Gopher-style tokens: whitespace-separated runs, with spaceless-script units split out.

    Punctuation stays attached to spaced words ("end." is one token); punctuation
    between spaceless units becomes its own token ("你好。" -> ["你", "好", "。"]).
    """
    if not text:
        return []
    if _uses_units(text, script):
        return _TOKEN_MIXED.findall(text)
    return text.split()


def clean_token(token: str) -> str:
    # fast path: starts with a letter/digit and ends with one or with a combining mark
    if token[0].isalnum() and (token[-1].isalnum() or unicodedata.category(token[-1])[0] == "M"):
        return token
    if _HAS_ALNUM.search(token) is None:
        return ""
    return _STRIP_EDGES.sub("", token)


def words(text: str, script: str | None = None) -> list[str]:
    """Words: tokens without edge punctuation, keeping only those with a letter or digit.

    >>> words("Hello, world! 3.14 --")
    ['Hello', 'world', '3.14']
    >>> words("我爱Python。")
    ['我', '爱', 'Python']
    """
    out = []
    for token in tokens(text, script):
        word = clean_token(token)
        if word:
            out.append(word)
    return out


def count_words(text: str, script: str | None = None) -> int:
    """Number of :func:`words` (characters for spaceless scripts): a language-fair length."""
    return len(words(text, script))


def has_letter(word: str) -> bool:
    """True when ``word`` contains at least one letter of any script."""
    return _HAS_LETTER.search(word) is not None


def word_ngrams(items: list, n: int) -> list[tuple]:
    """All contiguous n-grams of ``items`` as tuples (empty when there are fewer than n)."""
    if n <= 0 or len(items) < n:
        return []
    return list(zip(*(items[i:] for i in range(n))))
