"""The text measurements of the quality core: terminal punctuation, sentences, the script a
text is judged by, and ``TextView`` (lines, words, paragraphs of one document, computed
once and shared by every rule). Pure Python, no Beam."""

from __future__ import annotations

import unicodedata
from functools import cached_property

import regex

from pipeline.records import UNDETERMINED
from pipeline.text import segment
from pipeline.text.langcodes import own_script
from pipeline.text.script import dominant_script, script_counts


# Sentence-final punctuation of many scripts: Latin/Cyrillic/Greek, CJK full-width,
# Arabic/Urdu, Devanagari danda, Armenian, Ethiopic, Myanmar, Tibetan, Khmer, ...
TERMINAL_PUNCTUATION = frozenset(
    ".!?…。！？｡‼⁇⁈⁉؟۔।॥։።፧፨။၊།༎។៕᙮᠃᠉꓿꘎꛳꛷﹒﹖﹗．"
)
# closing quotes and brackets allowed after the final punctuation: 'He said "yes."'
_CLOSERS = "\"'”’»›」』】〕〉》）)]}"
BULLETS = ("•", "‣", "⁃", "◦", "▪", "▫", "●", "○", "■", "□", "►", "▶", "➢", "➤", "→", "-", "*", "–", "—", "·", "・")
ELLIPSES = ("...", "…")
_HAS_LETTER = regex.compile(r"\p{L}")
_ALL_PUNCT = regex.compile(r"^\p{P}+$")
_SENTENCE_END = regex.compile(
    r"[" + regex.escape("".join(sorted(TERMINAL_PUNCTUATION))) + r"]+[" + regex.escape(_CLOSERS) + r"]*(?=\s|$)"
)
_CJK_SENTENCE_END = regex.compile(r"[。！？｡]")
_PARAGRAPH_BREAK = regex.compile(r"\n[ \t]*\n")
_MANY_NEWLINES = regex.compile(r"\n{3,}")


def ends_with_terminal_punctuation(line: str) -> bool:
    """True when ``line`` ends in sentence-final punctuation (closing quotes allowed after it)."""
    stripped = line.rstrip().rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in TERMINAL_PUNCTUATION


def count_sentences(text: str) -> int:
    """Sentence ends (terminal punctuation before a space, end of text or another sentence)."""
    spaced = sum(1 for _ in _SENTENCE_END.finditer(text))
    # CJK sentences end in full-width punctuation directly followed by the next sentence
    glued = sum(1 for m in _CJK_SENTENCE_END.finditer(text) if m.end() < len(text) and not text[m.end()].isspace()
                and text[m.end()] not in TERMINAL_PUNCTUATION and text[m.end()] not in _CLOSERS)
    return spaced + glued


# letters that count as written in a composite own script
_OWN_SCRIPT_PARTS = {"Jpan": ("Hani", "Hira", "Kana"), "Kore": ("Hang", "Hani")}


def judged_script(lang: str, script: str | None, text: str = "") -> str:
    """The script a document is judged as: its language's own script (:func:`own_script`),
    else (``und``, unknown codes) ``script`` or the text's dominant script.

    A text with no letter at all in its language's own script (Serbian in Latin labelled
    plain ``sr``, e.g. with ``langid.script_subtag: false``) is judged as what it is
    written in: a Chinese page naming commands in English still has its Han characters.
    """
    own = own_script(lang) if lang and lang != UNDETERMINED else None
    if own is not None and text:
        counts = script_counts(text)
        if counts and not any(counts.get(part) for part in _OWN_SCRIPT_PARTS.get(own, (own,))):
            own = None
    return own or script or dominant_script(text)


def c4_applies(languages: list[str], lang: str) -> bool:
    """The language-specific C4 rules run for the listed languages ('sr' covers 'sr-Latn'); an empty list means all."""
    if not languages:
        return True
    return lang in languages or lang.replace("_", "-").split("-", 1)[0] in languages


def _dup_stats(items: list[str]) -> tuple[int, int]:
    """(number of items equal to an earlier one, their total characters)."""
    seen: set[str] = set()
    dups = dup_chars = 0
    for item in items:
        if item in seen:
            dups += 1
            dup_chars += len(item)
        else:
            seen.add(item)
    return dups, dup_chars


class TextView:
    """Lazily computed pieces of one text, shared by the rules."""

    def __init__(self, text: str, script: str):
        self.text = text
        self.script = script

    @cached_property
    def lines(self) -> list[str]:
        return [s for line in self.text.split("\n") if (s := line.strip())]

    @cached_property
    def paragraphs(self) -> list[str]:
        return [s for p in _PARAGRAPH_BREAK.split(self.text) if (s := p.strip())]

    @cached_property
    def tokens(self) -> list[str]:
        return segment.tokens(self.text, self.script)

    @cached_property
    def words(self) -> list[str]:
        out = []
        append = out.append
        clean = segment.clean_token
        category = unicodedata.category
        for token in self.tokens:
            last = token[-1]
            # inlined fast path of segment.clean_token: most tokens need no stripping
            if token[0].isalnum() and (last.isalnum() or category(last)[0] == "M"):
                append(token)
            else:
                word = clean(token)
                if word:
                    append(word)
        return out

    @cached_property
    def word_chars(self) -> int:
        return sum(map(len, self.words))

    @cached_property
    def _vocabulary(self) -> tuple[list[int], list[int]]:
        distinct = list(dict.fromkeys(self.words))  # first-occurrence order: deterministic ids
        index = {w: i for i, w in enumerate(distinct)}
        return list(map(index.__getitem__, self.words)), list(map(len, distinct))

    @property
    def word_ids(self) -> list[int]:
        """Words as small integers (equal words, equal ids): n-gram tuples hash fast."""
        return self._vocabulary[0]

    @property
    def id_lengths(self) -> list[int]:
        """Characters of each distinct word, indexed by its id."""
        return self._vocabulary[1]

    @cached_property
    def mean_word_length(self) -> float:
        """Mean characters per unit of the judged script's kind only: in a spaceless-script
        text (Chinese, Japanese, Thai) over its character units, English identifiers left
        out; in a spaced-script text over its words, embedded CJK/Thai units left out. A
        quotation or a command in the other kind never moves the mean."""
        words = self.words
        if not words or not segment.has_spaceless(self.text):
            return self.word_chars / len(words) if words else 0.0
        if segment.is_spaceless(self.script):
            chosen = [len(w) for w in words if len(w) <= 3 and segment.has_spaceless(w)]
        else:
            chosen = [len(w) for w in words if not (len(w) <= 3 and segment.has_spaceless(w))]
        if chosen:
            return sum(chosen) / len(chosen)
        return self.word_chars / len(words)

    @cached_property
    def word_lengths(self) -> list[int]:
        return list(map(len, self.words))
