"""Correspondence checks of the parallel stage: do two sides say the same thing? (no model, no Beam)

Each check compares what a translation carries over unchanged and returns whether
the two sides agree; the stage drops a pair that fails one as ``parallel:<reason>``:

* ``placeholders`` — format specifiers and markup (``%(name)s``, ``%s``, ``%1$d``,
  ``{0}``, ``{name}``, ``{{var}}``, ``${var}``, ``<b>``, ``</b>``) as multisets;
  a positional ``%1$s`` counts as ``%s``.
* ``numbers`` — the numbers outside placeholders as multisets, except that one side
  may have extra small numbers (≤ 12) that the other spells out ("Aug" -> "8월"); digits
  of any script count (``٣`` = ``३`` = ``3``) and digit groups are joined whatever
  the separator (``1,000`` = ``1.000`` = ``1 000`` = ``1000``).
* ``urls`` — URLs and e-mail addresses as multisets (case-insensitive).
* ``latin_tokens`` — when the other side is not written in Latin, each Latin word of
  two or more letters on it (product names, acronyms) appears on the pivot side.
* ``punctuation`` — the pivot side's question mark / exclamation mark / colon at
  the end appears on the other side in that language's form (``？``, ``؟``, ``;``
  in Greek, ``！``, ``：``), and none of them appears at the other's end when the
  pivot side ends otherwise.

The checks are applied in the order of :data:`CHECKS`; the first failing one is the
reason.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

import regex

from pipeline.mixture.tokens import count_units
from pipeline.text.script import SPACELESS_SCRIPTS, dominant_script, script_counts

CHECKS = ("placeholders", "numbers", "urls", "latin_tokens", "punctuation")

# ------------------------------------------------------------------ placeholders

# HTML and Pango markup elements ("<file>" in usage text is a word, translated)
_TAG_NAMES = ("a", "abbr", "b", "big", "blockquote", "br", "code", "div", "em", "font", "h[1-6]", "hr", "i", "img",
              "kbd", "li", "ol", "p", "pre", "s", "small", "span", "strong", "sub", "sup", "table", "td", "th", "tr",
              "tt", "u", "ul", "var", "markup")
# printf (Python, C, positional), .NET/Python braces, Jinja/Handlebars, shell, XML/HTML tags, entities
_PLACEHOLDER = re.compile(
    r"%\([^)\s]{1,64}\)[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]"  # %(name)s  %(count)5.2f
    r"|%(?:\d+\$)?[-#0+']*(?:\d+|\*)?(?:\.(?:\d+|\*))?(?:hh|h|ll|l|L|q|j|z|t|I64|I32)?[diouxXeEfFgGaAcspn@]"  # %s %1$d
    r"|\{\{\s*[^{}]{1,64}?\s*\}\}"  # {{ var }}
    r"|\$\{[^{}\s]{1,64}\}"  # ${var}
    r"|\{[A-Za-z0-9_.\[\]]{0,64}(?::[^{}]{0,32})?\}"  # {0} {name} {0:d} {}
    rf"|</?(?i:{'|'.join(_TAG_NAMES)})(?:\s[^<>]{{0,200}})?\s*/?>"  # <b> </b> <a href="..."> <br/>
)
# strftime conversions that are not printf ones (%H, %M, %Y, %-d, %Ey): left out of the
# text, but not compared (a translation may reorder or change a date format).
_STRFTIME = re.compile(r"%[-_0^#]?[EO]?[ABCDFGHIMPRSTUVWYZbhjklmrtuvwyz+]")
_PRINTF_FLAGS = re.compile(r"^%(?:\d+\$)?[-#0+']*(?:\d+|\*)?(?:\.(?:\d+|\*))?")
_TAG = re.compile(r"^<(/?)([A-Za-z][A-Za-z0-9]*)")
_SPACES_IN = re.compile(r"\s+")


def _placeholder_key(token: str) -> str:
    """What must match between sides: ``%1$s``, ``%.255s`` -> ``%s`` (position, width and
    precision may differ); a tag -> its name (attributes, e.g. a localised link, may
    differ); other placeholders as written, spaces removed."""
    if token.startswith("%") and not token.startswith("%("):
        return _PRINTF_FLAGS.sub("%", token)
    if token.startswith("<"):
        match = _TAG.match(token)
        return f"<{match.group(1)}{match.group(2).lower()}>"
    return _SPACES_IN.sub("", token)


def placeholders(text: str) -> Counter:
    """Multiset of the format specifiers and markup in ``text`` (``%%`` is a literal %)."""
    text = text.replace("%%", "")
    return Counter(_placeholder_key(m.group()) for m in _PLACEHOLDER.finditer(text))


_URL = re.compile(r"\b(?:https?|ftp)://[^\s<>\"'`)\]}]+|\bwww\.[^\s<>\"'`)\]}]+"
                  r"|\b[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", re.ASCII)
# A run of decimal digits of any script, with following groups of exactly three digits
# joined across one grouping character (',', '.', apostrophe, Arabic separators, spaces).
_NUMBER = regex.compile(r"\d+(?:[,.'\u066b\u066c\u060c\u00a0\u202f\u2009 ]\d{3}(?!\d))*")
_GROUPING = regex.compile(r"[^\d]")


def strip_placeholders(text: str) -> str:
    """``text`` without placeholders, markup and strftime conversions (each a space)."""
    return _STRFTIME.sub(" ", _PLACEHOLDER.sub(" ", text.replace("%%", " ")))


def strip_urls_and_placeholders(text: str) -> str:
    """``text`` without placeholders, markup, URLs and e-mail addresses (each a space)."""
    return _URL.sub(" ", strip_placeholders(text))


# ----------------------------------------------------------------------- numbers



def _digits(text: str) -> str:
    return "".join(str(unicodedata.digit(ch)) for ch in text)


def numbers(text: str) -> Counter:
    """Multiset of the numbers in ``text`` outside placeholders, URLs and e-mail
    addresses, as ASCII digit strings without grouping separators or leading zeros."""
    text = strip_urls_and_placeholders(text)
    out: Counter = Counter()
    for match in _NUMBER.finditer(text):
        value = _digits(_GROUPING.sub("", match.group())).lstrip("0") or "0"
        out[value] += 1
    return out


def numbers_agree(pivot_text: str, other_text: str, spelled_max: int = 12) -> bool:
    """The numbers of the two sides agree: equal multisets, or one side has extra small
    numbers (at most ``spelled_max``: numbers one language spells out or leaves implicit,
    "Aug" -> "8월", "exactly one" -> "1 つ", "1 bit" -> "un bit") and the other none of its own."""
    pivot, other = numbers(pivot_text), numbers(other_text)
    only_pivot, only_other = pivot - other, other - pivot
    if only_pivot and only_other:
        return False
    return all(len(value) <= 2 and int(value) <= spelled_max for value in only_pivot + only_other)


# -------------------------------------------------------------------- urls, Latin

_TRAILING = ".,;:!?"


def urls(text: str) -> Counter:
    """Multiset of URLs and e-mail addresses (lower-cased, trailing punctuation removed)."""
    return Counter(m.group().rstrip(_TRAILING).lower() for m in _URL.finditer(text))


_LATIN_WORD = regex.compile(r"(?<![\p{L}\p{M}])[\p{Script=Latin}][\p{Script=Latin}\p{M}]+(?![\p{L}\p{M}])")


def latin_words(text: str) -> list[str]:
    """Latin-script words of two or more letters outside placeholders, URLs and addresses."""
    return _LATIN_WORD.findall(strip_urls_and_placeholders(text))


def missing_latin_words(other: str, pivot: str) -> list[str]:
    """Latin words of ``other`` that do not occur in ``pivot`` (case-insensitive, as a
    word or inside a longer word: "GNOME" in "GNOME's", "PDF" in "PDFs")."""
    pivot_folded = pivot.casefold()
    return [w for w in latin_words(other) if w.casefold() not in pivot_folded]


# -------------------------------------------------------------------- punctuation

# Final-mark classes; a mark of a class in any script's form.
_PUNCT_CLASS = {
    "question": "?？؟;;՞፧⁇⁈⁉¿",
    "exclamation": "!！¡՜",
    "colon": ":：៖",
}
_CLASS_OF = {ch: name for name, chars in _PUNCT_CLASS.items() for ch in chars}
# Greek uses ';' (U+037E or the ASCII semicolon) as its question mark; elsewhere ';' is not one.
_GREEK_QUESTION = {";", "\u037e"}
_CLOSERS = "\"'»«”“’‘」』）)]】〕》〉›‹ \t\u00a0\u3000"


def final_mark(text: str, lang: str = "") -> str:
    """'question', 'exclamation', 'colon' or '' — the class of the text's last mark,
    past closing quotes and brackets (and ellipses: "Save as…?" is a question); a
    Japanese sentence ending in the particle か is a question."""
    end = text.rstrip(_CLOSERS)
    while end.endswith(("…", "...")):
        end = end[:-1] if end.endswith("…") else end[:-3]
        end = end.rstrip(_CLOSERS)
    if not end:
        return ""
    last = end[-1]
    if lang.split("-", 1)[0] == "ja" and end.rstrip("。.").endswith("か"):  # Japanese asks with か。
        return "question"
    if last in _GREEK_QUESTION:
        return "question" if lang.split("-", 1)[0] == "el" else ""
    return _CLASS_OF.get(last, "")


# ------------------------------------------------------------------------ checks


def _scripts_latin(text: str) -> bool:
    return dominant_script(strip_placeholders(text)) in ("Latn", "Zyyy")


def failing_check(pivot_text: str, other_text: str, other_lang: str, enabled) -> str | None:
    """The first check in :data:`CHECKS` (among ``enabled``) that the two sides fail, or None."""
    for name in CHECKS:
        if name not in enabled:
            continue
        if name == "placeholders":
            ok = placeholders(pivot_text) == placeholders(other_text)
        elif name == "numbers":
            ok = numbers_agree(pivot_text, other_text)
        elif name == "urls":
            ok = urls(pivot_text) == urls(other_text)
        elif name == "latin_tokens":
            ok = _scripts_latin(other_text) or not missing_latin_words(other_text, pivot_text)
        else:  # punctuation
            ok = final_mark(pivot_text, "en") == final_mark(other_text, other_lang)
        if not ok:
            return name
    return None


# ------------------------------------------------------------------ length units


def length_units(text: str, char_weights: dict[str, float], default_char_weight: float) -> float:
    """Length of ``text`` in word-like units: one per word of a script written with spaces,
    ``char_weights[script]`` (else ``default_char_weight``) per letter of a script written
    without spaces (Han, kana, Thai, Lao, Khmer, Myanmar, ...), so that a translation and
    its English source have about the same length; placeholders and markup are left out."""

    text = strip_placeholders(text)
    units = count_units(text)
    if not units.chars:
        return float(units.words)
    total = float(units.words)
    for script, n in script_counts(text).items():
        if script in SPACELESS_SCRIPTS:
            total += n * char_weights.get(script, default_char_weight)
    return total


_WHITE = re.compile(r"\s+")


def _copy_key(text: str) -> str:
    return _WHITE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def untranslated(pivot_text: str, other_text: str) -> bool:
    """The other side is the pivot side copied (NFKC and white space aside; case counts:
    "Urdu" -> "urdu" is a French translation) and has letters."""
    other = _copy_key(other_text)
    return any(ch.isalpha() for ch in other) and other == _copy_key(pivot_text)
